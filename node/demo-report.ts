// What the demo prints and publishes (node/system-demo.ts): each interval as it completes, the summary at
// the end, and the VPPs' results file the nodes serve at GET /v1/vpps for the dashboard.
import { renameSync, writeFileSync } from 'node:fs';
import type { VppAgent } from '../agent/agent.ts';
import type { AuctionView } from '../client/index.ts';

export interface IntervalReport {
  interval: string;
  vpps: {
    name: string;
    address: string;
    deviationWh: number;
    bid: { side: string; steps: number; wh: number } | null;
    meteredWh: number;
  }[];
  auction: AuctionView | null;
  /** Timestamps of the clearing block and of its parent: the clearing is the first block at or past the gate. */
  clearingBlockTime: number | null;
  clearingParentTime: number | null;
  bills: {
    name: string;
    total: string;
    lines: { kind: string; wh: string; amount: string }[];
    clearingHeight: number;
    meteringHeight: number;
  }[];
}

export interface DemoSummary {
  intervals: number;
  blocks: number;
  reorgs: number;
  /** Sum of the balances of every genesis account (miners are genesis accounts too) at start and end. */
  supply: { start: string; end: string | null };
  vpps: {
    name: string;
    address: string;
    prosumers: number;
    traditionalGbp: number;
    p2pGbp: number;
    savingGbp: number;
    realtimeUnits: string;
    /** Sum of the VPP's bill totals over the reported intervals, read from its node at the end (null if
     *  the nodes were already gone); independent of the per-interval reports it should agree with. */
    billTotalUnits: string | null;
  }[];
}

const UNITS_PER_GBP = 1_000_000;
const gbp = (units: bigint | string | number) => (Number(units) / UNITS_PER_GBP).toFixed(4);

/** Prints the summary: costs per VPP under traditional and P2P trading, savings, and per prosumer. */
export function logSummary(log: (s: string) => void, summary: DemoSummary, agents: VppAgent[]): void {
  log(
    `\nsummary after ${summary.intervals} intervals: ${summary.blocks} blocks mined, ${summary.reorgs} reorgs seen`,
  );
  log(
    `  costs over the ${summary.intervals} simulated intervals (${5 * summary.intervals} minutes of the day): day-ahead share plus real time`,
  );
  log(
    '  VPP     prosumers  traditional GBP  P2P day-ahead+real-time GBP  saving GBP   real-time bills (base units)',
  );
  for (const v of summary.vpps) {
    log(
      `  ${v.name.padEnd(7)} ${String(v.prosumers).padStart(9)}  ${v.traditionalGbp.toFixed(4).padStart(15)}  ${v.p2pGbp.toFixed(4).padStart(27)}  ${v.savingGbp.toFixed(4).padStart(10)}   ${(v.billTotalUnits ?? '-').padStart(12)}`,
    );
  }
  for (const a of agents) {
    const s = a.ledger.summary();
    log(
      `  ${a.name} prosumers: ${s.prosumers.map((p) => `${p.id} ${p.savingGbp >= 0 ? '+' : ''}${p.savingGbp.toFixed(3)}`).join(', ')}`,
    );
  }
}

/** Prints one completed interval: deviations and bids, the auction's trades and VCG payments, bills. */
export function logInterval(
  log: (s: string) => void,
  r: IntervalReport,
  start: number,
  minuteOfDay: number,
): void {
  const hh = String(Math.floor((minuteOfDay % 1440) / 60)).padStart(2, '0');
  const mm = String(minuteOfDay % 60).padStart(2, '0');
  log(
    `\ninterval ${r.interval} (delivery ${new Date(start).toISOString().slice(11, 19)}, ${hh}:${mm} of the simulated day)`,
  );
  log(
    `  deviations: ${r.vpps.map((v) => `${v.name} ${v.deviationWh >= 0 ? '+' : ''}${v.deviationWh} Wh${v.bid ? ` (${v.bid.side}s ${v.bid.wh} Wh in ${v.bid.steps} steps)` : ''}`).join('; ')}`,
  );
  const c = r.auction?.clearing;
  if (c) {
    const name = (a: string) => r.vpps.find((v) => v.address === a)?.name ?? a.slice(0, 10);
    log(
      `  auction: traded ${c.tradedWh} Wh; VCG: ${
        c.participants
          .filter((p) => p.qtyWh !== '0')
          .map((p) => `${name(p.vpp)} ${p.side === 'buy' ? 'pays' : 'receives'} ${p.payment}`)
          .join(', ') || 'no trades'
      }; deficit ${c.deficit}`,
    );
    log(`  grid residual: sold ${c.grid.soldWh} Wh, bought ${c.grid.boughtWh} Wh (block ${c.height})`);
  } else log('  auction: no bids');
  log(
    `  confirmed bills: ${r.bills.map((b) => `${b.name} ${BigInt(b.total) >= 0n ? '+' : ''}${b.total} (£${gbp(b.total)}; ${b.lines.map((l) => l.kind).join(', ') || 'no lines'})`).join('; ')}`,
  );
}

/** Writes the VPPs' published results (day-ahead prices, state of charge, costs) for GET /v1/vpps. */
export function writeVppSummary(
  file: string,
  agents: VppAgent[],
  framework: string,
  intervals: number,
): void {
  const vpps = agents.map((a) => {
    const s = a.ledger.summary();
    const da = a.context.dayAhead;
    const soc = da.prosumers.reduce<number[]>(
      (acc, p) => p.schedule.soc.map((x, i) => (acc[i] ?? 0) + x),
      [],
    );
    return {
      name: a.name,
      address: a.address,
      prosumers: a.context.scenario.prosumers.length,
      framework,
      intervals,
      traditionalCost: Number(s.total.traditional.totalGbp.toFixed(4)),
      p2pCost: Number(s.total.p2p.totalGbp.toFixed(4)),
      savings: Number(s.total.savingGbp.toFixed(4)),
      prices: da.prices.map((p) => (Number.isFinite(p) ? Number(p.toFixed(5)) : null)),
      soc: soc.map((x) => Number(x.toFixed(3))),
      net: da.netPositionKwh.map((x) => Number(x.toFixed(3))),
    };
  });
  // Written whole and renamed, so a node never serves a half-written file.
  writeFileSync(`${file}.tmp`, JSON.stringify({ updated: Date.now(), vpps }));
  renameSync(`${file}.tmp`, file);
}
