// Exact fast solver for prosumers without storage or flexible load. With nothing that links periods,
// the subproblem splits into one tiny problem per period:
//
//   minimise  c_g·gen + r·buy - f·sell + Σ_k (a_k·s_k + ½ρ_k·s_k²)
//   s.t.      pv + gen + buy - sell - Σ_k s_k = L,   0 ≤ pv ≤ PV, 0 ≤ gen ≤ G, buy, sell ≥ 0, lo_k ≤ s_k ≤ hi_k
//
// Given the energy's marginal value λ each trade is s_k(λ) = clamp(-(a_k + λ)/ρ_k, lo_k, hi_k), and the
// rest is a merit order (PV, generator, grid import; export at f for anything cheaper than f). λ is found
// by bisection on λ ∈ ∂ψ(L + Σ_k s_k(λ)), where ψ is the convex piecewise-linear cost of meeting a demand
// from PV, generator and grid. Needs ρ_k > 0; checked against the interior-point solver in tests.
import type { ProsumerModel } from '../model.ts';
import type { Prosumer, Tariffs } from '../types.ts';

/** Cost-sorted supply segments of one period that are worth using at all (cost below retail). */
interface Segment {
  cost: number;
  capacity: number;
  column: number;
}

export function canSolveSeparably(p: Prosumer): boolean {
  return !p.battery && p.flexibleLoads.length === 0;
}

/** Solves in place into x (all columns); returns false when a trade has ρ = 0 (use the general solver). */
export function solveSeparable(
  model: ProsumerModel,
  p: Prosumer,
  tariffs: Tariffs,
  hours: number,
  cost: Float64Array,
  qdiag: Float64Array,
  x: Float64Array,
): boolean {
  const T = model.periods;
  const K = model.slots;
  const { col, structure } = model;
  for (let j = 0; j < K * T; j++) if (!(qdiag[col.trade[j]!]! > 0)) return false;
  x.fill(0);
  for (let t = 0; t < T; t++) {
    const r = tariffs.retail[t]!;
    const f = tariffs.feedIn[t]!;
    const load = p.loadKw[t]! * hours;
    const segments: Segment[] = [];
    if (col.pv[t]! >= 0)
      segments.push({ cost: 0, capacity: structure.upper[col.pv[t]!]!, column: col.pv[t]! });
    if (col.gen[t]! >= 0 && p.generator!.marginalCostPerKwh < r) {
      segments.push({
        cost: p.generator!.marginalCostPerKwh,
        capacity: structure.upper[col.gen[t]!]!,
        column: col.gen[t]!,
      });
    }
    segments.sort((a, b) => a.cost - b.cost);
    // Output below f is exported rather than left idle: it always runs.
    let mustRun = 0;
    for (const s of segments) if (s.cost < f) mustRun += s.capacity;
    const trades = (lambda: number) => {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const c = col.trade[k * T + t]!;
        const v = -(cost[c]! + lambda) / qdiag[c]!;
        sum += Math.min(structure.upper[c]!, Math.max(structure.lower[c]!, v));
      }
      return sum;
    };
    // Marginal cost of meeting demand D from the left (side -1) or the right (side +1).
    const marginal = (demand: number, side: number) => {
      if (demand < mustRun || (demand === mustRun && side < 0)) return f;
      let covered = 0;
      for (const s of segments) {
        const end = covered + s.capacity;
        if (s.cost >= f && (demand < end || (demand === end && side < 0))) return Math.max(s.cost, f);
        covered = end;
      }
      return r;
    };
    let lo = f;
    let hi = r;
    let lambda = f;
    if (K > 0) {
      if (marginal(load + trades(lo), 1) <= lo) lambda = lo;
      else if (marginal(load + trades(hi), -1) >= hi) lambda = hi;
      else {
        for (let it = 0; it < 100 && hi - lo > 1e-15 * Math.max(1, Math.abs(hi)); it++) {
          const mid = (lo + hi) / 2;
          const demand = load + trades(mid);
          if (mid < marginal(demand, -1)) lo = mid;
          else if (mid > marginal(demand, 1)) hi = mid;
          else {
            lo = hi = mid;
          }
        }
        lambda = (lo + hi) / 2;
      }
    }
    // Trades at λ, then the merit order covers the resulting demand exactly.
    let demand = load;
    for (let k = 0; k < K; k++) {
      const c = col.trade[k * T + t]!;
      const v = Math.min(
        structure.upper[c]!,
        Math.max(structure.lower[c]!, -(cost[c]! + lambda) / qdiag[c]!),
      );
      x[c] = v;
      demand += v;
    }
    let remaining = demand;
    for (const s of segments) {
      const use = s.cost < f ? s.capacity : Math.min(s.capacity, Math.max(remaining, 0));
      x[s.column] = use;
      remaining -= use;
    }
    if (remaining > 0) x[col.buy[t]!] = remaining;
    else x[col.sell[t]!] = -remaining;
  }
  return true;
}
