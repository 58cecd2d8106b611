// The chain: block validation, fork choice (most cumulative work, ties keep the first seen), reorgs with
// undo data, orphan and future-block pools. Every import is one atomic LevelDB batch with the head pointer.
import { EventEmitter } from 'node:events';
import { type Account, getAccount } from '../contracts-vm/accounts.ts';
import { mergeChanges, Overlay, StateStore } from '../contracts-vm/state.ts';
import { applyBlock, type BlockReceipts, type HookObserver } from '../contracts-vm/transition.ts';
import { type Block, decodeBlock, encodeBlock, headerHash } from '../protocol/block.ts';
import { bytesEqual, fromHex, toHex } from '../protocol/bytes.ts';
import { type AsertParams, bitsToTarget, nextBits, workForTarget } from '../protocol/difficulty.ts';
import { BlockError, BlockErrorCode as E, TxError, TxErrorCode } from '../protocol/errors.ts';
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import type { ChainDomain, TxEnvelope } from '../protocol/tx.ts';
import { BlockStatus, type IndexRecord, LedgerBatch, LedgerDb } from './db.ts';
import { genesisBlock } from './genesis.ts';
import { decodeUndo, encodeUndo } from './undo.ts';
import { asertParamsOf, blockSize, checkContextFree } from './validation.ts';

export const MEDIAN_TIME_SPAN = 11;
const ORPHAN_LIMIT = 512;
const FUTURE_LIMIT = 128;
const INVALID_CACHE_LIMIT = 10_000;
const BLOCK_CACHE_LIMIT = 256;

export interface BlockNode {
  hash: Uint8Array;
  id: string;
  header: Block['header'];
  parent: BlockNode | undefined;
  totalWork: bigint;
  status: BlockStatus;
  seq: number; // arrival order: equal work keeps the first seen
}

/** Verifies the signatures of transactions (by worker threads, with a cache); see sigverify.ts. */
export interface TxSignatureVerifier {
  verifyTxs(txs: readonly TxEnvelope[]): Promise<boolean[]>;
}

export interface HeadChange {
  head: BlockNode;
  connected: Block[]; // oldest first
  disconnected: Block[]; // newest first
}

export type ProcessStatus = 'head' | 'side-chain';

export interface ChainOptions {
  verifier: TxSignatureVerifier;
  /** The wall clock, used only for the future-timestamp rule; tests inject their own. */
  now?: () => number;
  /** Timing of end-of-block hooks (auction clearing) for metrics. */
  hookObserver?: HookObserver;
}

export { asertParamsOf, blockSize };

export class Chain extends EventEmitter<{
  head: [HeadChange];
  invalid: [string, BlockError];
  /** Outcome of every processBlock call (for metrics). */
  processed: [ProcessStatus];
  rejected: [BlockError];
}> {
  readonly params: ChainParams;
  readonly domain: ChainDomain;
  readonly genesisHash: Uint8Array;
  private readonly db: LedgerDb;
  private readonly verifier: TxSignatureVerifier;
  private readonly now: () => number;
  hookObserver?: HookObserver;
  private readonly asert: AsertParams;
  private readonly nodes = new Map<string, BlockNode>();
  private readonly state = new StateStore();
  private tipNode!: BlockNode;
  private seq = 0;
  private readonly invalid = new Map<string, BlockError>();
  private readonly orphans = new Map<string, Block>();
  private readonly future = new Map<string, Block>();
  private readonly blockCache = new Map<string, Block>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(db: LedgerDb, params: ChainParams, opts: ChainOptions) {
    super();
    this.db = db;
    this.params = params;
    this.verifier = opts.verifier;
    this.now = opts.now ?? Date.now;
    this.hookObserver = opts.hookObserver;
    const g = genesisBlock(params);
    this.genesisHash = g.hash;
    this.domain = { chainId: params.chainId, genesisHash: g.hash };
    this.asert = asertParamsOf(params);
  }

  /** Opens (or initialises from genesis) the ledger in `dir` and checks it is consistent. */
  static async open(dir: string, params: ChainParams, opts: ChainOptions): Promise<Chain> {
    const db = new LedgerDb(dir);
    await db.open();
    const chain = new Chain(db, params, opts);
    try {
      await chain.load();
    } catch (err) {
      await db.close();
      throw err;
    }
    return chain;
  }

  private async load(): Promise<void> {
    const stored = await this.db.getGenesis();
    const g = genesisBlock(this.params);
    if (!stored) {
      const work = workForTarget(bitsToTarget(g.block.header.bits)!);
      const batch = new LedgerBatch()
        .putGenesis(g.hash)
        .putIndex(g.hash, { header: g.block.header, totalWork: work, status: BlockStatus.valid })
        .putBlock(g.hash, encodeBlock(g.block))
        .putHeight(0, g.hash)
        .putHead(g.hash);
      for (const [k, v] of g.state) batch.putState(fromHex(k), v);
      await this.db.write(batch);
    } else if (!bytesEqual(stored, g.hash)) {
      throw new Error(
        `data directory belongs to another chain (genesis ${toHex(stored)}, expected ${toHex(g.hash)})`,
      );
    }
    const records: [Uint8Array, IndexRecord][] = [];
    for await (const r of this.db.indexRecords()) records.push(r);
    records.sort((a, b) => a[1].header.height - b[1].header.height);
    for (const [hash, rec] of records) {
      const id = toHex(hash);
      const parent = rec.header.height === 0 ? undefined : this.nodes.get(toHex(rec.header.parentHash));
      if (rec.header.height > 0 && !parent)
        throw new Error(`corrupt ledger: block ${id} has no parent in the index`);
      this.nodes.set(id, {
        hash,
        id,
        header: rec.header,
        parent,
        totalWork: rec.totalWork,
        status: rec.status,
        seq: this.seq++,
      });
    }
    const head = await this.db.getHead();
    const headNode = head && this.nodes.get(toHex(head));
    if (!headNode) throw new Error('corrupt ledger: no head');
    this.tipNode = headNode;
    const changes = new Map<string, Uint8Array | null>();
    for await (const [k, v] of this.db.stateEntries()) changes.set(toHex(k), v);
    this.state.apply(changes);
    if (!bytesEqual(this.state.root(), headNode.header.stateRoot)) {
      throw new Error(`corrupt ledger: state root does not match head ${headNode.id}`);
    }
  }

  close(): Promise<void> {
    return this.queue.then(() => this.db.close());
  }

  // ---- reads -------------------------------------------------------------------------------------

  get tip(): BlockNode {
    return this.tipNode;
  }

  get height(): number {
    return this.tipNode.header.height;
  }

  /** The committed state of the head (read-only use). */
  get headState(): StateStore {
    return this.state;
  }

  account(address: Address): Account {
    return getAccount(this.state, address);
  }

  stateRoot(): Uint8Array {
    return this.state.root();
  }

  getNode(hash: Uint8Array | string): BlockNode | undefined {
    return this.nodes.get(typeof hash === 'string' ? hash : toHex(hash));
  }

  /** Main-chain node at a height, by walking back from the tip (heights near the tip are cheap). */
  async getMainNode(height: number): Promise<BlockNode | undefined> {
    if (height < 0 || height > this.height) return undefined;
    const hash = await this.db.getHeight(height);
    return hash && this.nodes.get(toHex(hash));
  }

  async getBlock(hash: Uint8Array | string): Promise<Block | undefined> {
    const id = typeof hash === 'string' ? hash : toHex(hash);
    const cached = this.blockCache.get(id);
    if (cached) return cached;
    const bytes = await this.db.getBlock(fromHex(id));
    return (
      bytes &&
      decodeBlock(bytes, { maxBlockBytes: Number.MAX_SAFE_INTEGER, maxBlockTxs: Number.MAX_SAFE_INTEGER })
    );
  }

  isMainChain(node: BlockNode): boolean {
    let n: BlockNode | undefined = this.tipNode;
    while (n && n.header.height > node.header.height) n = n.parent;
    return n === node;
  }

  /** Events of a connected block: per transaction, and of the end-of-block hooks. */
  async getReceipts(hash: Uint8Array | string): Promise<BlockReceipts | undefined> {
    const json = await this.db.getReceipts(typeof hash === 'string' ? fromHex(hash) : hash);
    return json === undefined ? undefined : (JSON.parse(json) as BlockReceipts);
  }

  async txLocation(txHash: Uint8Array): Promise<{ blockHash: Uint8Array; index: number } | undefined> {
    return this.db.getTx(txHash);
  }

  /** Median of the timestamps of `node` and up to 10 ancestors. */
  medianTimePast(node: BlockNode): number {
    const ts: number[] = [];
    for (let n: BlockNode | undefined = node; n && ts.length < MEDIAN_TIME_SPAN; n = n.parent)
      ts.push(n.header.timestamp);
    ts.sort((a, b) => a - b);
    return ts[ts.length >> 1]!;
  }

  nextBitsAfter(parent: BlockNode): number {
    return nextBits(this.asert, parent.header.height, parent.header.timestamp);
  }

  get orphanCount(): number {
    return this.orphans.size;
  }

  // ---- import ------------------------------------------------------------------------------------

  /** Validates and imports a block; resolves with where it went, rejects with a BlockError. Serialised. */
  processBlock(block: Block): Promise<ProcessStatus> {
    const run = this.queue.then(() => this.importOne(block));
    this.queue = run.catch(() => undefined);
    run.then(
      (status) => this.emit('processed', status),
      (err: unknown) => {
        if (err instanceof BlockError) this.emit('rejected', err);
      },
    );
    return run;
  }

  /** Re-examines held future blocks whose time has come (call periodically). */
  async retryFutureBlocks(): Promise<number> {
    let accepted = 0;
    const limit = this.now() + this.params.maxFutureDriftMs;
    for (const [id, b] of [...this.future]) {
      if (b.header.timestamp > limit) continue;
      this.future.delete(id);
      try {
        await this.processBlock(b);
        accepted++;
      } catch {
        // its verdict was reported when it failed; nothing else to do here
      }
    }
    return accepted;
  }

  private markInvalidHeader(id: string, err: BlockError): BlockError {
    if (this.invalid.size >= INVALID_CACHE_LIMIT) this.invalid.delete(this.invalid.keys().next().value!);
    this.invalid.set(id, err);
    return err;
  }

  private async importOne(block: Block): Promise<ProcessStatus> {
    const { header } = block;
    const hash = headerHash(header);
    const id = toHex(hash);

    const known = this.nodes.get(id);
    if (known) {
      if (known.status === BlockStatus.invalid)
        throw new BlockError(E.KNOWN_INVALID, `block ${id} is invalid`);
      throw new BlockError(E.ALREADY_KNOWN, `block ${id} already imported`);
    }
    const bad = this.invalid.get(id);
    if (bad) throw new BlockError(E.KNOWN_INVALID, `block ${id} is invalid (${bad.code})`);
    if (this.orphans.has(id) || this.future.has(id))
      throw new BlockError(E.ALREADY_KNOWN, `block ${id} is already held`);

    // Context-free checks, cheapest first (validation.ts).
    const checked = checkContextFree(block, id, this.params);
    if ('error' in checked)
      throw checked.headerAtFault ? this.markInvalidHeader(id, checked.error) : checked.error;
    const { target } = checked;

    const parentId = toHex(header.parentHash);
    if (this.invalid.has(parentId))
      throw this.markInvalidHeader(id, new BlockError(E.PARENT_INVALID, `parent ${parentId} is invalid`));
    const parent = this.nodes.get(parentId);
    if (!parent) {
      this.holdOrphan(id, block);
      throw new BlockError(E.ORPHAN, `parent ${toHex(header.parentHash)} unknown`);
    }
    if (parent.status === BlockStatus.invalid)
      throw this.markInvalidHeader(id, new BlockError(E.PARENT_INVALID, `parent ${parent.id} is invalid`));
    if (header.height !== parent.header.height + 1)
      throw this.markInvalidHeader(
        id,
        new BlockError(E.BAD_HEIGHT, `height ${header.height} after ${parent.header.height}`),
      );
    const expectedBits = this.nextBitsAfter(parent);
    if (header.bits !== expectedBits) {
      throw this.markInvalidHeader(
        id,
        new BlockError(
          E.WRONG_DIFFICULTY,
          `bits 0x${header.bits.toString(16)}, expected 0x${expectedBits.toString(16)}`,
        ),
      );
    }
    const mtp = this.medianTimePast(parent);
    if (header.timestamp <= mtp)
      throw this.markInvalidHeader(
        id,
        new BlockError(E.TIMESTAMP_TOO_OLD, `timestamp ${header.timestamp} <= median time past ${mtp}`),
      );
    if (header.timestamp > this.now() + this.params.maxFutureDriftMs) {
      if (this.future.size >= FUTURE_LIMIT) this.future.delete(this.future.keys().next().value!);
      this.future.set(id, block);
      throw new BlockError(
        E.TIMESTAMP_IN_FUTURE,
        `timestamp ${header.timestamp} is more than ${this.params.maxFutureDriftMs} ms ahead`,
      );
    }

    // The header is valid: store the block, then let fork choice decide.
    const node: BlockNode = {
      hash,
      id,
      header,
      parent,
      totalWork: parent.totalWork + workForTarget(target),
      status: BlockStatus.valid,
      seq: this.seq++,
    };
    await this.db.write(new LedgerBatch().putIndex(hash, node).putBlock(hash, encodeBlock(block)));
    this.nodes.set(id, node);
    this.cacheBlock(id, block);

    let status: ProcessStatus = 'side-chain';
    if (node.totalWork > this.tipNode.totalWork) {
      await this.activateBestChain(node);
      if (this.isMainChain(node)) status = 'head';
    }
    if (node.status === BlockStatus.invalid)
      throw this.invalid.get(id) ?? new BlockError(E.PARENT_INVALID, 'an ancestor of this block is invalid');
    await this.connectOrphansOf(id);
    return status;
  }

  private cacheBlock(id: string, block: Block): void {
    if (this.blockCache.size >= BLOCK_CACHE_LIMIT)
      this.blockCache.delete(this.blockCache.keys().next().value!);
    this.blockCache.set(id, block);
  }

  private holdOrphan(id: string, block: Block): void {
    if (this.orphans.size >= ORPHAN_LIMIT) this.orphans.delete(this.orphans.keys().next().value!);
    this.orphans.set(id, block);
  }

  private async connectOrphansOf(parentId: string): Promise<void> {
    const pending = [parentId];
    while (pending.length > 0) {
      const pid = pending.shift()!;
      for (const [oid, ob] of [...this.orphans]) {
        if (toHex(ob.header.parentHash) !== pid) continue;
        this.orphans.delete(oid);
        try {
          await this.importOne(ob);
          pending.push(oid);
        } catch (err) {
          if (err instanceof BlockError) this.emit('invalid', oid, err);
        }
      }
    }
  }

  /** Switches to the heaviest valid chain, starting with `candidate`; falls back on failure. */
  private async activateBestChain(candidate: BlockNode): Promise<void> {
    let best: BlockNode | undefined = candidate;
    while (best && best.totalWork > this.tipNode.totalWork) {
      const ok = await this.switchTo(best);
      if (ok) return;
      best = this.bestValidNode();
    }
  }

  private bestValidNode(): BlockNode | undefined {
    let best: BlockNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.status !== BlockStatus.valid) continue;
      if (!best || n.totalWork > best.totalWork || (n.totalWork === best.totalWork && n.seq < best.seq))
        best = n;
    }
    return best;
  }

  /**
   * Disconnects back to the fork point and connects the branch to `target`, all in memory; writes one
   * batch. If a block of the branch is invalid, it and its descendants are marked invalid and the valid
   * prefix is kept only if it has more work than the old tip. Returns whether `target` became the tip.
   */
  private async switchTo(target: BlockNode): Promise<boolean> {
    const oldTip = this.tipNode;
    const branch: BlockNode[] = [];
    let a: BlockNode | undefined = oldTip;
    let b: BlockNode | undefined = target;
    while (b && a && b.header.height > a.header.height) {
      branch.push(b);
      b = b.parent;
    }
    const detach: BlockNode[] = [];
    while (a && b && a !== b) {
      if (a.header.height >= b.header.height) {
        detach.push(a);
        a = a.parent;
      } else {
        branch.push(b);
        b = b.parent;
      }
    }
    if (!a || a !== b) throw new Error('blocks without a common ancestor');
    branch.reverse();

    const work = new Overlay(this.state);
    const batch = new LedgerBatch();
    const disconnected: Block[] = [];
    for (const n of detach) {
      const undoBytes = await this.db.getUndo(n.hash);
      const block = await this.getBlock(n.id);
      if (!undoBytes || !block) throw new Error(`corrupt ledger: missing undo data or body for ${n.id}`);
      for (const [k, v] of decodeUndo(undoBytes)) work.set(fromHex(k), v);
      batch.delHeight(n.header.height).delUndo(n.hash);
      for (const t of block.txs) batch.delTx(t.hash);
      disconnected.push(block);
    }

    let newTip: BlockNode = a;
    const connected: Block[] = [];
    let failure: { node: BlockNode; error: BlockError } | undefined;
    for (const n of branch) {
      const block = await this.getBlock(n.id);
      if (!block) throw new Error(`corrupt ledger: missing body for ${n.id}`);
      const error = await this.connectInMemory(n, block, work, batch);
      if (error) {
        failure = { node: n, error };
        break;
      }
      newTip = n;
      connected.push(block);
    }

    if (failure) this.markInvalidSubtree(failure.node, failure.error, batch);
    const commit = !failure || newTip.totalWork > oldTip.totalWork;
    if (!commit) {
      await this.db.write(this.onlyIndexOps(batch));
      return false;
    }
    for (const [k, v] of work.changes) batch.putState(fromHex(k), v);
    batch.putHead(newTip.hash);
    await this.db.write(batch);
    this.state.apply(work.changes);
    this.tipNode = newTip;
    this.emit('head', { head: newTip, connected, disconnected });
    return !failure;
  }

  private onlyIndexOps(batch: LedgerBatch): LedgerBatch {
    const out = new LedgerBatch();
    out.ops.push(...batch.ops.filter((op) => op.key[0] === 0x69));
    return out;
  }

  /** Executes `block` on top of `work`; on success merges it into `work` and records its writes in `batch`. */
  private async connectInMemory(
    n: BlockNode,
    block: Block,
    work: Overlay,
    batch: LedgerBatch,
  ): Promise<BlockError | undefined> {
    const verdicts = await this.verifier.verifyTxs(block.txs);
    const badSig = verdicts.indexOf(false);
    if (badSig >= 0) {
      const err = new TxError(TxErrorCode.BAD_SIGNATURE, 'signature does not verify for this chain');
      return new BlockError(E.INVALID_TX, `tx ${badSig} (${block.txs[badSig]!.id}): ${err}`, {
        error: err,
        index: badSig,
      });
    }
    const view = new Overlay(work);
    let receipts: BlockReceipts;
    try {
      receipts = applyBlock(view, block, this.params, this.hookObserver);
    } catch (err) {
      if (err instanceof BlockError) return err;
      throw err;
    }
    const root = this.state.rootWith(mergeChanges(work.changes, view.changes));
    if (!bytesEqual(root, n.header.stateRoot)) {
      return new BlockError(
        E.BAD_STATE_ROOT,
        `state root ${toHex(root)} != header ${toHex(n.header.stateRoot)}`,
      );
    }
    batch.putUndo(n.hash, encodeUndo(view.undo()));
    batch.putReceipts(n.hash, JSON.stringify(receipts));
    batch.putHeight(n.header.height, n.hash);
    block.txs.forEach((t, i) => {
      batch.putTx(t.hash, n.hash, i);
    });
    view.commitTo(work);
    return undefined;
  }

  private markInvalidSubtree(root: BlockNode, error: BlockError, batch: LedgerBatch): void {
    const marked = new Set<BlockNode>([root]);
    root.status = BlockStatus.invalid;
    this.markInvalidHeader(root.id, error);
    this.emit('invalid', root.id, error);
    const later = [...this.nodes.values()]
      .filter((n) => n.header.height > root.header.height)
      .sort((x, y) => x.header.height - y.header.height);
    for (const n of later) {
      if (n.parent && marked.has(n.parent)) {
        n.status = BlockStatus.invalid;
        marked.add(n);
      }
    }
    for (const n of marked) batch.putIndex(n.hash, n);
  }
}
