// Writes a day-ahead result as CSV files and one self-contained HTML report with plots.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Schedule } from '../model.ts';
import { aggregateScheduleOf, type DayAheadResult, type FrameworkResult } from '../result.ts';
import type { Tariffs } from '../types.ts';
import { lineChart } from './svg.ts';
import { comparisonTable } from './table.ts';

const csv = (rows: (string | number)[][]) => `${rows.map((r) => r.join(',')).join('\n')}\n`;
const r6 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(6)) : '');

/** Returns the paths written. */
export function writeReport(dir: string, result: DayAheadResult, tariffs: Tariffs): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    written.push(path);
  };
  const list = Object.values(result.frameworks) as FrameworkResult[];
  put(
    'summary.csv',
    csv([
      [
        'framework',
        'total_cost',
        'gap',
        'certified_gap',
        'dual_bound',
        'imbalance_kwh',
        'relative_imbalance',
        'iterations',
        'converged',
        'seconds',
        'messages',
        'bytes',
      ],
      ...list.map((r) => [
        r.framework,
        r6(r.totalCost),
        r.gap === null ? '' : r6(r.gap),
        r.certifiedGap === null || r.certifiedGap === undefined ? '' : r.certifiedGap,
        r.dualBound === null || r.dualBound === undefined ? '' : r6(r.dualBound),
        r6(r.imbalance),
        r6(r.relativeImbalance),
        r.iterations,
        r.converged ? 1 : 0,
        r6(r.seconds),
        r.messages,
        r.bytes,
      ]),
    ]),
  );
  // Per-prosumer bills only where the VPP has them (not for a market that disclosed aggregates only).
  const billed = list.filter((r) => r.prosumers.length > 0);
  if (billed.length > 0) {
    put(
      'prosumer_costs.csv',
      csv([
        ['prosumer', ...billed.flatMap((r) => [`${r.framework}_cost`, `${r.framework}_p2p_payment`])],
        ...billed[0]!.prosumers.map((p) => [
          p.id,
          ...billed.flatMap((r) => {
            const o = r.prosumers.find((x) => x.id === p.id);
            return [o ? r6(o.cost) : '', o ? r6(o.p2pPayment) : ''];
          }),
        ]),
      ]),
    );
  }
  const T = result.scenario.periods;
  put(
    'prices.csv',
    csv([
      ['period', 'retail', 'feed_in', ...list.map((r) => `${r.framework}_price`)],
      ...Array.from({ length: T }, (_, t) => [
        t,
        tariffs.retail[t]!,
        tariffs.feedIn[t]!,
        ...list.map((r) => r6(r.prices[t] ?? Number.NaN)),
      ]),
    ]),
  );
  put(
    'net_position.csv',
    csv([
      ['period', ...list.map((r) => `${r.framework}_net_import_kwh`)],
      ...Array.from({ length: T }, (_, t) => [t, ...list.map((r) => r6(r.netPositionKwh[t]!))]),
    ]),
  );
  const fields = [
    'load',
    'pvUsed',
    'pvCurtailed',
    'generator',
    'charge',
    'discharge',
    'soc',
    'flexible',
    'gridBuy',
    'gridSell',
    'p2pNet',
  ] as const;
  for (const r of list) {
    if (r.prosumers.length > 0) {
      put(
        `schedule_${r.framework}.csv`,
        csv([
          ['prosumer', 'period', ...fields],
          ...r.prosumers.flatMap((p) =>
            Array.from({ length: T }, (_, t) => [p.id, t, ...fields.map((f) => r6(p.schedule[f][t]!))]),
          ),
        ]),
      );
    }
    const vpp = aggregateScheduleOf(r);
    put(
      `vpp_schedule_${r.framework}.csv`,
      csv([
        ['period', ...fields],
        ...Array.from({ length: T }, (_, t) => [t, ...fields.map((f) => r6(vpp[f][t]!))]),
      ]),
    );
    if (r.history.length) {
      put(
        `convergence_${r.framework}.csv`,
        csv([
          ['iteration', 'imbalance_kwh', 'relative_imbalance', 'cost', 'gap', 'certified_gap', 'rho'],
          ...r.history.map((h) => [
            h.iteration,
            r6(h.imbalance),
            h.relativeImbalance,
            r6(h.cost),
            h.gap ?? '',
            h.certifiedGap ?? '',
            h.rho,
          ]),
        ]),
      );
    }
  }
  put('report.html', html(result, tariffs, list));
  return written;
}

function html(result: DayAheadResult, tariffs: Tariffs, list: FrameworkResult[]): string {
  const T = result.scenario.periods;
  const sum = (r: FrameworkResult, f: (s: Schedule, t: number) => number) => {
    const vpp = aggregateScheduleOf(r);
    return Array.from({ length: T }, (_, t) => f(vpp, t));
  };
  const best = result.frameworks.central ?? result.frameworks.weak ?? list[0]!;
  const charts = [
    lineChart(
      'Prices (currency per kWh)',
      [
        { name: 'retail', values: tariffs.retail },
        { name: 'feed-in', values: tariffs.feedIn },
        ...list
          .filter((r) => r.prices.length)
          .map((r) => ({ name: `${r.framework} internal`, values: r.prices })),
      ],
      { xLabel: 'period', yLabel: 'price', step: true },
    ),
    lineChart(
      'VPP net grid position (kWh per period, + import)',
      list.map((r) => ({ name: r.framework, values: r.netPositionKwh })),
      { xLabel: 'period', yLabel: 'kWh', step: true },
    ),
    lineChart(
      `VPP schedule, ${best.framework} (kWh per period)`,
      [
        { name: 'load', values: sum(best, (s, t) => s.load[t]!) },
        { name: 'flexible load', values: sum(best, (s, t) => s.flexible[t]!) },
        { name: 'PV used', values: sum(best, (s, t) => s.pvUsed[t]!) },
        { name: 'battery charge', values: sum(best, (s, t) => s.charge[t]!) },
        { name: 'battery discharge', values: sum(best, (s, t) => s.discharge[t]!) },
        { name: 'grid buy', values: sum(best, (s, t) => s.gridBuy[t]!) },
        { name: 'grid sell', values: sum(best, (s, t) => s.gridSell[t]!) },
        { name: 'P2P sold', values: sum(best, (s, t) => Math.max(s.p2pNet[t]!, 0)) },
      ],
      { xLabel: 'period', yLabel: 'kWh', step: true },
    ),
    lineChart(
      'State of charge, all batteries (kWh)',
      list.map((r) => ({ name: r.framework, values: sum(r, (s, t) => s.soc[t]!) })),
      { xLabel: 'period', yLabel: 'kWh' },
    ),
    ...['weak', 'decentralized']
      .map((f) => result.frameworks[f as 'weak' | 'decentralized'])
      .filter((r): r is FrameworkResult => r !== undefined && r.history.length > 0)
      .map((r) =>
        lineChart(
          `Convergence, ${r.framework}`,
          [
            { name: 'relative imbalance', values: r.history.map((h) => h.relativeImbalance) },
            { name: 'gap to optimum', values: r.history.map((h) => Math.abs(h.gap ?? Number.NaN)) },
            { name: 'certified gap', values: r.history.map((h) => Math.abs(h.certifiedGap ?? Number.NaN)) },
          ],
          { xLabel: 'iteration', yLabel: 'log10', logY: true },
        ),
      ),
  ];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Day-ahead market: ${esc(result.scenario.name)}</title>
<style>body{font-family:sans-serif;max-width:980px;margin:2em auto}pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style>
</head><body>
<h1>Day-ahead market</h1>
<pre>${esc(comparisonTable(result))}</pre>
<p><b>Tariffs:</b> ${esc(tariffs.source)}</p>
${charts.map((c) => `<div>${c}</div>`).join('\n')}
</body></html>
`;
}
