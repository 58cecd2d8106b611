// A prosumer's day as a linear program (plus optional proximal terms on its trades). Variables are
// energies in kWh per period, decoupled by where the energy goes:
//   pv_t (used PV; forecast - pv_t is curtailed), gen_t, ch_t / dis_t (battery), soc_t (kWh at the end
//   of t), flex_{k,t} (flexible load k), buy_t / sell_t (grid), trade_{s,t} (net P2P sale on slot s:
//   the pool for the weakly-centralised market, one slot per neighbour in the decentralised one).
// Rows, in period order so that the normal equations are banded:
//   balance_t: pv + gen + dis + buy - ch - sell - Σ_k flex_k - Σ_s trade_s = load_t
//   soc_t:     soc_t - soc_{t-1} - ηc·ch_t + dis_t/ηd = 0   (soc_{-1} = initial state)
// and, after all periods, one row per flexible load: Σ_t flex_{k,t} = energy.
// Own cost: Σ_t retail_t·buy_t - feedIn_t·sell_t + gen cost·gen_t + degradation·(ch_t + dis_t).
import type { QpStructure } from './solver/ipm.ts';
import type { Prosumer, Tariffs } from './types.ts';

export interface ProsumerModel {
  periods: number;
  slots: number;
  structure: QpStructure;
  /** Own cost coefficient per column (grid, generator, degradation); trades cost nothing here. */
  ownCost: Float64Array;
  col: ColumnIndex;
  /** Row of each period's energy balance (its dual is the energy's marginal value in that period). */
  balanceRow: Int32Array;
}

/** Column of each quantity, -1 where the prosumer has no such resource in that period. */
export interface ColumnIndex {
  pv: Int32Array;
  gen: Int32Array;
  ch: Int32Array;
  dis: Int32Array;
  soc: Int32Array;
  buy: Int32Array;
  sell: Int32Array;
  flex: Int32Array[];
  /** trade[s * periods + t] */
  trade: Int32Array;
}

/** Per-period schedule in kWh (soc in kWh at the end of the period). */
export interface Schedule {
  pvUsed: number[];
  pvCurtailed: number[];
  generator: number[];
  charge: number[];
  discharge: number[];
  soc: number[];
  flexible: number[];
  gridBuy: number[];
  gridSell: number[];
  /** Net P2P sale per period (negative = purchase), summed over slots. */
  p2pNet: number[];
  load: number[];
}

export function buildProsumerModel(
  p: Prosumer,
  tariffs: Tariffs,
  hours: number,
  slots: number,
): ProsumerModel {
  const T = p.loadKw.length;
  const lower: number[] = [];
  const upper: number[] = [];
  const cost: number[] = [];
  const addCol = (lo: number, hi: number, c: number): number => {
    lower.push(lo);
    upper.push(hi);
    cost.push(c);
    return lower.length - 1;
  };
  const none = () => new Int32Array(T).fill(-1);
  const col: ColumnIndex = {
    pv: none(),
    gen: none(),
    ch: none(),
    dis: none(),
    soc: none(),
    buy: none(),
    sell: none(),
    flex: p.flexibleLoads.map(() => none()),
    trade: new Int32Array(slots * T).fill(-1),
  };
  const b = p.battery;
  const rowsPerPeriod = b ? 2 : 1;
  const rows: { cols: number[]; vals: number[]; rhs: number }[] = [];
  const balanceRow = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    const balance = { cols: [] as number[], vals: [] as number[], rhs: p.loadKw[t]! * hours };
    const put = (c: number, v: number) => {
      balance.cols.push(c);
      balance.vals.push(v);
    };
    const pv = p.pvKw?.[t] ?? 0;
    if (pv > 0) put((col.pv[t] = addCol(0, pv * hours, 0)), 1);
    if (p.generator && p.generator.maxKw > 0) {
      put((col.gen[t] = addCol(0, p.generator.maxKw * hours, p.generator.marginalCostPerKwh)), 1);
    }
    put((col.buy[t] = addCol(0, Number.POSITIVE_INFINITY, tariffs.retail[t]!)), 1);
    put((col.sell[t] = addCol(0, Number.POSITIVE_INFINITY, -tariffs.feedIn[t]!)), -1);
    p.flexibleLoads.forEach((f, k) => {
      if (t >= f.startPeriod && t < f.endPeriod)
        put((col.flex[k]![t] = addCol(f.minKw * hours, f.maxKw * hours, 0)), -1);
    });
    for (let s = 0; s < slots; s++) {
      put((col.trade[s * T + t] = addCol(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0)), -1);
    }
    balanceRow[t] = rows.length;
    rows.push(balance);
    if (b) {
      const ch = (col.ch[t] = addCol(0, b.chargeKw * hours, b.degradationCostPerKwh));
      const dis = (col.dis[t] = addCol(0, b.dischargeKw * hours, b.degradationCostPerKwh));
      // The end-of-day state must be at least the initial one.
      const socLow = t === T - 1 ? Math.max(b.socMinKwh, b.initialKwh) : b.socMinKwh;
      const soc = (col.soc[t] = addCol(socLow, b.socMaxKwh, 0));
      balance.cols.push(dis, ch);
      balance.vals.push(1, -1);
      const socRow = {
        cols: [soc, ch, dis],
        vals: [1, -b.chargeEfficiency, 1 / b.dischargeEfficiency],
        rhs: 0,
      };
      if (t === 0) socRow.rhs = b.initialKwh;
      else {
        socRow.cols.push(col.soc[t - 1]!);
        socRow.vals.push(-1);
      }
      rows.push(socRow);
    }
  }
  p.flexibleLoads.forEach((f, k) => {
    const cols = [...col.flex[k]!].filter((c) => c >= 0);
    rows.push({ cols, vals: cols.map(() => 1), rhs: f.energyKwh });
  });
  const nnz = rows.reduce((s, r) => s + r.cols.length, 0);
  const rowStart = new Int32Array(rows.length + 1);
  const colIndex = new Int32Array(nnz);
  const value = new Float64Array(nnz);
  let k = 0;
  rows.forEach((r, i) => {
    // CSR rows with sorted columns (HiGHS and our solver both accept any order; sorted is tidier).
    const order = r.cols.map((_, a) => a).sort((a, c) => r.cols[a]! - r.cols[c]!);
    for (const a of order) {
      colIndex[k] = r.cols[a]!;
      value[k++] = r.vals[a]!;
    }
    rowStart[i + 1] = k;
  });
  return {
    periods: T,
    slots,
    ownCost: Float64Array.from(cost),
    col,
    balanceRow,
    structure: {
      n: lower.length,
      m: rows.length,
      lower: Float64Array.from(lower),
      upper: Float64Array.from(upper),
      rowStart,
      colIndex,
      value,
      rhs: Float64Array.from(rows.map((r) => r.rhs)),
      bandwidth: rowsPerPeriod === 2 ? 2 : 0,
      border: p.flexibleLoads.length,
    },
  };
}

const at = (x: ArrayLike<number>, c: number) => (c >= 0 ? x[c]! : 0);

/** Reads a schedule out of a solution vector of the model. */
export function extractSchedule(
  model: ProsumerModel,
  p: Prosumer,
  x: ArrayLike<number>,
  hours: number,
): Schedule {
  const T = model.periods;
  const { col } = model;
  const range = (f: (t: number) => number) => Array.from({ length: T }, (_, t) => f(t));
  return {
    pvUsed: range((t) => at(x, col.pv[t]!)),
    pvCurtailed: range((t) => Math.max(0, (p.pvKw?.[t] ?? 0) * hours - at(x, col.pv[t]!))),
    generator: range((t) => at(x, col.gen[t]!)),
    charge: range((t) => at(x, col.ch[t]!)),
    discharge: range((t) => at(x, col.dis[t]!)),
    soc: range((t) => at(x, col.soc[t]!)),
    flexible: range((t) => col.flex.reduce((s, f) => s + at(x, f[t]!), 0)),
    gridBuy: range((t) => at(x, col.buy[t]!)),
    gridSell: range((t) => at(x, col.sell[t]!)),
    p2pNet: range((t) => {
      let s = 0;
      for (let k = 0; k < model.slots; k++) s += at(x, col.trade[k * T + t]!);
      return s;
    }),
    load: range((t) => p.loadKw[t]! * hours),
  };
}

/** Own cost (grid, generator, degradation) of a solution vector, excluding P2P payments. */
export function ownCostOf(model: ProsumerModel, x: ArrayLike<number>): number {
  let c = 0;
  for (let j = 0; j < model.ownCost.length; j++) c += model.ownCost[j]! * x[j]!;
  return c;
}
