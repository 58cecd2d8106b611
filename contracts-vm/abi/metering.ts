// The metering contract's interface (id 3): after delivery the grid reports each VPP's metered deviation
// for an interval. Arguments: interval u64, entry count u16 (1..MAX_METER_ENTRIES), entries of
// (vpp address (20), deviation i64 Wh), each VPP at most once.
import type { Address } from '../../protocol/keys.ts';
import { badArgs, defineContractAbi, type MethodSpec, readAddress, writeAddress } from './define.ts';

export const METERING_ID = 3;
/** Most entries in one report. */
export const MAX_METER_ENTRIES = 256;
/** Bound on |metered deviation| in Wh (keeps every imbalance amount far inside i64). */
export const MAX_DEVIATION_WH = 1_000_000_000_000n;

/** One VPP's metered deviation: + surplus, - deficit against its day-ahead schedule, in Wh. */
export interface MeterEntry {
  vpp: Address;
  deviationWh: bigint;
}

export interface ReportArgs {
  interval: bigint;
  entries: readonly MeterEntry[];
}

const report: MethodSpec<ReportArgs> = {
  id: 0,
  encode(w, a) {
    w.u64(a.interval).u16(a.entries.length);
    for (const e of a.entries) writeAddress(w, e.vpp).i64(e.deviationWh);
  },
  decode(r) {
    const interval = r.u64('interval');
    const n = r.u16('entry count');
    if (n < 1 || n > MAX_METER_ENTRIES) throw badArgs(`entries: 1..${MAX_METER_ENTRIES} required, got ${n}`);
    const entries: MeterEntry[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const vpp = readAddress(r, `entries[${i}].vpp`);
      const deviationWh = r.i64(`entries[${i}].deviationWh`);
      if (deviationWh > MAX_DEVIATION_WH || deviationWh < -MAX_DEVIATION_WH)
        throw badArgs(`entries[${i}].deviationWh out of range`);
      if (seen.has(vpp)) throw badArgs(`entries[${i}].vpp is listed twice`);
      seen.add(vpp);
      entries.push({ vpp, deviationWh });
    }
    return { interval, entries };
  },
  gas: (a) => 1 + Math.ceil(a.entries.length / 8),
};

export const METERING_ABI = defineContractAbi(METERING_ID, 'metering', { report });
