// Account records: key "a" + 20-byte address -> nonce u64, balance u64, locked u64 (24 bytes).
// `locked` is the part of the balance reserved by open bids; only balance - locked can be spent.
import { Reader, utf8, Writer } from '../protocol/bytes.ts';
import { type Address, addressToBytes } from '../protocol/keys.ts';
import type { Overlay, StateReader } from './state.ts';

export interface Account {
  nonce: bigint;
  balance: bigint;
  locked: bigint;
}

const ACCOUNT_PREFIX = 0x61; // 'a'
export const PARAMS_KEY = utf8('params');

export function accountKey(address: Address): Uint8Array {
  const k = new Uint8Array(21);
  k[0] = ACCOUNT_PREFIX;
  k.set(addressToBytes(address), 1);
  return k;
}

export const encodeAccount = (a: Account): Uint8Array =>
  new Writer().u64(a.nonce).u64(a.balance).u64(a.locked).finish();

export function decodeAccount(b: Uint8Array): Account {
  const r = new Reader(b);
  const a = { nonce: r.u64(), balance: r.u64(), locked: r.u64() };
  r.end('account');
  return a;
}

export const EMPTY_ACCOUNT: Readonly<Account> = Object.freeze({ nonce: 0n, balance: 0n, locked: 0n });

export function getAccount(state: StateReader, address: Address): Account {
  const v = state.get(accountKey(address));
  return v ? decodeAccount(v) : { ...EMPTY_ACCOUNT };
}

export function putAccount(state: Overlay, address: Address, a: Account): void {
  state.set(accountKey(address), encodeAccount(a));
}

export const spendable = (a: Account): bigint => a.balance - a.locked;
