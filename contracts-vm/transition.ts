// The state transition: a pure function of (state view, block), and the one block executor that both
// validation and the miner's templates run. Signatures are checked before this runs (they need no state,
// so they are verified in parallel and cached); every other rule is here, once.
import type { Block, BlockHeader } from '../protocol/block.ts';
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../protocol/errors.ts';
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import { type TxEnvelope, txCost } from '../protocol/tx.ts';
import { type Account, getAccount, putAccount, spendable } from './accounts.ts';
import { CONTRACTS } from './contracts/index.ts';
import { admitCall, type BlockContext, type CallContext, type ContractEvent } from './runtime.ts';
import { Overlay, ReadRecorder, type StateReader } from './state.ts';

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
      `fee ${tx.fee} base units is below the minimum ${minFee} (${gas} gas × ${params.minTxFee} base units; 1,000,000 base units = £1)`,
    );
  return call;
}

/** The limits a transaction is checked against besides its account's nonce and spendable balance. */
export interface AdmissionWindow {
  /** How many nonces past the account nonce are accepted: 0 in a block (only the next nonce runs). */
  maxNonceAhead: bigint;
  /**
   * The cost of the sender's other pending transactions this one must fit beside (0 in a block). Called
   * after the nonce checks and before the funds check, so a rule about those other transactions (the
   * mempool's replacement and per-sender limits) may refuse here, keeping its place in the order.
   */
  othersCost(account: Account): bigint;
}

const NEXT_IN_BLOCK: AdmissionWindow = { maxNonceAhead: 0n, othersCost: () => 0n };

/**
 * Nonce and funds against a state: the one check used both by execution (applyTx, next nonce only) and by
 * the mempool's admission (a window of nonces, funds shared with the sender's pending transactions).
 * Returns the sender's account as read.
 */
export function checkTxAgainstState(
  state: StateReader,
  env: TxEnvelope,
  window: AdmissionWindow = NEXT_IN_BLOCK,
): Account {
  const { tx, sender } = env;
  const acct = getAccount(state, sender);
  if (tx.nonce < acct.nonce)
    throw new TxError(
      TxErrorCode.NONCE_TOO_LOW,
      `nonce ${tx.nonce} already used (account nonce ${acct.nonce})`,
    );
  if (tx.nonce > acct.nonce + window.maxNonceAhead)
    throw new TxError(
      TxErrorCode.NONCE_TOO_HIGH,
      window.maxNonceAhead === 0n
        ? `nonce ${tx.nonce} is ahead of account nonce ${acct.nonce}`
        : `nonce ${tx.nonce} is more than ${window.maxNonceAhead} ahead of account nonce ${acct.nonce}`,
    );
  const others = window.othersCost(acct);
  const cost = txCost(tx) + others;
  if (cost > spendable(acct))
    throw new TxError(
      TxErrorCode.INSUFFICIENT_FUNDS,
      others === 0n
        ? `needs ${cost} base units (amount and fee), spendable ${spendable(acct)} (1,000,000 base units = £1)`
        : `with the sender's pending transactions needs ${cost} base units, spendable ${spendable(acct)} (1,000,000 base units = £1)`,
    );
  return acct;
}

/**
 * Executes one transaction on `state`; returns its events. Throws TxError on failure; the caller reverts
 * its checkpoint, so a failed transaction leaves no trace.
 */
export function applyTx(state: Overlay, env: TxEnvelope, ctx: BlockContext): ContractEvent[] {
  return runTx(state, env, ctx, sameContext);
}

const sameContext = (callCtx: CallContext): CallContext => callCtx;

/** applyTx, with the context its call's body sees (not its admission rule) given by `bodyContext`. */
function runTx(
  state: Overlay,
  env: TxEnvelope,
  ctx: BlockContext,
  bodyContext: (callCtx: CallContext) => CallContext,
): ContractEvent[] {
  const call = checkTxStateless(env, ctx.params);
  const from = checkTxAgainstState(state, env);
  const { tx, sender } = env;
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
      admitCall(call!, ctx);
      call!.method.execute(bodyContext({ ...ctx, state, sender, events }), call!.args);
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

/** The context of a block at `height` and `timestamp` mined by `miner`: all its calls and hooks see. */
export function blockContext(
  at: Pick<BlockHeader, 'height' | 'timestamp'>,
  miner: Address,
  params: ChainParams,
): BlockContext {
  return { height: at.height, timestamp: at.timestamp, miner, params };
}

/** Watches end-of-block hooks that did something (emitted events): for metrics only, never for results. */
export interface HookObserver {
  endBlock(contract: string, seconds: number): void;
}

/**
 * What a transaction failing with a TxError means while a block executes. Checking a received block, it
 * makes the block invalid (BlockError INVALID_TX at the first one); building a template, it is left out.
 * Any other error is a bug and propagates in both modes.
 */
export type TxFailureRule = 'invalidates-block' | 'skip-tx';

export interface ExecutedBlock {
  receipts: BlockReceipts;
  /** The transactions applied, in order: all of them unless failures were skipped. */
  txs: TxEnvelope[];
}

/**
 * Executes a block on `state`: its transactions in order, each in a checkpoint reverted if it fails, then
 * the end-of-block hooks. The one executor for validation and for the miner's templates.
 */
export function executeBlock(
  state: Overlay,
  ctx: BlockContext,
  txs: readonly TxEnvelope[],
  onTxFailure: TxFailureRule,
  observer?: HookObserver,
): ExecutedBlock {
  const receipts: BlockReceipts = { txs: [], block: [] };
  const applied: TxEnvelope[] = [];
  txs.forEach((env, index) => {
    const cp = state.checkpoint();
    try {
      receipts.txs.push(applyTx(state, env, ctx));
      applied.push(env);
    } catch (err) {
      state.revert(cp);
      if (!(err instanceof TxError)) throw err;
      if (onTxFailure === 'invalidates-block')
        throw new BlockError(BlockErrorCode.INVALID_TX, `tx ${index} (${env.id}): ${err}`, {
          error: err,
          index,
        });
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
  return { receipts, txs: applied };
}

/** Executes a received block: any invalid transaction invalidates it. */
export function applyBlock(
  state: Overlay,
  block: Block,
  params: ChainParams,
  observer?: HookObserver,
): BlockReceipts {
  const ctx = blockContext(block.header, block.miner, params);
  return executeBlock(state, ctx, block.txs, 'invalidates-block', observer).receipts;
}

function runEndBlock(
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

/** What a dry-run that passed read: its verdict holds while none of it changes (beside its admission rule). */
export interface DryRunReads {
  /** Hex keys read from the state under the run (keys it had written itself are not counted). */
  keys: ReadonlySet<string>;
  /** Whether the call's body read the block's timestamp (its admission rule's reads are not counted). */
  timestamp: boolean;
}

/**
 * Runs a transaction on a throwaway view (mempool admission: contract rules against the head state) and
 * returns what it read; throws its TxError if it fails.
 */
export function dryRunTx(state: StateReader, env: TxEnvelope, ctx: BlockContext): DryRunReads {
  const recorder = new ReadRecorder(state);
  let timestamp = false;
  runTx(new Overlay(recorder), env, ctx, (callCtx) =>
    Object.defineProperty(callCtx, 'timestamp', {
      get: () => {
        timestamp = true;
        return ctx.timestamp;
      },
      enumerable: true,
    }),
  );
  return { keys: recorder.keys, timestamp };
}
