// Centralised reference: the whole VPP's cost minimisation as one LP solved by HiGHS. It stacks every
// prosumer's model (model.ts, with one pool trade slot each) and adds the pool balance per period,
//   Σ_i trade_{i,t} = 0,
// whose dual is the clearing price. It sees all private data: a yardstick, not a market.
import { tradeLimitKwh } from './agent.ts';
import { type Bills, poolBills } from './bills.ts';
import { buildProsumerModel, extractSchedule, ownCostOf } from './model.ts';
import { type FrameworkResult, netPositionOf, type ProsumerOutcome } from './result.ts';
import { solveSparse } from './solver/highs.ts';
import type { Scenario } from './types.ts';
import { periodHours } from './types.ts';

export interface CentralOptions {
  timeLimitSeconds?: number;
  solver?: 'choose' | 'simplex' | 'ipm';
}

export async function solveCentral(
  scenario: Scenario,
  options: CentralOptions = {},
): Promise<FrameworkResult> {
  const started = performance.now();
  const hours = periodHours(scenario);
  const T = scenario.periods;
  const models = scenario.prosumers.map((p) => {
    const m = buildProsumerModel(p, scenario.tariffs, hours, 1);
    const limit = tradeLimitKwh(p, hours);
    for (const c of m.col.trade) {
      m.structure.lower[c] = -limit;
      m.structure.upper[c] = limit;
    }
    return m;
  });
  const n = models.reduce((s, m) => s + m.structure.n, 0);
  const mRows = models.reduce((s, m) => s + m.structure.m, 0) + T;
  const nnz = models.reduce((s, m) => s + m.structure.colIndex.length, 0) + T * models.length;
  const cost = new Float64Array(n);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const rowStart = new Int32Array(mRows + 1);
  const colIndex = new Int32Array(nnz);
  const value = new Float64Array(nnz);
  const rowLower = new Float64Array(mRows);
  const rowUpper = new Float64Array(mRows);
  const offsets: number[] = [];
  let col = 0;
  let row = 0;
  let k = 0;
  for (const m of models) {
    const s = m.structure;
    offsets.push(col);
    cost.set(m.ownCost, col);
    lower.set(s.lower, col);
    upper.set(s.upper, col);
    for (let i = 0; i < s.m; i++) {
      for (let a = s.rowStart[i]!; a < s.rowStart[i + 1]!; a++) {
        colIndex[k] = s.colIndex[a]! + col;
        value[k++] = s.value[a]!;
      }
      rowLower[row] = rowUpper[row] = s.rhs[i]!;
      rowStart[++row] = k;
    }
    col += s.n;
  }
  const poolRow = row;
  for (let t = 0; t < T; t++) {
    models.forEach((m, i) => {
      colIndex[k] = offsets[i]! + m.col.trade[t]!;
      value[k++] = 1;
    });
    rowStart[++row] = k;
  }
  const built = performance.now();
  const r = await solveSparse(
    { n, cost, lower, upper, rowStart, colIndex, value, rowLower, rowUpper },
    { timeLimitSeconds: options.timeLimitSeconds, solver: options.solver },
  );
  const optimal = r.status === 'optimal';
  const prosumers = scenario.prosumers.map((p, i) => {
    const m = models[i]!;
    const x = r.x.subarray(offsets[i]!, offsets[i]! + m.structure.n);
    const schedule = extractSchedule(m, p, x, hours);
    const ownCost = ownCostOf(m, x);
    return { id: p.id, ownCost, schedule, p2pPayment: 0, cost: ownCost };
  });
  // The pool row's dual is the clearing price: with HiGHS's sign convention (checked against the
  // distributed prices in test/unit/market/frameworks.test.ts) it is the value of one more kWh sold into the pool.
  const prices = Array.from({ length: T }, (_, t) => (optimal ? r.rowDual[poolRow + t]! : Number.NaN));
  // Bills at the pool prices (bills.ts); the LP's pool rows balance to its tolerance, and whatever sub-Wh
  // remains is settled like any imbalance.
  let bills: Bills | undefined;
  let outcomes: ProsumerOutcome[] = prosumers;
  if (optimal) ({ prosumers: outcomes, bills } = poolBills(prosumers, prices, scenario.tariffs));
  const volume = prosumers.reduce((s, o) => s + o.schedule.p2pNet.reduce((a, q) => a + Math.max(q, 0), 0), 0);
  const zero = new Array<number>(T).fill(0);
  return {
    framework: 'central',
    method: `HiGHS ${options.solver ?? 'choose'} on one LP (${n} columns, ${mRows} rows)`,
    totalCost: optimal ? r.objective : Number.NaN,
    gap: optimal ? 0 : null,
    imbalance: 0,
    relativeImbalance: 0,
    tradedVolumeKwh: volume,
    iterations: 1,
    converged: optimal,
    seconds: (performance.now() - started) / 1000,
    messages: 0,
    bytes: 0,
    prices,
    prosumers: outcomes,
    ...(bills ? { bills } : {}),
    settlementCost: 0,
    netPositionKwh: netPositionOf(
      prosumers.map((o) => o.schedule),
      zero,
    ),
    history: [],
    note: optimal
      ? `model built in ${((built - started) / 1000).toFixed(2)} s, HiGHS solve ${r.seconds.toFixed(2)} s`
      : `HiGHS stopped with status ${r.status} after ${r.seconds.toFixed(1)} s`,
  };
}
