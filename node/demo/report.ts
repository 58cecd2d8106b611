// The run's report.html: one self-contained page (no script, no network) with what was run, the savings
// table, and the dashboard's charts (api/dashboard/charts.js) rendered to SVG — deviations, trades, prices,
// VCG payments, bills, costs per VPP and prosumer, the day-ahead plans — each with its data beside it as
// JSON, and links to the CSVs and each VPP's day-ahead report.
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runCharts } from '../../api/dashboard/charts.js';
import type { PublishedRun } from '../../api/vpps.ts';
import { REPORT_CSS } from '../../market/report/files.ts';
import { chartFigure, escapeHtml as esc } from '../../market/report/vega.ts';
import { clock, type DemoSummary, type RunInfo } from './types.ts';

const money = (x: number) => `${x < 0 ? '−' : ''}£${Math.abs(x).toFixed(4)}`;

export interface ReportInput {
  run: RunInfo;
  published: PublishedRun;
  summary: DemoSummary;
  /** Paths written beside the report (CSVs, day-ahead reports), linked relative to it. */
  files: string[];
}

export async function writeRunReport(dir: string, o: ReportInput): Promise<string> {
  const path = join(dir, 'report.html');
  writeFileSync(path, await runReportHtml(o, dir));
  return path;
}

export async function runReportHtml(o: ReportInput, dir: string): Promise<string> {
  const { run, published, summary } = o;
  // The dashboard's charts fill their container; a file gets a fixed width, scaled to the page by CSS.
  const figures = await Promise.all(
    runCharts(published).map((c) =>
      chartFigure(c.name, { ...c.spec, width: 1000, autosize: { type: 'pad' } }, c.rows),
    ),
  );
  const minutes = summary.intervals * run.minutesPerInterval;
  const vppRows = summary.vpps
    .map(
      (v) =>
        `<tr data-vpp="${esc(v.name)}"><td>${esc(v.name)}</td><td>${v.prosumers}</td><td>${money(v.traditionalGbp)}</td><td>${money(v.p2pGbp)}</td><td class="${v.savingGbp >= 0 ? 'good' : 'bad'}">${v.savingGbp >= 0 ? `${money(v.savingGbp)} saved` : `${money(-v.savingGbp)} extra cost`}</td></tr>`,
    )
    .join('\n');
  const prosumerRows = (published.vpps ?? [])
    .flatMap((v) =>
      (v.prosumerCosts ?? []).map(
        (p) =>
          `<tr><td>${esc(v.name)}</td><td>${esc(p.id)}</td><td>${money(p.traditional)}</td><td>${money(p.p2p)}</td><td class="${p.saving >= 0 ? 'good' : 'bad'}">${p.saving >= 0 ? `${money(p.saving)} saved` : `${money(-p.saving)} extra cost`}</td></tr>`,
      ),
    )
    .join('\n');
  const links = o.files
    .map((f) => relative(dir, f))
    .filter((f) => f !== 'report.html')
    .map((f) => `<li><a href="${esc(f)}">${esc(f)}</a></li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>vppchain run: ${esc(run.name)}</title>
<style>${REPORT_CSS}</style>
</head><body><main>
<h1>${esc(run.name)}</h1>
<p class="lead">${summary.intervals} real-time interval${summary.intervals === 1 ? '' : 's'} of ${run.minutesPerInterval} minutes of the simulated day from ${clock(run.startMinute)} (${minutes} minutes), each ${run.intervalMs / 1000} s on a devnet with ${run.blockTimeMs / 1000} s blocks; bills read after ${run.minConfirmations} confirmations. ${summary.blocks} blocks mined, ${summary.reorgs} reorgs seen. Day-ahead market: ${esc(run.framework)}. Money in GBP (1 token = £1 = 1,000,000 base units).</p>
<h2>Costs: traditional vs P2P</h2>
<p>Over the ${minutes} simulated minutes: the day-ahead plan's share plus real time. <b>Traditional</b>: every prosumer alone against the grid, day-ahead and in real time. <b>P2P</b>: the VPP's day-ahead P2P market plus real-time trading between VPPs. <b>Saving</b> = traditional − P2P.</p>
<table data-testid="summary"><thead><tr><th>VPP</th><th>prosumers</th><th>traditional</th><th>P2P</th><th>saving</th></tr></thead>
<tbody>${vppRows}</tbody></table>
<h2>Interval by interval, savings, day-ahead plans</h2>
${figures.join('\n')}
<h2>Per prosumer</h2>
<table data-testid="prosumers"><thead><tr><th>VPP</th><th>prosumer</th><th>traditional</th><th>P2P</th><th>saving</th></tr></thead>
<tbody>${prosumerRows}</tbody></table>
<h2>Files</h2>
<ul>${links}</ul>
<h2>Terms</h2>
<dl>
<dt>deviation</dt><dd>how far a VPP's prosumers were from their day-ahead plan in an interval: + surplus, − shortfall.</dd>
<dt>VCG payment</dt><dd>the auction's price for a VPP's trade (Vickrey–Clarke–Groves): what its trade is worth to the other VPPs.</dd>
<dt>bill</dt><dd>what a VPP paid (+) or received (−) for an interval, settled in tokens on chain once metered.</dd>
<dt>covered by own batteries</dt><dd>a deviation the VPP's batteries resolved more cheaply than the grid: nothing traded or billed for it.</dd>
</dl>
</main></body></html>
`;
}
