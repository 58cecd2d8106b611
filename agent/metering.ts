// The grid operator's side of real time: after delivery it reports what each VPP's meter measured — its
// net position over the interval (+ export / - import, integer Wh) — so bills settle what actually
// happened rather than what was declared; the metering contract measures it against the position the VPP
// committed. In the demo the VPP agents simulate the physics, so the grid reads `Delivery.meteredWh`.

import { MAX_METER_ENTRIES, MAX_POSITION_WH, type MeterEntry } from '../contracts-vm/abi/index.ts';
import type { Address } from '../protocol/keys.ts';

/** A VPP's metered net position for an interval, e.g. `Delivery.meteredWh`. */
export interface MeteredVpp {
  vpp: Address;
  meteredWh: number;
}

/** The metering contract's bound on |net position|. */
export const MAX_METERED_WH = Number(MAX_POSITION_WH);

/** Entries for one interval, ordered by address (canonical), each VPP once; integers and range checked. */
export function meterEntries(vpps: readonly MeteredVpp[]): MeterEntry[] {
  const seen = new Set<Address>();
  const out = vpps.map(({ vpp, meteredWh }) => {
    if (seen.has(vpp)) throw new Error(`${vpp} is listed twice`);
    seen.add(vpp);
    if (!Number.isSafeInteger(meteredWh))
      throw new RangeError(`net position of ${vpp} must be an integer number of Wh (got ${meteredWh})`);
    if (Math.abs(meteredWh) > MAX_METERED_WH)
      throw new RangeError(`net position of ${vpp} exceeds ${MAX_METERED_WH} Wh (got ${meteredWh})`);
    return { vpp, meteredWh: BigInt(meteredWh) };
  });
  return out.sort((a, b) => (a.vpp < b.vpp ? -1 : a.vpp > b.vpp ? 1 : 0));
}

/** Splits entries into report calls of at most MAX_METER_ENTRIES (256) each. */
export function meterBatches(entries: readonly MeterEntry[], max = MAX_METER_ENTRIES): MeterEntry[][] {
  const out: MeterEntry[][] = [];
  for (let i = 0; i < entries.length; i += max) out.push(entries.slice(i, i + max));
  return out;
}

/** How the grid operator's agent reaches the chain (the grid account signs `meterReportCall`). */
export interface MeterPort {
  /** Submits metering.report(interval, entries); resolves to the transaction hash. */
  reportMetering(interval: bigint, entries: readonly MeterEntry[]): Promise<string>;
}

/** The grid operator's agent: meters every VPP after delivery. */
export class GridMeteringAgent {
  readonly port: MeterPort;
  constructor(port: MeterPort) {
    this.port = port;
  }

  /** Reports the VPPs' metered net positions for interval k; resolves to the transaction hashes. */
  async meter(k: bigint, vpps: readonly MeteredVpp[]): Promise<string[]> {
    const hashes: string[] = [];
    for (const batch of meterBatches(meterEntries(vpps)))
      hashes.push(await this.port.reportMetering(k, batch));
    return hashes;
  }
}
