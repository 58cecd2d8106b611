// Account records: key "a" + 20-byte address -> nonce u64, balance u64, locked u64 (24 bytes).
// `locked` is the part of the balance reserved by open bids; only balance - locked can be spent.
import { Reader, toHex, utf8 } from '../protocol/bytes.ts';
import { type Address, addressToBytes } from '../protocol/keys.ts';
import { type Overlay, readHex, type StateReader } from './state.ts';

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

const CANONICAL_ADDRESS = /^0x[0-9a-f]{40}$/;

/**
 * toHex(accountKey(address)) without the bytes in between: accounts are read and written several times
 * per transaction. Only a canonical address (lowercase, as every decoded one is) is spelled directly; any
 * other goes through the bytes, so the key is the same for every spelling and a bad address still throws.
 */
export const accountKeyHex = (address: Address): string =>
  CANONICAL_ADDRESS.test(address) ? `61${address.slice(2)}` : toHex(accountKey(address));

const ACCOUNT_BYTES = 24;
// One scratch buffer for the codec: a record is copied out of it (encode) or into it (decode), so no
// Writer of 256 bytes and no DataView is made per record.
const scratch = new Uint8Array(ACCOUNT_BYTES);
const scratchView = new DataView(scratch.buffer);
const U64_MAX = (1n << 64n) - 1n;

function putU64(at: number, v: bigint): void {
  if (v < 0n || v > U64_MAX) throw new RangeError(`u64 out of range: ${v}`); // as Writer.u64
  scratchView.setBigUint64(at, v);
}

/** nonce, balance, locked as u64 big-endian: the bytes new Writer().u64(..).u64(..).u64(..) gives. */
export function encodeAccount(a: Account): Uint8Array {
  putU64(0, a.nonce);
  putU64(8, a.balance);
  putU64(16, a.locked);
  return scratch.slice();
}

export function decodeAccount(b: Uint8Array): Account {
  if (b.length !== ACCOUNT_BYTES) {
    // The Reader's refusals, word for word (truncated, or trailing bytes).
    const r = new Reader(b);
    r.u64();
    r.u64();
    r.u64();
    r.end('account');
  }
  scratch.set(b);
  return {
    nonce: scratchView.getBigUint64(0),
    balance: scratchView.getBigUint64(8),
    locked: scratchView.getBigUint64(16),
  };
}

export const EMPTY_ACCOUNT: Readonly<Account> = Object.freeze({ nonce: 0n, balance: 0n, locked: 0n });

export function getAccount(state: StateReader, address: Address): Account {
  const v = readHex(state, accountKeyHex(address));
  return v ? decodeAccount(v) : { ...EMPTY_ACCOUNT };
}

export function putAccount(state: Overlay, address: Address, a: Account): void {
  state.setHex(accountKeyHex(address), encodeAccount(a));
}

export const spendable = (a: Account): bigint => a.balance - a.locked;
