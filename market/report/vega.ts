// Vega-Lite charts rendered to SVG in Node, for reports that are files (no browser, no script: vega's
// headless SVG renderer). The same specs render in the browser with vega's own build. A chart's data is
// written beside it as JSON, so a reader (or a test) can check what is drawn against its source.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type ChartSpec = Record<string, unknown>;

/** Shared look of every chart in the reports (the dashboard's charts.js uses the same values). */
export const CHART_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  background: 'white',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    labelColor: '#3d4650',
    titleColor: '#1b1f24',
    gridColor: '#e8ebef',
    domainColor: '#8a939e',
    tickColor: '#8a939e',
  },
  legend: {
    labelFontSize: 12,
    titleFontSize: 11,
    titleFontWeight: 600,
    orient: 'top',
    symbolStrokeWidth: 2.5,
    symbolSize: 260,
    labelLimit: 0,
    columns: 4,
    columnPadding: 20,
    symbolLimit: 0,
  },
  title: {
    fontSize: 15,
    fontWeight: 600,
    anchor: 'start',
    offset: 10,
    subtitleFontSize: 12,
    subtitleColor: '#5b6470',
  },
  range: {
    category: [
      '#1f6feb',
      '#d1242f',
      '#1a7f37',
      '#bf8700',
      '#8250df',
      '#0a8f8f',
      '#cf5f00',
      '#6e7781',
      '#bc4c9c',
      '#4d7c0f',
    ],
  },
} as const;

/** Dash patterns that tell overlapping series apart where colour alone would not (identical series). */
export const DASHES = [
  [1, 0],
  [7, 3],
  [2, 2],
  [10, 3, 2, 3],
  [4, 4],
  [1, 3],
  [12, 4],
  [6, 2, 2, 2],
];

/** Minutes of the day → a timestamp on a fixed UTC day, for time-of-day axes (formatted %H:%M in UTC). */
export const timeOfDay = (minute: number): number => Date.UTC(2000, 0, 1) + minute * 60_000;

/** A time-of-day x axis for `field` (values from timeOfDay). */
export const timeAxis = (field: string, title = 'time of day') => ({
  field,
  type: 'temporal',
  title,
  scale: { type: 'utc' },
  axis: { format: '%H:%M', tickCount: 8, labelOverlap: true },
});

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const full = { config: CHART_CONFIG, ...spec } as unknown as TopLevelSpec;
  // Warnings would go to the console of a command line tool; errors still throw.
  const quiet = vega.logger(vega.Error);
  const view = new vega.View(vega.parse(compile(full, { logger: quiet }).spec), {
    renderer: 'none',
    logLevel: vega.Error,
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A chart as an HTML figure: the SVG (full width), a caption, and the chart's data as JSON in a
 * <script type="application/json" data-chart-data> (what it draws, for a reader's tools and for tests).
 */
export async function chartFigure(
  name: string,
  spec: ChartSpec,
  data: unknown,
  caption?: string,
): Promise<string> {
  const svg = await renderSvg(spec);
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<figure class="chart" data-chart="${escapeHtml(name)}">${svg}${
    caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : ''
  }<script type="application/json" data-chart-data="${escapeHtml(name)}">${json}</script></figure>`;
}

export { escapeHtml };
