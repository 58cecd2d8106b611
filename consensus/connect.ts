// Moving the head in memory, one block at a time: disconnecting a main-chain block with its undo record,
// and connecting a block (signatures, the block executor, the state root). Each step only adds its ledger
// writes to the reorg's batch, so the chain commits or abandons a whole reorg in one write.
import { mergeChanges, Overlay, type StateStore } from '../contracts-vm/state.ts';
import { applyBlock, type BlockReceipts, type HookObserver } from '../contracts-vm/transition.ts';
import type { Block } from '../protocol/block.ts';
import { bytesEqual, fromHex, toHex } from '../protocol/bytes.ts';
import { BlockError, BlockErrorCode as E, TxError, TxErrorCode } from '../protocol/errors.ts';
import type { ChainParams } from '../protocol/params.ts';
import type { TxEnvelope } from '../protocol/tx.ts';
import { LedgerBatch } from './db.ts';
import type { BlockNode } from './fork-choice.ts';
import { decodeUndo, encodeUndo } from './undo.ts';

/** Verifies the signatures of transactions (by worker threads, with a cache); see sigverify.ts. */
export interface TxSignatureVerifier {
  verifyTxs(txs: readonly TxEnvelope[]): Promise<boolean[]>;
}

export interface ConnectContext {
  /** The committed head state that the reorg's overlay sits on (state roots are computed against it). */
  committed: StateStore;
  /**
   * The verdicts of a block's signatures, one per transaction: those its prefetch already asked for
   * (chain.ts), else asked for now (the verifier's cache still answers what the mempool verified).
   */
  signaturesOf(block: Block): Promise<boolean[]>;
  params: ChainParams;
  hookObserver?: HookObserver;
}

/** Undoes the main-chain block `node` on `work` and records the removal of its ledger entries. */
export function disconnectBlock(
  node: BlockNode,
  block: Block,
  undo: Uint8Array,
  work: Overlay,
  batch: LedgerBatch,
): void {
  for (const [k, v] of decodeUndo(undo)) work.set(fromHex(k), v);
  batch.delHeight(node.header.height).delUndo(node.hash);
  for (const t of block.txs) batch.delTx(t.hash);
}

/** Undoes the main-chain blocks `detach` (newest first) on `work`; returns their bodies in that order. */
export async function disconnectBranch(
  detach: readonly BlockNode[],
  bodyOf: (n: BlockNode) => Promise<Block>,
  undoOf: (n: BlockNode) => Promise<Uint8Array>,
  work: Overlay,
  batch: LedgerBatch,
): Promise<Block[]> {
  const disconnected: Block[] = [];
  for (const n of detach) {
    const block = await bodyOf(n);
    disconnectBlock(n, block, await undoOf(n), work, batch);
    disconnected.push(block);
  }
  return disconnected;
}

/**
 * Connects `attach` (oldest first, the first a child of `from`) on `work` until one is invalid: the last
 * block connected (`from` if none), the bodies connected, and the first invalid block with its verdict.
 */
export async function connectBranch(
  ctx: ConnectContext,
  from: BlockNode,
  attach: readonly BlockNode[],
  bodyOf: (n: BlockNode) => Promise<Block>,
  work: Overlay,
  batch: LedgerBatch,
): Promise<{ tip: BlockNode; connected: Block[]; failure?: { node: BlockNode; error: BlockError } }> {
  let tip = from;
  const connected: Block[] = [];
  for (const n of attach) {
    const block = await bodyOf(n);
    const error = await connectBlock(ctx, n, block, work, batch);
    if (error) return { tip, connected, failure: { node: n, error } };
    tip = n;
    connected.push(block);
  }
  return { tip, connected };
}

/**
 * Executes `block` on top of `work`; on success merges it into `work`, records its writes in `batch` and
 * returns undefined. Returns the verdict when the block is invalid; throws only what is not a verdict.
 */
export async function connectBlock(
  ctx: ConnectContext,
  node: BlockNode,
  block: Block,
  work: Overlay,
  batch: LedgerBatch,
): Promise<BlockError | undefined> {
  // The signatures are verified by the worker pool while this thread executes the block: the verdict is
  // the same as verifying first (a bad signature is the block's verdict whatever execution found, and
  // nothing of an execution is kept unless every signature verified), only sooner.
  // The pool sends what it has room for at once (sigverify.ts), so they have left before execution starts.
  const signatures = ctx.signaturesOf(block);
  const view = new Overlay(work);
  let receipts: BlockReceipts | undefined;
  let failed: BlockError | undefined;
  try {
    receipts = applyBlock(view, block, ctx.params, ctx.hookObserver);
  } catch (err) {
    if (!(err instanceof BlockError)) {
      await signatures.catch(() => undefined);
      throw err;
    }
    failed = err;
  }
  const root = receipts && ctx.committed.rootWith(mergeChanges(work.changes, view.changes));
  const stateRootError =
    root && !bytesEqual(root, node.header.stateRoot)
      ? new BlockError(
          E.BAD_STATE_ROOT,
          `state root ${toHex(root)} != header ${toHex(node.header.stateRoot)}`,
        )
      : undefined;
  // The block's ledger writes are prepared while the workers may still be verifying (kept only if every
  // signature verifies): off the path from the last verdict to the write.
  const writes = receipts && !stateRootError ? blockWrites(node, block, view, receipts) : undefined;
  const verdicts = await signatures;
  const badSig = verdicts.indexOf(false);
  if (badSig >= 0) {
    const err = new TxError(TxErrorCode.BAD_SIGNATURE, 'signature does not verify for this chain');
    return new BlockError(E.INVALID_TX, `tx ${badSig} (${block.txs[badSig]!.id}): ${err}`, {
      error: err,
      index: badSig,
    });
  }
  if (failed || stateRootError || !writes) return failed ?? stateRootError;
  for (const op of writes.ops) batch.ops.push(op);
  view.commitTo(work);
  return undefined;
}

/** A connected block's ledger entries: undo record, receipts, main-chain height and transaction locations. */
function blockWrites(node: BlockNode, block: Block, view: Overlay, receipts: BlockReceipts): LedgerBatch {
  const writes = new LedgerBatch()
    .putUndo(node.hash, encodeUndo(view.undo()))
    .putReceipts(node.hash, receipts)
    .putHeight(node.header.height, node.hash);
  block.txs.forEach((t, i) => {
    writes.putTx(t.hash, node.hash, i);
  });
  return writes;
}
