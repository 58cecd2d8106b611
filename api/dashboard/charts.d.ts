// Types of charts.js (plain JavaScript, served to the browser as is) for the TypeScript that imports it
// (node/demo/report.ts renders the same charts into the run's report).
import type { AuctionView } from '../../client/index.ts';
import type { PublishedRun } from '../vpps.ts';

export interface Chart {
  name: string;
  /** A Vega-Lite spec (without the shared config; see withConfig). */
  spec: Record<string, unknown>;
  /** The rows it draws. */
  rows: Record<string, unknown>[];
}

export declare const UNITS_PER_GBP: number;
export declare const CHART_CONFIG: Record<string, unknown>;
export declare function gbp(units: string | number | bigint): number;
export declare function timeOfDay(minute: number): number;
export declare function clock(minute: number): string;
export declare function auctionChart(
  view: Pick<AuctionView, 'interval' | 'bids' | 'prices' | 'clearing'>,
  names?: Map<string, string>,
): Chart;
export declare function runCharts(published: PublishedRun): Chart[];
export declare function withConfig(spec: Record<string, unknown>): Record<string, unknown>;
