// Reading a rendered Vega chart back from a page, as a person would check it: its axis titles, its legend
// entries, its tick labels, and the rows it was drawn from (the dashboard keeps them in
// window.dashboard.drawn; a report writes them beside the chart as JSON).
import type { Page } from 'playwright-core';

export interface ChartOnPage {
  axisTitles: string[];
  legend: string[];
  ticks: string[];
  marks: number;
  rows: Record<string, unknown>[];
}

/** The little of the DOM the checks use (the project compiles without the DOM's types). */
interface El {
  textContent: string | null;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): ArrayLike<El>;
}
interface PageGlobals {
  document: El;
  dashboard?: { drawn: Map<string, { rows: unknown[] }>; state: { phases: string[] } };
}

export async function readChart(page: Page, name: string): Promise<ChartOnPage> {
  return page.evaluate((n) => {
    const g = globalThis as unknown as PageGlobals;
    const fig = g.document.querySelector(`figure[data-chart="${n}"]`);
    if (!fig) throw new Error(`no chart ${n}`);
    const texts = (sel: string) =>
      Array.from(fig.querySelectorAll(sel))
        .map((t) => t.textContent ?? '')
        .filter(Boolean);
    const fromDashboard = g.dashboard?.drawn.get(n)?.rows;
    const json = fig.querySelector('script[data-chart-data]')?.textContent;
    return {
      axisTitles: texts('.role-axis-title text'),
      legend: texts('.role-legend-label text'),
      ticks: texts('.role-axis-label text'),
      marks: fig.querySelectorAll('.mark-rect path, .mark-line path, .mark-symbol path').length,
      rows: (fromDashboard ?? (json ? JSON.parse(json) : [])) as Record<string, unknown>[],
    };
  }, name);
}

/** What the dashboard keeps for a reader: the rows of a chart, and the phases it has shown in order. */
export async function dashboardState(
  page: Page,
): Promise<{ phases: string[]; rows: (name: string) => Promise<Record<string, unknown>[]> }> {
  const phases = await page.evaluate(
    () => (globalThis as unknown as PageGlobals).dashboard?.state.phases ?? [],
  );
  return {
    phases,
    rows: (name) =>
      page.evaluate(
        (n) =>
          ((globalThis as unknown as PageGlobals).dashboard?.drawn.get(n)?.rows ?? []) as Record<
            string,
            unknown
          >[],
        name,
      ),
  };
}

/** Rows as "key=value" strings, sorted: equal sets of rows compare equal whatever their order. */
export const rowSet = (rows: readonly Record<string, unknown>[], keys: readonly string[]): string[] =>
  rows
    .map((r) =>
      keys
        .map((k) => {
          const v = r[k];
          return `${k}=${typeof v === 'number' ? Number(v.toFixed(9)) : String(v)}`;
        })
        .join(' '),
    )
    .sort();
