// The Grafana boards of docs/grafana/, read as Grafana reads them: their panels (rows' panels included),
// every query of every panel and query variable, and the metric family a sample name belongs to. Shared
// by the tests that stand in for Grafana (grafana.test.ts, node/operations-doc.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BOARD_DIR = new URL('../../../docs/grafana/', import.meta.url).pathname;

export interface Target {
  expr: string;
  legendFormat?: string;
  refId: string;
  datasource?: { type: string; uid: string };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
export interface Board {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}

/** Every board in docs/grafana/, with its file name. */
export const boards: [string, Board][] = readdirSync(BOARD_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(BOARD_DIR, f), 'utf8')) as Board]);

export const panelsOf = (b: Board): Panel[] => b.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** Every query of a board: each panel's targets, and each query variable's expression. */
export const queriesOf = (b: Board): { where: string; expr: string; legend?: string }[] => [
  ...panelsOf(b).flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      where: `panel "${p.title}" ${t.refId}`,
      expr: t.expr,
      legend: t.legendFormat,
    })),
  ),
  ...b.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const q = typeof v.query === 'string' ? v.query : v.query.query;
      return { where: `variable ${v.name}`, expr: q.replace(/^\s*label_values\((.*),\s*\w+\)\s*$/, '$1') };
    }),
];

/** The family a sample name belongs to (histograms export name_bucket, name_sum and name_count). */
export const familyOf = (name: string, families: Map<string, string>): string | undefined => {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return families.get(base) === 'histogram' ? base : undefined;
};
