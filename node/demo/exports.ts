// The run's results as files a researcher keeps: intervals.csv (every interval and VPP), bills.csv (each
// VPP's confirmed bill and each prosumer's share of it), savings.csv (traditional vs P2P per VPP and per
// prosumer), and each VPP's day-ahead outputs (market/report: CSVs and report.html). Money in GBP with six
// decimals (exact: 1 base unit = £0.000001) and in base units where it was settled on chain; signs say
// who pays: + paid, − received. Written atomically (temporary file, rename).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VppAgent } from '../../agent/agent.ts';
import type { VppDayAhead } from '../../agent/scenarios.ts';
import { type CsvCell, toCsv } from '../../market/csv.ts';
import { writeReport } from '../../market/report/files.ts';
import type { Tariffs } from '../../market/types.ts';
import { clock, type IntervalReport, type RunInfo } from './types.ts';

/** Base units → GBP as an exact decimal string. */
export const gbp6 = (units: bigint): string => {
  const neg = units < 0n;
  const a = neg ? -units : units;
  return `${neg ? '-' : ''}${a / 1_000_000n}.${String(a % 1_000_000n).padStart(6, '0')}`;
};
const f6 = (x: number) => (Number.isFinite(x) ? x.toFixed(6) : '');

function put(dir: string, name: string, rows: CsvCell[][]): string {
  const path = join(dir, name);
  writeFileSync(`${path}.tmp`, toCsv(rows));
  renameSync(`${path}.tmp`, path);
  return path;
}

/** Which minute of which day an interval covers: "day, start, end" columns. */
const when = (r: IntervalReport) => [
  Math.floor(r.minute / 1440),
  clock(r.minute),
  clock(r.minute + r.minutes),
];

export function intervalsRows(reports: readonly IntervalReport[]): CsvCell[][] {
  const rows: CsvCell[][] = [
    [
      'run_interval',
      'chain_interval',
      'day',
      'start',
      'end',
      'vpp',
      'deviation_wh',
      'bid_side',
      'bid_wh',
      'bid_steps',
      'traded_wh',
      'vcg_payment_gbp',
      'grid_wh',
      'grid_payment_gbp',
      'own_batteries_wh',
      'metered_net_position_wh',
      'bill_paid_gbp',
      'auction_traded_wh',
      'vcg_deficit_gbp',
      'clearing_block',
    ],
  ];
  for (const r of reports) {
    const c = r.auction?.clearing ?? null;
    r.vpps.forEach((v, i) => {
      const p = c?.participants.find((x) => x.vpp === v.address);
      const sign = p?.side === 'sell' ? -1n : 1n;
      const bill = r.bills[i];
      rows.push([
        r.n,
        r.interval,
        ...when(r),
        v.name,
        v.deviationWh,
        v.bid?.side ?? '',
        v.bid?.wh ?? 0,
        v.bid?.steps ?? 0,
        p?.qtyWh ?? 0,
        p ? gbp6(sign * BigInt(p.payment)) : gbp6(0n),
        p?.gridWh ?? 0,
        p ? gbp6(sign * BigInt(p.gridPayment)) : gbp6(0n),
        Math.abs(v.ownWh),
        v.meteredWh,
        bill ? gbp6(-BigInt(bill.total)) : '',
        c?.tradedWh ?? 0,
        c ? gbp6(BigInt(c.deficit)) : gbp6(0n),
        c?.height ?? '',
      ]);
    });
  }
  return rows;
}

/** Each VPP's confirmed bill (its lines by kind) and each prosumer's share, per interval. */
export function billsRows(reports: readonly IntervalReport[], agents: readonly VppAgent[]): CsvCell[][] {
  const rows: CsvCell[][] = [
    [
      'level',
      'vpp',
      'prosumer',
      'run_interval',
      'chain_interval',
      'day',
      'start',
      'end',
      'deviation_wh',
      'auction_wh',
      'auction_gbp',
      'grid_wh',
      'grid_gbp',
      'imbalance_wh',
      'imbalance_gbp',
      'unpaid_gbp',
      'battery_credit_gbp',
      'paid_gbp',
      'paid_base_units',
    ],
  ];
  for (const r of reports) {
    r.bills.forEach((b, i) => {
      const sum = (prefix: string) => {
        let wh = 0n;
        let amount = 0n;
        for (const l of b.lines)
          if (l.kind.startsWith(prefix)) {
            wh += BigInt(l.wh);
            amount += BigInt(l.amount);
          }
        return { wh, paid: -amount };
      };
      const auction = sum('auction');
      const grid = sum('grid');
      const imbalance = sum('imbalance');
      const unpaid = sum('unpaid');
      const paid = -BigInt(b.total);
      rows.push([
        'vpp',
        b.name,
        '',
        r.n,
        r.interval,
        ...when(r),
        r.vpps[i]?.deviationWh ?? '',
        auction.wh,
        gbp6(auction.paid),
        grid.wh,
        gbp6(grid.paid),
        imbalance.wh,
        gbp6(imbalance.paid),
        gbp6(unpaid.paid),
        '',
        gbp6(paid),
        paid,
      ]);
      const agent = agents.find((a) => a.name === b.name);
      if (!agent) return;
      agent.ledger.ids.forEach((id, p) => {
        const e = agent.ledger.entries[p]!.find((x) => x.interval === BigInt(r.interval));
        if (!e) return;
        rows.push([
          'prosumer',
          b.name,
          id,
          r.n,
          r.interval,
          ...when(r),
          e.deviationWh,
          '',
          '',
          '',
          '',
          '',
          '',
          '',
          gbp6(e.redispatchUnits),
          gbp6(e.realtimeUnits),
          e.realtimeUnits,
        ]);
      });
    });
  }
  return rows;
}

/** Traditional vs P2P per VPP and per prosumer over the run (GBP). */
export function savingsRows(agents: readonly VppAgent[]): CsvCell[][] {
  const rows: CsvCell[][] = [
    [
      'level',
      'vpp',
      'prosumer',
      'intervals',
      'traditional_day_ahead_gbp',
      'traditional_real_time_gbp',
      'traditional_gbp',
      'p2p_day_ahead_gbp',
      'p2p_real_time_gbp',
      'p2p_battery_credit_gbp',
      'p2p_gbp',
      'saving_gbp',
    ],
  ];
  for (const a of agents) {
    const s = a.ledger.summary();
    const line = (level: string, prosumer: string, t: (typeof s)['total']) => [
      level,
      a.name,
      prosumer,
      s.intervals,
      f6(t.traditional.dayAheadGbp),
      f6(t.traditional.realtimeGbp),
      f6(t.traditional.totalGbp),
      f6(t.p2p.dayAheadGbp),
      f6(t.p2p.realtimeGbp),
      f6(t.p2p.redispatchGbp),
      f6(t.p2p.totalGbp),
      f6(t.savingGbp),
    ];
    rows.push(line('vpp', '', s.total));
    for (const p of s.prosumers) rows.push(line('prosumer', p.id, p));
  }
  return rows;
}

export const EXPORTS = ['intervals.csv', 'bills.csv', 'savings.csv'] as const;

/** Writes the three CSVs into `dir`; returns their paths. */
export function writeRunCsvs(
  dir: string,
  reports: readonly IntervalReport[],
  agents: readonly VppAgent[],
): string[] {
  mkdirSync(dir, { recursive: true });
  return [
    put(dir, 'intervals.csv', intervalsRows(reports)),
    put(dir, 'bills.csv', billsRows(reports, agents)),
    put(dir, 'savings.csv', savingsRows(agents)),
  ];
}

/** Each VPP's day-ahead outputs in dir/dayahead/<vpp>/ (CSVs and report.html); returns the report paths. */
export async function writeDayAheadOutputs(
  dir: string,
  vpps: readonly { name: string; dayAhead: VppDayAhead; tariffs: Tariffs }[],
): Promise<string[]> {
  const out: string[] = [];
  for (const v of vpps) {
    const sub = join(dir, 'dayahead', v.name.replace(/[^A-Za-z0-9._-]+/g, '_'));
    await writeReport(sub, v.dayAhead.all, v.tariffs);
    out.push(join(sub, 'report.html'));
  }
  return out;
}

export type { RunInfo };
