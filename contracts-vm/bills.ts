// Bills in the state, one per VPP per interval (the record and its line kinds are ./abi/bills.ts). Key
// "y" + address + u64 interval -> clearing height u32 (0 = none), metering height u32 (0 = none), metering
// u8 (0 not metered; 1 metered against a committed position: metered Wh i64, committed Wh i64; 2 metered
// without one: metered Wh i64), u16 line count, lines (kind u8, Wh i64, amount i64).
import { concatBytes, Reader, Writer } from '../protocol/bytes.ts';
import { ADDRESS_LENGTH, type Address, addressToBytes, bytesToAddress } from '../protocol/keys.ts';
import { type Bill, type BillLine, LINE_KINDS } from './abi/bills.ts';
import { paidByParticipant, paidToParticipant } from './auction/rounding.ts';
import type { Overlay, StateReader } from './state.ts';

export const billKey = (a: Address, interval: bigint): Uint8Array =>
  concatBytes(Uint8Array.of(0x79), addressToBytes(a), new Writer().u64(interval).finish());

export function encodeBill(b: Bill): Uint8Array {
  const w = new Writer().u32(b.clearingHeight).u32(b.meteringHeight);
  if (b.meteredWh === null) {
    if (b.committedWh !== null)
      throw new Error('a bill records a committed position only with a metered one');
    w.u8(0);
  } else if (b.committedWh === null) w.u8(2).i64(b.meteredWh);
  else w.u8(1).i64(b.meteredWh).i64(b.committedWh);
  w.u16(b.lines.length);
  for (const l of b.lines) w.u8(LINE_KINDS.indexOf(l.kind)).i64(l.wh).i64(l.amount);
  return w.finish();
}

export function getBill(state: StateReader, address: Address, interval: bigint): Bill | undefined {
  const v = state.get(billKey(address, interval));
  if (!v) return undefined;
  const r = new Reader(v);
  const clearingHeight = r.u32();
  const meteringHeight = r.u32();
  const metering = r.u8();
  const meteredWh = metering === 0 ? null : r.i64();
  const committedWh = metering === 1 ? r.i64() : null;
  const n = r.u16();
  const lines: BillLine[] = [];
  for (let i = 0; i < n; i++) lines.push({ kind: LINE_KINDS[r.u8()]!, wh: r.i64(), amount: r.i64() });
  r.end('bill');
  return { address, interval, clearingHeight, meteringHeight, meteredWh, committedWh, lines };
}

// Index of an interval's billed VPPs, "Y" + u64 interval -> u32 count + addresses (sorted), so the grid
// operator can list an interval's bills without scanning the state.
const indexKey = (interval: bigint): Uint8Array =>
  concatBytes(Uint8Array.of(0x59), new Writer().u64(interval).finish());

export function billedVpps(state: StateReader, interval: bigint): Address[] {
  const v = state.get(indexKey(interval));
  if (!v) return [];
  const r = new Reader(v);
  const n = r.u32();
  return Array.from({ length: n }, () => bytesToAddress(r.fixed(ADDRESS_LENGTH)));
}

export function updateBill(
  state: Overlay,
  address: Address,
  interval: bigint,
  change: (b: Bill) => void,
): Bill {
  const existing = getBill(state, address, interval);
  if (!existing) {
    const list = billedVpps(state, interval);
    list.push(address);
    list.sort();
    const w = new Writer().u32(list.length);
    for (const a of list) w.fixed(addressToBytes(a), ADDRESS_LENGTH);
    state.set(indexKey(interval), w.finish());
  }
  const b = existing ?? {
    address,
    interval,
    clearingHeight: 0,
    meteringHeight: 0,
    meteredWh: null,
    committedWh: null,
    lines: [],
  };
  change(b);
  state.set(billKey(address, interval), encodeBill(b));
  return b;
}

/** Money for `wh` at `price` base units per kWh, rounded in the VPP's favour as the clearing rounds: it pays the floor, receives the ceiling. */
export const paysFloor = (wh: bigint, price: number): bigint => paidByParticipant(wh * BigInt(price));
export const receivesCeil = (wh: bigint, price: number): bigint => paidToParticipant(wh * BigInt(price));
