// Writes a day-ahead result as CSV files (csv-stringify: quoted where needed) and one self-contained HTML
// report: the comparison as a table, then full-width charts (Vega-Lite rendered to SVG, clock time on the
// x axis, each chart's data beside it as JSON). Opens in any browser without a network or a script.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CsvCell, toCsv } from '../csv.ts';
import { aggregateScheduleOf, type DayAheadResult, type FrameworkResult } from '../result.ts';
import type { Tariffs } from '../types.ts';
import { dayAheadCharts } from './charts.ts';
import { comparisonRows } from './table.ts';
import { chartFigure, escapeHtml } from './vega.ts';

const r6 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(6)) : '');
const clock = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** Writes the CSVs and report.html into `dir`; returns the paths written. */
export async function writeReport(dir: string, result: DayAheadResult, tariffs: Tariffs): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    written.push(path);
  };
  const csv = (rows: CsvCell[][]) => toCsv(rows);
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
        r.certifiedGap ?? '',
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
  const start = (t: number) => clock(t * result.scenario.periodMinutes);
  put(
    'prices.csv',
    csv([
      ['period', 'start', 'retail', 'feed_in', ...list.map((r) => `${r.framework}_price`)],
      ...Array.from({ length: T }, (_, t) => [
        t,
        start(t),
        tariffs.retail[t]!,
        tariffs.feedIn[t]!,
        ...list.map((r) => r6(r.prices[t] ?? Number.NaN)),
      ]),
    ]),
  );
  put(
    'net_position.csv',
    csv([
      ['period', 'start', ...list.map((r) => `${r.framework}_net_import_kwh`)],
      ...Array.from({ length: T }, (_, t) => [t, start(t), ...list.map((r) => r6(r.netPositionKwh[t]!))]),
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
          ['prosumer', 'period', 'start', ...fields],
          ...r.prosumers.flatMap((p) =>
            Array.from({ length: T }, (_, t) => [
              p.id,
              t,
              start(t),
              ...fields.map((f) => r6(p.schedule[f][t]!)),
            ]),
          ),
        ]),
      );
    }
    const vpp = aggregateScheduleOf(r);
    put(
      `vpp_schedule_${r.framework}.csv`,
      csv([
        ['period', 'start', ...fields],
        ...Array.from({ length: T }, (_, t) => [t, start(t), ...fields.map((f) => r6(vpp[f][t]!))]),
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
  put('report.html', await reportHtml(result, tariffs));
  return written;
}

/** The page's styles, shared with the system run's report (node/demo/report.ts). */
export const REPORT_CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0;background:#f6f7f9}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px;background:#fff;min-height:100vh}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
p.lead{color:#5b6470;margin:0 0 16px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;margin:8px 0}
th,td{padding:5px 8px;border-bottom:1px solid #eef0f3;text-align:right}
table{font-size:14px}td{white-space:nowrap}th{vertical-align:bottom}
th{background:#f6f7f9;font-weight:600}th:first-child,td:first-child{text-align:left}
td.good{color:#1a7f37;font-weight:600}td.bad{color:#cf222e;font-weight:600}
figure.chart{margin:20px 0;padding:0}figure.chart svg{width:100%;height:auto;display:block}
figcaption{color:#5b6470;font-size:13px;margin-top:4px}
ul.notes{color:#5b6470;font-size:14px}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dt{font-weight:600}dd{margin:0}
a{color:#0969da}`;

async function reportHtml(result: DayAheadResult, tariffs: Tariffs): Promise<string> {
  const { header, rows, notes } = comparisonRows(result);
  const s = result.scenario;
  const figures = await Promise.all(
    dayAheadCharts(result, tariffs).map((c) => chartFigure(c.name, c.spec, c.rows, c.caption)),
  );
  const cell = (x: string, c: number) => {
    if (c === 2 && x !== '-' && !x.startsWith('0.00'))
      return `<td class="${x.startsWith('-') ? 'bad' : 'good'}">${escapeHtml(x)}</td>`;
    if (c === 7 && x === 'NO') return '<td class="bad">NO</td>';
    return `<td>${escapeHtml(x)}</td>`;
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Day-ahead market: ${escapeHtml(s.name)}</title>
<style>${REPORT_CSS}</style>
</head><body><main>
<h1>Day-ahead market</h1>
<p class="lead">${escapeHtml(s.name)}: ${s.prosumers} prosumers, ${s.periods} periods of ${s.periodMinutes} minutes. Costs in ${escapeHtml(s.currency)} for the whole day; the traditional market (every prosumer alone against the grid) is the baseline for savings.</p>
<table data-testid="summary"><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n')}</tbody></table>
${notes.length ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
<p><b>Tariffs:</b> ${escapeHtml(tariffs.source)}</p>
${figures.join('\n')}
</main></body></html>
`;
}
