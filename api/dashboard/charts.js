// The system's charts as Vega-Lite specs, built from what the VPP agents publish (GET /v1/vpps) and from
// an auction's view (GET /v1/auctions/:k). One module for two readers: the dashboard renders them in the
// browser (vega's own build), and the run's report.html renders them to SVG in Node (node/demo/report.ts),
// so both show the same pictures. Plain JavaScript (an ES module served as is; charts.d.ts types it).
// Money is GBP (1 token = 1,000,000 base units = £1), energy Wh, time the time of day the interval stands for.

export const UNITS_PER_GBP = 1_000_000;

/** Shared look (the same values as market/report/vega.ts's CHART_CONFIG). */
export const CHART_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  background: 'white',
  padding: 6,
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
    labelLimit: 0,
    columns: 4,
    columnPadding: 20,
  },
  title: {
    fontSize: 14,
    fontWeight: 600,
    anchor: 'start',
    offset: 8,
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
};

const DASHES = [
  [1, 0],
  [7, 3],
  [2, 2],
  [10, 3, 2, 3],
  [4, 4],
  [1, 3],
];

/** GBP from base units (a string, number or bigint). */
export const gbp = (units) => Number(units) / UNITS_PER_GBP;

/** Minutes (from 00:00 of the run's first day) → a timestamp on a fixed UTC day, formatted %H:%M. */
export const timeOfDay = (minute) => Date.UTC(2000, 0, 1) + minute * 60_000;

/** "HH:MM" of a minute count (wrapping at midnight). */
export const clock = (minute) => {
  const m = ((minute % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

const timeAxis = (field, title = 'time of day') => ({
  field,
  type: 'temporal',
  title,
  scale: { type: 'utc' },
  axis: { format: '%H:%M', tickCount: 8, labelOverlap: true },
});

/** The x axis of per-interval bars: each interval's start time, in run order. */
const intervalAxis = {
  field: 'time',
  type: 'ordinal',
  title: 'interval (time of day it stands for)',
  sort: { field: 'n' },
  axis: { labelAngle: 0, labelOverlap: 'parity' },
};

const zeroRule = (channel) => ({
  mark: { type: 'rule', color: '#8a939e' },
  encoding: { [channel]: { datum: 0 } },
});

function groupedBars({ name, title, subtitle, yTitle, rows, vpps, format, axisFormat, height }) {
  return {
    name,
    rows,
    spec: {
      title: { text: title, subtitle },
      width: 'container',
      height: height ?? 220,
      autosize: { type: 'fit-x', contains: 'padding' },
      data: { values: rows },
      layer: [
        zeroRule('y'),
        {
          mark: { type: 'bar', cornerRadiusEnd: 2 },
          encoding: {
            x: intervalAxis,
            xOffset: { field: 'vpp', type: 'nominal', scale: { domain: vpps } },
            y: { field: 'value', type: 'quantitative', title: yTitle, axis: { format: axisFormat } },
            color: { field: 'vpp', type: 'nominal', title: null, scale: { domain: vpps } },
            tooltip: [
              { field: 'vpp', title: 'VPP' },
              { field: 'n', title: 'interval of the run' },
              { field: 'time', title: 'time of day' },
              { field: 'value', type: 'quantitative', title: yTitle, format },
            ],
          },
        },
      ],
    },
  };
}

const WIDTHS = [4.5, 3, 2, 1.5, 1.2, 1.2, 1.2, 1.2];

function linesOverDay({
  name,
  title,
  subtitle,
  yTitle,
  rows,
  series,
  format,
  zero,
  step,
  perInterval: byInterval,
}) {
  const layer = [
    {
      mark: { type: 'line', interpolate: step ? 'step-after' : 'linear', point: !step },
      encoding: {
        // Per interval: the interval's start on a band axis (a few minutes of the day would repeat 11:00).
        x: byInterval ? { ...intervalAxis, title: 'interval (time of day it stands for)' } : timeAxis('t'),
        // Wider first, narrower later: series on the same values show as nested stripes.
        strokeWidth: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { type: 'ordinal', domain: series, range: series.map((_, i) => WIDTHS[i % WIDTHS.length]) },
        },
        y: {
          field: 'value',
          type: 'quantitative',
          title: yTitle,
          scale: { zero: Boolean(zero), nice: true },
        },
        color: { field: 'series', type: 'nominal', title: null, scale: { domain: series } },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: series, range: series.map((_, i) => DASHES[i % DASHES.length]) },
        },
        tooltip: [
          { field: 'series' },
          { field: 'time', title: 'time of day' },
          { field: 'value', type: 'quantitative', title: yTitle, format },
        ],
      },
    },
  ];
  if (zero) layer.unshift(zeroRule('y'));
  return {
    name,
    rows,
    spec: {
      title: { text: title, subtitle },
      width: 'container',
      height: 220,
      autosize: { type: 'fit-x', contains: 'padding' },
      data: { values: rows },
      layer,
    },
  };
}

function costBars({ name, title, subtitle, rows, groupField, groupTitle, groups, horizontal }) {
  const kinds = ['traditional', 'P2P'];
  const group = { field: groupField, type: 'nominal', title: groupTitle, sort: groups };
  const value = { field: 'gbp', type: 'quantitative', title: 'cost (GBP; negative: earned)' };
  const offset = { field: 'kind', type: 'nominal', scale: { domain: kinds } };
  const encoding = horizontal
    ? { y: group, yOffset: offset, x: value }
    : { x: group, xOffset: offset, y: value };
  if (!horizontal) group.axis = { labelAngle: 0 };
  return {
    name,
    rows,
    spec: {
      title: { text: title, subtitle },
      width: 'container',
      height: horizontal ? { step: 22 } : 220,
      autosize: { type: 'fit-x', contains: 'padding' },
      data: { values: rows },
      layer: [
        zeroRule(horizontal ? 'x' : 'y'),
        {
          mark: { type: 'bar', cornerRadiusEnd: 2 },
          encoding: {
            ...encoding,
            color: {
              field: 'kind',
              type: 'nominal',
              title: null,
              scale: { domain: kinds, range: ['#8a939e', '#1a7f37'] },
              legend: { labelExpr: "datum.label === 'P2P' ? 'P2P day-ahead + real time' : 'traditional'" },
            },
            tooltip: [
              { field: groupField, title: groupTitle },
              { field: 'kind', title: 'trading' },
              { field: 'gbp', type: 'quantitative', title: 'cost (GBP)', format: '.4f' },
              { field: 'saving', type: 'quantitative', title: 'saving (GBP)', format: '+.4f' },
            ],
          },
        },
      ],
    },
  };
}

/**
 * The auction of one interval as supply and demand steps: buy bids from the highest price down, sell
 * bids from the lowest up (each step a VPP's block), the grid's prices, and the energy traded.
 */
export function auctionChart(view, names = new Map()) {
  const steps = (side) => {
    const out = [];
    for (const b of view.bids ?? [])
      if (b.side === side)
        for (const s of b.steps)
          out.push({ vpp: names.get(b.vpp) ?? b.vpp.slice(0, 10), qty: s.qty, price: s.price });
    out.sort((x, y) => (side === 'buy' ? y.price - x.price : x.price - y.price));
    return out;
  };
  const rows = [];
  const curve = (series, list) => {
    let q = 0;
    for (const s of list) {
      rows.push({ series, wh: q, price: gbp(s.price), vpp: s.vpp, stepWh: s.qty });
      q += s.qty;
    }
    if (list.length)
      rows.push({ series, wh: q, price: gbp(list.at(-1).price), vpp: list.at(-1).vpp, stepWh: 0 });
    return q;
  };
  const demand = curve('demand (buy bids)', steps('buy'));
  const supply = curve('supply (sell bids)', steps('sell'));
  const total = Math.max(1, demand, supply);
  for (const [series, price] of [
    ['grid sells at', view.prices.gridSellPrice],
    ['grid buys at', view.prices.gridBuyPrice],
  ]) {
    rows.push({ series, wh: 0, price: gbp(price), vpp: 'grid', stepWh: 0 });
    rows.push({ series, wh: total, price: gbp(price), vpp: 'grid', stepWh: 0 });
  }
  const traded = view.clearing ? Number(view.clearing.tradedWh) : 0;
  const series = ['demand (buy bids)', 'supply (sell bids)', 'grid sells at', 'grid buys at'];
  const top = Math.max(...rows.map((r) => r.price)) * 1.08;
  const encoding = {
    x: { field: 'wh', type: 'quantitative', title: 'energy (Wh, cumulative over the steps)' },
    y: {
      field: 'price',
      type: 'quantitative',
      title: 'price (GBP per kWh)',
      scale: { domain: [0, top], nice: true },
    },
    color: {
      field: 'series',
      type: 'nominal',
      title: null,
      scale: { domain: series, range: ['#1f6feb', '#d1242f', '#cf5f00', '#1a7f37'] },
    },
    strokeDash: {
      field: 'series',
      type: 'nominal',
      title: null,
      scale: {
        domain: series,
        range: [
          [1, 0],
          [1, 0],
          [6, 4],
          [6, 4],
        ],
      },
    },
    tooltip: [
      { field: 'series' },
      { field: 'vpp', title: 'VPP' },
      { field: 'price', type: 'quantitative', title: 'price (GBP/kWh)', format: '.4f' },
      { field: 'stepWh', type: 'quantitative', title: 'step (Wh)' },
      { field: 'wh', type: 'quantitative', title: 'from (Wh)' },
    ],
  };
  // The grid's lines first, under the bids' steps (a buyer's last step is often at the grid's price).
  const layer = [
    {
      transform: [{ filter: "indexof(datum.series, 'grid') === 0" }],
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding,
    },
    {
      transform: [{ filter: "indexof(datum.series, 'grid') !== 0" }],
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 3 },
      encoding,
    },
  ];
  if (traded > 0)
    layer.push({
      data: { values: [{ wh: traded, label: `traded ${traded.toLocaleString('en-GB')} Wh` }] },
      layer: [
        {
          mark: { type: 'rule', color: '#8250df', strokeWidth: 1.5, strokeDash: [3, 3] },
          encoding: { x: { field: 'wh', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: 10, color: '#8250df', fontSize: 11 },
          encoding: { x: { field: 'wh', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
        },
      ],
    });
  return {
    name: 'auction',
    rows,
    spec: {
      title: {
        text: `Auction of interval ${view.interval}`,
        subtitle: 'each VPP bids its deviation in steps; the VCG auction trades where demand is above supply',
      },
      width: 'container',
      height: 280,
      autosize: { type: 'fit-x', contains: 'padding' },
      data: { values: rows },
      layer,
    },
  };
}

/** Rows of one per-interval quantity per VPP. */
function perInterval(published, f) {
  const rows = [];
  for (const it of published.intervals ?? [])
    for (const v of it.vpps) {
      const value = f(v, it);
      if (value !== null && value !== undefined)
        rows.push({ n: it.n, time: clock(it.minute), vpp: v.name, value });
    }
  return rows;
}

/** The run's charts (history, savings, day-ahead plans) from what the agents published. */
export function runCharts(published) {
  const vpps = (published.vpps ?? []).map((v) => v.name);
  const charts = [];
  if ((published.intervals ?? []).length > 0) {
    charts.push(
      groupedBars({
        name: 'deviations',
        title: 'Deviations from the day-ahead plan',
        subtitle: 'per interval and VPP, before trading: + surplus (more energy than planned), − shortfall',
        yTitle: 'deviation (Wh)',
        rows: perInterval(published, (v) => v.deviationWh),
        vpps,
        format: '+,',
        axisFormat: ',d',
      }),
      groupedBars({
        name: 'traded',
        title: 'Energy traded between VPPs',
        subtitle: 'in the real-time auction: + sold to other VPPs, − bought from them',
        yTitle: 'traded (Wh)',
        rows: perInterval(published, (v) => (v.side === 'sell' ? 1 : -1) * Number(v.tradedWh)),
        vpps,
        format: '+,',
        axisFormat: ',d',
      }),
    );
    const priceRows = [];
    for (const it of published.intervals) {
      const t = timeOfDay(it.minute);
      priceRows.push({
        series: 'grid sells at',
        n: it.n,
        t,
        time: clock(it.minute),
        value: gbp(it.gridSellPrice),
      });
      priceRows.push({
        series: 'grid buys at',
        n: it.n,
        t,
        time: clock(it.minute),
        value: gbp(it.gridBuyPrice),
      });
      for (const v of it.vpps)
        if (Number(v.tradedWh) > 0)
          priceRows.push({
            series: `${v.name} ${v.side === 'sell' ? 'received' : 'paid'}`,
            n: it.n,
            t,
            time: clock(it.minute),
            value: Math.abs(gbp(v.paymentUnits)) / (Number(v.tradedWh) / 1000),
          });
    }
    const priceSeries = [...new Set(priceRows.map((r) => r.series))];
    charts.push(
      linesOverDay({
        name: 'prices',
        title: 'Real-time prices',
        subtitle: [
          "the grid's prices, and what each VPP paid or received",
          'per kWh it traded in the auction (its VCG payment ÷ energy)',
        ],
        perInterval: true,
        yTitle: 'price (GBP per kWh)',
        rows: priceRows,
        series: priceSeries,
        format: '.4f',
        zero: true,
      }),
      groupedBars({
        name: 'payments',
        title: 'VCG payments',
        subtitle: 'what each VPP paid (+) or received (−) for the energy it traded in the auction',
        yTitle: 'payment (GBP)',
        rows: perInterval(published, (v) => (Number(v.tradedWh) > 0 ? gbp(v.paymentUnits) : null)),
        vpps,
        format: '+.4f',
        axisFormat: '.4~f',
      }),
      groupedBars({
        name: 'bills',
        title: 'Bills',
        subtitle:
          'each VPP\u2019s confirmed bill per interval: auction, grid and imbalance together; + paid, − received',
        yTitle: 'bill (GBP)',
        rows: perInterval(published, (v) => (v.billUnits === null ? null : -gbp(v.billUnits))),
        vpps,
        format: '+.4f',
        axisFormat: '.4~f',
      }),
    );
  }
  const vppCosts = [];
  for (const v of published.vpps ?? [])
    if (typeof v.traditionalCost === 'number' && typeof v.p2pCost === 'number') {
      vppCosts.push({ vpp: v.name, kind: 'traditional', gbp: v.traditionalCost, saving: v.savings ?? 0 });
      vppCosts.push({ vpp: v.name, kind: 'P2P', gbp: v.p2pCost, saving: v.savings ?? 0 });
    }
  if (vppCosts.length && (published.run?.completed ?? 0) > 0) {
    const minutes = (published.run?.completed ?? 0) * (published.run?.minutesPerInterval ?? 5);
    charts.push(
      costBars({
        name: 'savings-vpp',
        title: 'Cost per VPP so far: traditional vs P2P',
        subtitle: `the ${minutes} simulated minutes so far, day-ahead share plus real time; lower is better, the gap is the saving`,
        rows: vppCosts,
        groupField: 'vpp',
        groupTitle: 'VPP',
        groups: vpps,
      }),
    );
    const prosumerRows = [];
    const order = [];
    for (const v of published.vpps ?? [])
      for (const p of v.prosumerCosts ?? []) {
        const who = `${v.name} · ${p.id}`;
        order.push(who);
        prosumerRows.push({
          prosumer: who,
          vpp: v.name,
          kind: 'traditional',
          gbp: p.traditional,
          saving: p.saving,
        });
        prosumerRows.push({ prosumer: who, vpp: v.name, kind: 'P2P', gbp: p.p2p, saving: p.saving });
      }
    if (prosumerRows.length)
      charts.push(
        costBars({
          name: 'savings-prosumer',
          title: 'Cost per prosumer so far: traditional vs P2P',
          subtitle: [
            'grey: alone against the grid; green: with P2P trading. Lower is better:',
            'a green bar left of its grey one is a saving, right of it an extra cost (negative costs were earned)',
          ],
          rows: prosumerRows,
          groupField: 'prosumer',
          groupTitle: 'prosumer',
          groups: order,
          horizontal: true,
        }),
      );
  }
  const dayAhead = (field, f) => {
    const rows = [];
    for (const v of published.vpps ?? []) {
      const values = v[field];
      if (!Array.isArray(values)) continue;
      const pm = v.periodMinutes ?? 1440 / values.length;
      values.forEach((x, t) => {
        if (x !== null) rows.push({ series: v.name, t: timeOfDay(t * pm), time: clock(t * pm), value: f(x) });
      });
      const last = values.at(-1);
      if (last !== null && last !== undefined)
        rows.push({ series: v.name, t: timeOfDay(1440), time: '24:00', value: f(last) });
    }
    return rows;
  };
  const daSeries = vpps;
  if ((published.vpps ?? []).some((v) => Array.isArray(v.prices)))
    charts.push(
      linesOverDay({
        name: 'dayahead-prices',
        title: 'Day-ahead internal prices',
        subtitle: 'the price each VPP\u2019s P2P market settled on for each period of the day',
        yTitle: 'price (GBP per kWh)',
        rows: dayAhead('prices', (x) => x),
        series: daSeries,
        format: '.4f',
        step: true,
      }),
      linesOverDay({
        name: 'dayahead-net',
        title: 'Day-ahead net position with the grid',
        subtitle: 'what each VPP planned to exchange with the grid per period: + import, − export',
        yTitle: 'net import (kWh per period)',
        rows: dayAhead('net', (x) => x),
        series: daSeries,
        format: '+.3f',
        zero: true,
        step: true,
      }),
      linesOverDay({
        name: 'dayahead-soc',
        title: 'Planned battery state of charge',
        subtitle: 'kWh stored at the end of each period, all of a VPP\u2019s batteries together',
        yTitle: 'stored (kWh)',
        rows: dayAhead('soc', (x) => x),
        series: daSeries,
        format: '.2f',
        zero: true,
        step: true,
      }),
    );
  return charts;
}

/** A Vega-Lite spec with the shared look. */
export const withConfig = (spec) => ({ config: CHART_CONFIG, ...spec });
