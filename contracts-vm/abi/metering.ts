// The metering contract's interface (id 3). Before delivery each VPP commits its day-ahead net position per
// interval (commitSchedule); after delivery the grid reports what each VPP's meter measured (report), and
// the contract settles the deviation from the committed schedule that the VPP did not trade.
//   report(interval u64, entry count u16 (1..MAX_METER_ENTRIES), entries of (vpp address (20), metered
//          net position i64 Wh)), each VPP at most once;
//   commitSchedule(firstInterval u64, count u16 (1..MAX_SCHEDULE_INTERVALS), count positions i64 Wh) for
//          the intervals firstInterval .. firstInterval + count - 1.
// Net positions are + export / - import, |Wh| ≤ MAX_POSITION_WH.
import type { Reader } from '../../protocol/bytes.ts';
import type { Address } from '../../protocol/keys.ts';
import { badArgs, defineContractAbi, type MethodSpec, readAddress, writeAddress } from './define.ts';

export const METERING_ID = 3;
/** Most entries in one report. */
export const MAX_METER_ENTRIES = 256;
/** Most intervals in one schedule commitment (a day of 5-minute intervals is 288; 8 KiB of arguments hold 1,022). */
export const MAX_SCHEDULE_INTERVALS = 1000;
/** Bound on |net position| in Wh, metered or committed (keeps every imbalance amount inside i64). */
export const MAX_POSITION_WH = 1_000_000_000_000n;
/**
 * How far ahead a schedule may be committed beyond an interval's bidding window: two days, the horizon of
 * a day-ahead market (its gate is the day before; the day it schedules ends a day later).
 */
export const SCHEDULE_HORIZON_MS = 2 * 86_400_000;

/** What a VPP's meter measured over an interval: its net position, + export / - import, in Wh. */
export interface MeterEntry {
  vpp: Address;
  meteredWh: bigint;
}

export interface ReportArgs {
  interval: bigint;
  entries: readonly MeterEntry[];
}

/** A VPP's committed net positions (+ export / - import, Wh) of intervals firstInterval, firstInterval + 1, … */
export interface CommitScheduleArgs {
  firstInterval: bigint;
  positionsWh: readonly bigint[];
}

const U64_MAX = (1n << 64n) - 1n;

function readPosition(r: Reader, field: string): bigint {
  const wh = r.i64(field);
  if (wh > MAX_POSITION_WH || wh < -MAX_POSITION_WH)
    throw badArgs(`${field} out of range: |Wh| must be at most ${MAX_POSITION_WH}`);
  return wh;
}

const report: MethodSpec<ReportArgs> = {
  id: 0,
  encode(w, a) {
    w.u64(a.interval).u16(a.entries.length);
    for (const e of a.entries) writeAddress(w, e.vpp).i64(e.meteredWh);
  },
  decode(r) {
    const interval = r.u64('interval');
    const n = r.u16('entry count');
    if (n < 1 || n > MAX_METER_ENTRIES) throw badArgs(`entries: 1..${MAX_METER_ENTRIES} required, got ${n}`);
    const entries: MeterEntry[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const vpp = readAddress(r, `entries[${i}].vpp`);
      const meteredWh = readPosition(r, `entries[${i}].meteredWh`);
      if (seen.has(vpp)) throw badArgs(`entries[${i}].vpp is listed twice`);
      seen.add(vpp);
      entries.push({ vpp, meteredWh });
    }
    return { interval, entries };
  },
  gas: (a) => 1 + Math.ceil(a.entries.length / 8),
};

const commitSchedule: MethodSpec<CommitScheduleArgs> = {
  id: 1,
  encode(w, a) {
    w.u64(a.firstInterval).u16(a.positionsWh.length);
    for (const wh of a.positionsWh) w.i64(wh);
  },
  decode(r) {
    const firstInterval = r.u64('firstInterval');
    const n = r.u16('count');
    if (n < 1 || n > MAX_SCHEDULE_INTERVALS)
      throw badArgs(`positions: 1..${MAX_SCHEDULE_INTERVALS} required, got ${n}`);
    if (firstInterval > U64_MAX - BigInt(n - 1))
      throw badArgs(`intervals ${firstInterval} + ${n - 1} run past the last interval (u64)`);
    const positionsWh: bigint[] = [];
    for (let i = 0; i < n; i++) positionsWh.push(readPosition(r, `positionsWh[${i}]`));
    return { firstInterval, positionsWh };
  },
  // Each interval is one state write, as each meter entry is: one unit per started group of 8.
  gas: (a) => 1 + Math.ceil(a.positionsWh.length / 8),
};

export const METERING_ABI = defineContractAbi(METERING_ID, 'metering', { report, commitSchedule });
