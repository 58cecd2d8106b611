// Plain-text comparison of the frameworks for the terminal.
import type { DayAheadResult, FrameworkResult } from '../result.ts';

const fmt = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
const pct = (x: number | null | undefined, digits = 3) => {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  // Round-off can leave a distributed cost a hair below the optimum: print that as zero, not -0.
  const shown = Math.abs(100 * x) < 0.5 * 10 ** -digits ? 0 : 100 * x;
  return `${shown.toFixed(digits)}%`;
};

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n');
}

/** The comparison of the frameworks as a header and rows of text cells (for the terminal and HTML). */
export function comparisonRows(result: DayAheadResult): {
  header: string[];
  rows: string[][];
  notes: string[];
} {
  const list = Object.values(result.frameworks) as FrameworkResult[];
  const traditional = result.baseline ?? undefined;
  const cur = result.scenario.currency;
  const header = [
    'framework',
    `total ${cur}`,
    'saving vs trad.',
    'gap to optimum',
    'certified gap',
    'imbalance',
    'iterations',
    'converged',
    'seconds',
    'messages',
    'kB',
  ];
  const rows = list.map((r) => [
    r.framework,
    fmt(r.totalCost, 4),
    traditional === undefined ? '-' : pct((traditional - r.totalCost) / Math.abs(traditional), 2),
    pct(r.gap, 4),
    pct(r.certifiedGap, 4),
    r.relativeImbalance.toExponential(1),
    String(r.iterations),
    r.converged ? 'yes' : 'NO',
    fmt(r.seconds, 2),
    String(r.messages),
    fmt(r.bytes / 1024, 0),
  ]);
  const notes: string[] = [];
  for (const r of list) if (r.note) notes.push(`${r.framework}: ${r.note}`);
  for (const r of list) {
    if (r.disclosure === 'aggregates')
      notes.push(`${r.framework}: the VPP learnt sums only; each prosumer keeps its own schedule and bill`);
  }
  return { header, rows, notes };
}

export function comparisonTable(result: DayAheadResult): string {
  const { header, rows, notes } = comparisonRows(result);
  const lines = [
    `${result.scenario.name}: ${result.scenario.prosumers} prosumers, ${result.scenario.periods} periods of ${result.scenario.periodMinutes} min`,
    '',
    pad([header, ...rows]),
  ];
  for (const n of notes) lines.push(`  ${n}`);
  return lines.join('\n');
}

/** Per-prosumer bills side by side (first `limit` prosumers). */
export function prosumerTable(result: DayAheadResult, limit = 40): string {
  // Only frameworks whose per-prosumer bills the VPP has (not a market that disclosed aggregates only).
  const list = (Object.values(result.frameworks) as FrameworkResult[]).filter((r) => r.prosumers.length > 0);
  if (list.length === 0) return '';
  const ids = list[0]!.prosumers.map((p) => p.id);
  const rows = [['prosumer', ...list.map((r) => r.framework)]];
  ids.slice(0, limit).forEach((id) => {
    rows.push([id, ...list.map((r) => fmt(r.prosumers.find((p) => p.id === id)?.cost, 3))]);
  });
  const more = ids.length > limit ? `\n  ... ${ids.length - limit} more (see --out or --json)` : '';
  return `Cost per prosumer (${result.scenario.currency}, own cost plus P2P payments):\n${pad(rows)}${more}`;
}
