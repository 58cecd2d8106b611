// Token movements used by contracts. Supply is fixed at genesis: contracts only move tokens between
// accounts, lock them (reserve part of a balance for an open bid) or unlock them.
import { TxError, TxErrorCode } from '../protocol/errors.ts';
import type { Address } from '../protocol/keys.ts';
import { getAccount, putAccount, spendable } from './accounts.ts';
import type { Overlay } from './state.ts';

export function lock(state: Overlay, who: Address, amount: bigint): void {
  const a = getAccount(state, who);
  if (spendable(a) < amount)
    throw new TxError(
      TxErrorCode.INSUFFICIENT_FUNDS,
      `needs ${amount} base units to lock, spendable ${spendable(a)} (1,000,000 base units = £1)`,
    );
  a.locked += amount;
  putAccount(state, who, a);
}

export function unlock(state: Overlay, who: Address, amount: bigint): void {
  const a = getAccount(state, who);
  if (a.locked < amount) throw new Error(`unlock of ${amount} exceeds locked ${a.locked} of ${who}`); // an invariant, not input
  a.locked -= amount;
  putAccount(state, who, a);
}

/** Moves up to `amount` spendable tokens; returns what was moved (never drives a balance negative). */
export function transferUpTo(state: Overlay, from: Address, to: Address, amount: bigint): bigint {
  if (amount <= 0n || from === to) return from === to ? amount : 0n;
  const a = getAccount(state, from);
  const paid = spendable(a) < amount ? spendable(a) : amount;
  if (paid === 0n) return 0n;
  a.balance -= paid;
  putAccount(state, from, a);
  const b = getAccount(state, to);
  b.balance += paid;
  putAccount(state, to, b);
  return paid;
}
