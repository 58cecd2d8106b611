// The state transition: a pure function of (state view, block). Signatures are checked before this runs
// (they need no state, so they are verified in parallel and cached); everything else is here.
import type { Block } from '../consensus/block.ts';
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../consensus/errors.ts';
import type { ChainParams } from '../consensus/params.ts';
import type { TxEnvelope } from '../consensus/tx.ts';
import { getAccount, putAccount, spendable } from './accounts.ts';
import type { Overlay, StateReader } from './state.ts';

const U64_MAX = (1n << 64n) - 1n;

/** Stateless rules: everything about a transaction that does not depend on the chain's state. */
export function checkTxStateless(env: TxEnvelope, params: ChainParams): void {
  const { tx } = env;
  if (tx.fee < params.minTxFee)
    throw new TxError(TxErrorCode.FEE_TOO_LOW, `fee ${tx.fee} is below the minimum ${params.minTxFee}`);
  if (tx.payload.kind === 'transfer' && tx.payload.amount === 0n)
    throw new TxError(TxErrorCode.ZERO_AMOUNT, 'transfer of zero tokens');
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
  const cost = tx.payload.amount + tx.fee;
  if (cost > spendable(acct))
    throw new TxError(TxErrorCode.INSUFFICIENT_FUNDS, `needs ${cost}, spendable ${spendable(acct)}`);
}

/** Executes one transaction on `state`; throws TxError and leaves `state` untouched on failure. */
export function applyTx(state: Overlay, env: TxEnvelope, miner: string, params: ChainParams): void {
  checkTxStateless(env, params);
  checkTxAgainstState(state, env);
  const { tx, sender } = env;
  const from = getAccount(state, sender);
  from.nonce += 1n;
  from.balance -= tx.fee;
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
  }
  // Fees go to the block's miner; the token supply is fixed at genesis (no block subsidy).
  const m = getAccount(state, miner);
  m.balance += tx.fee;
  putAccount(state, miner, m);
}

/** Executes a block's transactions in order. Any invalid transaction makes the whole block invalid. */
export function applyBlock(state: Overlay, block: Block, params: ChainParams): void {
  block.txs.forEach((env, index) => {
    const cp = state.checkpoint();
    try {
      applyTx(state, env, block.miner, params);
    } catch (err) {
      state.revert(cp);
      if (err instanceof TxError) {
        throw new BlockError(BlockErrorCode.INVALID_TX, `tx ${index} (${env.id}): ${err.message}`, {
          error: err,
          index,
        });
      }
      throw err;
    }
  });
}
