// The state transition: a pure function of (state view, block). Signatures are checked before this runs
// (they need no state, so they are verified in parallel and cached); everything else is here.
import type { Block } from '../protocol/block.ts';
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../protocol/errors.ts';
import type { ChainParams } from '../protocol/params.ts';
import { type TxEnvelope, txCost } from '../protocol/tx.ts';
import { getAccount, putAccount, spendable } from './accounts.ts';
import { CONTRACTS } from './contracts/index.ts';
import type { BlockContext, ContractEvent } from './runtime.ts';
import { Overlay, type StateReader } from './state.ts';

const U64_MAX = (1n << 64n) - 1n;

type DecodedCall = ReturnType<typeof CONTRACTS.decode>;

/**
 * Stateless rules: everything about a transaction that does not depend on the chain's state. A call's
 * arguments are decoded here (BAD_ARGS surfaces first) and returned, so execution does not decode again.
 */
export function checkTxStateless(env: TxEnvelope, params: ChainParams): DecodedCall | undefined {
  const { tx } = env;
  if (tx.payload.kind === 'transfer' && tx.payload.amount === 0n)
    throw new TxError(TxErrorCode.ZERO_AMOUNT, 'transfer of zero tokens');
  const call = tx.payload.kind === 'call' ? CONTRACTS.decode(tx.payload) : undefined;
  const gas = call ? call.method.gas(call.args) : 1;
  const minFee = params.minTxFee * BigInt(gas);
  if (tx.fee < minFee)
    throw new TxError(
      TxErrorCode.FEE_TOO_LOW,
      `fee ${tx.fee} is below the minimum ${minFee} (${gas} gas × ${params.minTxFee})`,
    );
  return call;
}

/** Nonce and funds against a state (used by the mempool for admission, and by execution). */
export function checkTxAgainstState(state: StateReader, env: TxEnvelope): void {
  const { tx, sender } = env;
  const acct = getAccount(state, sender);
  if (tx.nonce < acct.nonce)
    throw new TxError(
      TxErrorCode.NONCE_TOO_LOW,
      `nonce ${tx.nonce} already used (account nonce ${acct.nonce})`,
    );
  if (tx.nonce > acct.nonce)
    throw new TxError(
      TxErrorCode.NONCE_TOO_HIGH,
      `nonce ${tx.nonce} is ahead of account nonce ${acct.nonce}`,
    );
  const cost = txCost(tx);
  if (cost > spendable(acct))
    throw new TxError(TxErrorCode.INSUFFICIENT_FUNDS, `needs ${cost}, spendable ${spendable(acct)}`);
}

/**
 * Executes one transaction on `state`; returns its events. Throws TxError on failure; the caller reverts
 * its checkpoint, so a failed transaction leaves no trace.
 */
export function applyTx(state: Overlay, env: TxEnvelope, ctx: BlockContext): ContractEvent[] {
  const call = checkTxStateless(env, ctx.params);
  checkTxAgainstState(state, env);
  const { tx, sender } = env;
  const from = getAccount(state, sender);
  from.nonce += 1n;
  from.balance -= tx.fee;
  const events: ContractEvent[] = [];
  switch (tx.payload.kind) {
    case 'transfer': {
      from.balance -= tx.payload.amount;
      putAccount(state, sender, from);
      const to = getAccount(state, tx.payload.to);
      to.balance += tx.payload.amount;
      if (to.balance > U64_MAX)
        throw new TxError(TxErrorCode.INSUFFICIENT_FUNDS, 'recipient balance overflow');
      putAccount(state, tx.payload.to, to);
      break;
    }
    case 'call': {
      putAccount(state, sender, from);
      call!.method.execute({ ...ctx, state, sender, events }, call!.args);
      break;
    }
  }
  // Fees go to the block's miner; the token supply is fixed at genesis (no block subsidy).
  const m = getAccount(state, ctx.miner);
  m.balance += tx.fee;
  putAccount(state, ctx.miner, m);
  return events;
}

/** Per block: each transaction's events, then the events of the end-of-block hooks. */
export interface BlockReceipts {
  txs: ContractEvent[][];
  block: ContractEvent[];
}

export function blockContext(block: Block, params: ChainParams): BlockContext {
  return { height: block.header.height, timestamp: block.header.timestamp, miner: block.miner, params };
}

/** Watches end-of-block hooks that did something (emitted events): for metrics only, never for results. */
export interface HookObserver {
  endBlock(contract: string, seconds: number): void;
}

/** Executes a block: its transactions in order (any invalid one invalidates the block), then the hooks. */
export function applyBlock(
  state: Overlay,
  block: Block,
  params: ChainParams,
  observer?: HookObserver,
): BlockReceipts {
  const ctx = blockContext(block, params);
  const receipts: BlockReceipts = { txs: [], block: [] };
  block.txs.forEach((env, index) => {
    const cp = state.checkpoint();
    try {
      receipts.txs.push(applyTx(state, env, ctx));
    } catch (err) {
      state.revert(cp);
      if (err instanceof TxError) {
        throw new BlockError(BlockErrorCode.INVALID_TX, `tx ${index} (${env.id}): ${err}`, {
          error: err,
          index,
        });
      }
      throw err;
    }
  });
  try {
    runEndBlock(state, ctx, receipts.block, observer);
  } catch (err) {
    // A hook is a pure function of (state, block): if it fails here it fails on every node, so the
    // block is invalid (a verdict for the network), not a crash of whoever received it.
    if (err instanceof BlockError) throw err;
    throw new BlockError(
      BlockErrorCode.HOOK_FAILED,
      `end-of-block hooks failed at height ${ctx.height}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return receipts;
}

export function runEndBlock(
  state: Overlay,
  ctx: BlockContext,
  events: ContractEvent[],
  observer?: HookObserver,
): void {
  for (const c of CONTRACTS.all) {
    if (!c.endBlock) continue;
    const before = events.length;
    const started = observer ? performance.now() : 0;
    c.endBlock({ ...ctx, state, events });
    if (observer && events.length > before) observer.endBlock(c.name, (performance.now() - started) / 1000);
  }
}

/** Runs a transaction on a throwaway view (mempool admission: contract rules against the head state). */
export function dryRunTx(state: StateReader, env: TxEnvelope, ctx: BlockContext): void {
  applyTx(new Overlay(state), env, ctx);
}
