// The day-ahead report's charts as Vega-Lite specs (rendered by vega.ts): clock time on the x axis,
// overlapping series told apart by dash pattern as well as colour, nice round ticks, legends on top, and
// each prosumer's cost per framework. Each chart comes with the rows it draws.
import type { Schedule } from '../model.ts';
import { aggregateScheduleOf, type DayAheadResult, FRAMEWORKS, type FrameworkResult } from '../result.ts';
import type { Tariffs } from '../types.ts';
import { type ChartSpec, DASHES, timeAxis, timeOfDay } from './vega.ts';

export interface Chart {
  name: string;
  spec: ChartSpec;
  rows: Record<string, unknown>[];
  caption?: string;
}

const WIDTH = 980;
const WIDTHS = [4, 2.8, 2, 1.5, 1.2, 1.2, 1.2, 1.2];

interface Series {
  name: string;
  values: readonly number[];
}

/**
 * Period values as steps over the day: one row at the start of each period and a closing row at the end
 * of the last, so the last period is drawn to 24:00.
 */
function stepRows(series: Series[], periodMinutes: number): Record<string, unknown>[] {
  return series.flatMap((s) => {
    const rows = s.values.map((v, t) => ({
      series: s.name,
      time: timeOfDay(t * periodMinutes),
      period: t,
      value: Number.isFinite(v) ? v : null,
    }));
    const last = rows.at(-1);
    if (last)
      rows.push({ ...last, time: timeOfDay(s.values.length * periodMinutes), period: s.values.length });
    return rows;
  });
}

function stepChart(
  name: string,
  title: string,
  subtitle: string,
  yTitle: string,
  series: Series[],
  periodMinutes: number,
  o: { zero?: boolean; height?: number } = {},
): Chart {
  const rows = stepRows(series, periodMinutes);
  const names = series.map((s) => s.name);
  const line = {
    mark: { type: 'line', interpolate: 'step-after', opacity: 0.95 },
    encoding: {
      x: timeAxis('time'),
      y: {
        field: 'value',
        type: 'quantitative',
        title: yTitle,
        scale: { zero: o.zero ?? false, nice: true },
      },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: names } },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: names, range: DASHES.slice(0, names.length) },
      },
      // Wider first, narrower later: identical series show as nested stripes instead of hiding each other.
      strokeWidth: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { type: 'ordinal', domain: names, range: WIDTHS.slice(0, names.length) },
      },
      tooltip: [
        { field: 'series', title: 'series' },
        { field: 'time', type: 'temporal', title: 'from', format: '%H:%M', scale: { type: 'utc' } },
        { field: 'value', type: 'quantitative', title: yTitle, format: '.4~f' },
      ],
    },
  };
  const layers: ChartSpec[] = [line];
  if (o.zero) layers.unshift({ mark: { type: 'rule', color: '#8a939e' }, encoding: { y: { datum: 0 } } });
  return {
    name,
    rows,
    spec: {
      title: { text: title, subtitle },
      width: WIDTH,
      height: o.height ?? 240,
      data: { values: rows },
      layer: layers,
    },
  };
}

const sumOver = (r: FrameworkResult, f: (s: Schedule, t: number) => number, T: number) => {
  const vpp = aggregateScheduleOf(r);
  return Array.from({ length: T }, (_, t) => f(vpp, t));
};

/** Every chart of the day-ahead report. */
export function dayAheadCharts(result: DayAheadResult, tariffs: Tariffs): Chart[] {
  // The same order (and so the same colours) in every chart: traditional first, the baseline.
  const list = FRAMEWORKS.map((f) => result.frameworks[f]).filter(
    (r): r is FrameworkResult => r !== undefined,
  );
  const T = result.scenario.periods;
  const pm = result.scenario.periodMinutes;
  const cur = result.scenario.currency;
  const best = result.frameworks.central ?? result.frameworks.weak ?? list[0]!;
  const charts: Chart[] = [
    stepChart(
      'prices',
      'Prices',
      `${cur} per kWh in each ${pm}-minute period: the grid's tariffs and each market's internal price`,
      `price (${cur}/kWh)`,
      [
        // The markets' prices first: they often coincide, and the first series are drawn widest.
        ...list
          .filter((r) => r.prices.length)
          .map((r) => ({ name: `${r.framework} internal price`, values: r.prices })),
        { name: 'retail (grid sells)', values: tariffs.retail },
        { name: 'feed-in (grid buys)', values: tariffs.feedIn },
      ],
      pm,
    ),
    stepChart(
      'net-position',
      'VPP net position with the grid',
      'kWh per period: + imports from the grid, − exports to it',
      'net import (kWh)',
      list.map((r) => ({ name: r.framework, values: r.netPositionKwh })),
      pm,
      { zero: true },
    ),
    stepChart(
      'supply',
      `Where the VPP's energy comes from (${best.framework})`,
      'kWh per period, all prosumers together',
      'energy (kWh)',
      [
        { name: 'PV used', values: sumOver(best, (s, t) => s.pvUsed[t]!, T) },
        { name: 'battery discharge', values: sumOver(best, (s, t) => s.discharge[t]!, T) },
        { name: 'generator', values: sumOver(best, (s, t) => s.generator[t]!, T) },
        { name: 'grid buy', values: sumOver(best, (s, t) => s.gridBuy[t]!, T) },
      ],
      pm,
      { zero: true },
    ),
    stepChart(
      'demand',
      `Where it goes (${best.framework})`,
      'kWh per period, all prosumers together; P2P traded: what members sold to each other',
      'energy (kWh)',
      [
        { name: 'fixed load', values: sumOver(best, (s, t) => s.load[t]!, T) },
        { name: 'flexible load (EV, heat pump)', values: sumOver(best, (s, t) => s.flexible[t]!, T) },
        { name: 'battery charge', values: sumOver(best, (s, t) => s.charge[t]!, T) },
        { name: 'grid sell', values: sumOver(best, (s, t) => s.gridSell[t]!, T) },
        { name: 'P2P traded', values: sumOver(best, (s, t) => Math.max(s.p2pNet[t]!, 0), T) },
      ],
      pm,
      { zero: true },
    ),
    stepChart(
      'state-of-charge',
      'Battery state of charge',
      'kWh stored at the end of each period, all batteries together',
      'stored (kWh)',
      list.map((r) => ({ name: r.framework, values: sumOver(r, (s, t) => s.soc[t]!, T) })),
      pm,
      { zero: true },
    ),
  ];
  const billed = list.filter((r) => r.prosumers.length > 0);
  if (billed.length > 0) charts.push(prosumerCostChart(billed, cur));
  for (const r of list.filter((x) => x.history.length > 0)) charts.push(convergenceChart(r));
  return charts;
}

/** Each prosumer's day cost (own cost + P2P payments) per framework, as grouped horizontal bars. */
function prosumerCostChart(billed: FrameworkResult[], cur: string): Chart {
  const ids = billed[0]!.prosumers.map((p) => p.id);
  const names = billed.map((r) => r.framework);
  const rows = billed.flatMap((r) =>
    r.prosumers.map((p) => ({
      prosumer: p.id,
      framework: r.framework,
      cost: p.cost,
      p2pPayment: p.p2pPayment,
    })),
  );
  return {
    name: 'prosumer-costs',
    rows,
    spec: {
      title: {
        text: 'Cost per prosumer',
        subtitle: `${cur} for the day: own grid, generator and battery cost plus P2P payments (negative: it earned)`,
      },
      width: WIDTH,
      height: { step: Math.max(8, Math.floor(36 / names.length)) },
      data: { values: rows },
      layer: [
        { mark: { type: 'rule', color: '#8a939e' }, encoding: { x: { datum: 0 } } },
        {
          mark: { type: 'bar', cornerRadiusEnd: 2 },
          encoding: {
            y: { field: 'prosumer', type: 'nominal', title: null, sort: ids },
            yOffset: { field: 'framework', type: 'nominal', scale: { domain: names } },
            x: { field: 'cost', type: 'quantitative', title: `cost (${cur})` },
            color: { field: 'framework', type: 'nominal', title: null, scale: { domain: names } },
            tooltip: [
              { field: 'prosumer' },
              { field: 'framework' },
              { field: 'cost', type: 'quantitative', format: '.4f', title: `cost (${cur})` },
              { field: 'p2pPayment', type: 'quantitative', format: '.4f', title: `P2P payments (${cur})` },
            ],
          },
        },
      ],
    },
  };
}

function convergenceChart(r: FrameworkResult): Chart {
  const kinds = [
    ['relative imbalance', (h: FrameworkResult['history'][number]) => h.relativeImbalance],
    [
      'gap to the optimum',
      (h: FrameworkResult['history'][number]) => (h.gap === null ? Number.NaN : Math.abs(h.gap)),
    ],
    ['certified gap', (h: FrameworkResult['history'][number]) => Math.abs(h.certifiedGap ?? Number.NaN)],
  ] as const;
  const rows = kinds.flatMap(([series, f]) =>
    r.history
      .map((h) => ({ series, iteration: h.iteration, value: f(h) }))
      .filter((x) => Number.isFinite(x.value) && x.value > 0),
  );
  const names = [...new Set(rows.map((x) => x.series))];
  // Grid lines at powers of ten only.
  const exps = rows.map((x) => Math.log10(x.value));
  const decades = Array.from(
    { length: Math.max(1, Math.ceil(Math.max(...exps, 0)) - Math.floor(Math.min(...exps, 0)) + 1) },
    (_, i) => 10 ** (Math.floor(Math.min(...exps, 0)) + i),
  );
  return {
    name: `convergence-${r.framework}`,
    rows,
    spec: {
      title: {
        text: `Convergence of the ${r.framework} market`,
        subtitle: `${r.iterations} iterations, ${r.converged ? 'converged' : 'NOT converged'}; logarithmic scale`,
      },
      width: WIDTH,
      height: 220,
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x: { field: 'iteration', type: 'quantitative', title: 'iteration' },
        y: {
          field: 'value',
          type: 'quantitative',
          title: 'relative value',
          scale: { type: 'log' },
          axis: { format: '.0e', values: decades },
        },
        color: { field: 'series', type: 'nominal', title: null, scale: { domain: names } },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: names, range: DASHES.slice(0, names.length) },
        },
        tooltip: [
          { field: 'series' },
          { field: 'iteration' },
          { field: 'value', type: 'quantitative', format: '.2e' },
        ],
      },
    },
  };
}
