// Exact fast solver for prosumers without storage or flexible load. With nothing that links periods,
// the subproblem splits into one tiny problem per period:
//
//   minimise  c_g·gen + r·buy - f·sell + Σ_k (a_k·s_k + ½ρ_k·s_k²)
//   s.t.      pv + gen + buy - sell - Σ_k s_k = L,   0 ≤ pv ≤ PV, 0 ≤ gen ≤ G, buy, sell ≥ 0, lo_k ≤ s_k ≤ hi_k
//
// Given the energy's marginal value λ each trade is s_k(λ) = clamp(-(a_k + λ)/ρ_k, lo_k, hi_k), and the
// rest is a merit order (PV, generator, grid import; export at f for anything cheaper than f). λ solves
// λ ∈ ∂ψ(D(λ)) with D(λ) = L + Σ_k s_k(λ), where ψ, the cost of meeting a demand from PV, generator and
// grid, is convex piecewise linear with at most four slopes. D is non-increasing and piecewise linear in
// λ, so the root is found exactly: either D at one of ψ's slopes falls inside that slope's piece (λ is
// that slope), or λ lies between two slopes where D crosses their kink, and the linear piece of D that
// crosses it is located among the trades' breakpoints and solved in closed form. (A bisection on λ did
// this before at ~50 evaluations of D per period; the search costs a handful.) Needs ρ_k > 0; checked
// against the interior-point solver in tests.
import type { ProsumerModel } from '../model.ts';
import type { Prosumer, Tariffs } from '../types.ts';

export function canSolveSeparably(p: Prosumer): boolean {
  return !p.battery && p.flexibleLoads.length === 0;
}

// Scratch space reused across calls: a solve is called ~10⁴ times per clearing and allocates nothing.
let breakpoints = new Float64Array(16);

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
  const { lower, upper } = structure;
  const trade = col.trade;
  for (let j = 0; j < K * T; j++) if (!(qdiag[trade[j]!]! > 0)) return false;
  if (breakpoints.length < 2 * K + 2) breakpoints = new Float64Array(2 * K + 2);
  const bp = breakpoints;
  const genCost = p.generator?.marginalCostPerKwh ?? Number.POSITIVE_INFINITY;
  // The period's supply segments in merit order (PV at 0, the generator at its cost): at most two.
  const segCost = [0, 0];
  const segCap = [0, 0];
  const segCol = [0, 0];
  // ψ's slopes and the demands where they change: slope[0] = f up to kink[1], ..., slope[m] = r.
  const slope = [0, 0, 0, 0];
  const kink = [0, 0, 0, 0];
  x.fill(0);
  for (let t = 0; t < T; t++) {
    const r = tariffs.retail[t]!;
    const f = tariffs.feedIn[t]!;
    const load = p.loadKw[t]! * hours;
    let segments = 0;
    const pvCol = col.pv[t]!;
    const genCol = col.gen[t]!;
    if (pvCol >= 0) {
      segCost[0] = 0;
      segCap[0] = upper[pvCol]!;
      segCol[0] = pvCol;
      segments = 1;
    }
    // A generator at or above retail is never worth running: it is no segment of the merit order.
    if (genCol >= 0 && genCost < r) {
      const at = segments > 0 && genCost < segCost[0]! ? 0 : segments;
      if (at === 0 && segments > 0) {
        segCost[1] = segCost[0]!;
        segCap[1] = segCap[0]!;
        segCol[1] = segCol[0]!;
      }
      segCost[at] = genCost;
      segCap[at] = upper[genCol]!;
      segCol[at] = genCol;
      segments++;
    }
    // Output below f always runs (exported rather than left idle).
    let covered = 0;
    for (let s = 0; s < segments; s++) if (segCost[s]! < f) covered += segCap[s]!;
    let m = 0;
    slope[0] = f;
    for (let s = 0; s < segments; s++) {
      if (segCost[s]! < f) continue;
      if (segCost[s]! > slope[m]!) {
        m++;
        slope[m] = segCost[s]!;
        kink[m] = covered;
      }
      covered += segCap[s]!;
    }
    m++;
    slope[m] = r;
    kink[m] = covered;
    // Σ_k s_k(λ), the trades' response to the marginal value.
    const tradeSum = (lambda: number) => {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const c = trade[k * T + t]!;
        const v = -(cost[c]! + lambda) / qdiag[c]!;
        sum += Math.min(upper[c]!, Math.max(lower[c]!, v));
      }
      return sum;
    };
    let lambda = f;
    if (K > 0) {
      // Walk up ψ's slopes: D(slope[i]) ≥ kink[i] holds on entry (D is non-increasing in λ).
      for (let i = 0; ; i++) {
        if (i === m) {
          lambda = r;
          break;
        }
        const target = kink[i + 1]! - load;
        if (tradeSum(slope[i]!) <= target) {
          lambda = slope[i]!;
          break;
        }
        if (tradeSum(slope[i + 1]!) >= target) continue;
        lambda = crossing(
          tradeSum,
          target,
          slope[i]!,
          slope[i + 1]!,
          K,
          T,
          t,
          trade,
          cost,
          qdiag,
          lower,
          upper,
          bp,
        );
        break;
      }
    }
    // Trades at λ, then the merit order covers the resulting demand exactly.
    let demand = load;
    for (let k = 0; k < K; k++) {
      const c = trade[k * T + t]!;
      const v = -(cost[c]! + lambda) / qdiag[c]!;
      const s = Math.min(upper[c]!, Math.max(lower[c]!, v));
      x[c] = s;
      demand += s;
    }
    let remaining = demand;
    for (let s = 0; s < segments; s++) {
      const cap = segCap[s]!;
      const use = segCost[s]! < f ? cap : Math.min(cap, Math.max(remaining, 0));
      x[segCol[s]!] = use;
      remaining -= use;
    }
    if (remaining > 0) x[col.buy[t]!] = remaining;
    else x[col.sell[t]!] = -remaining;
  }
  return true;
}

/**
 * The λ in (lo, hi) where Σ_k s_k(λ) = target, given the sum is above target at lo and below it at hi.
 * The sum is linear between consecutive breakpoints (where a trade meets a bound), so the bracketing pair
 * of breakpoints is found by binary search and the linear equation on it solved with its active trades.
 */
function crossing(
  tradeSum: (lambda: number) => number,
  target: number,
  lo: number,
  hi: number,
  K: number,
  T: number,
  t: number,
  trade: Int32Array | number[],
  cost: Float64Array,
  qdiag: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  bp: Float64Array,
): number {
  let count = 0;
  bp[count++] = lo;
  for (let k = 0; k < K; k++) {
    const c = trade[k * T + t]!;
    // s_k = hi_k for λ ≤ -a_k - ρ_k·hi_k and lo_k for λ ≥ -a_k - ρ_k·lo_k.
    const b1 = -cost[c]! - qdiag[c]! * upper[c]!;
    const b2 = -cost[c]! - qdiag[c]! * lower[c]!;
    if (b1 > lo && b1 < hi) bp[count++] = b1;
    if (b2 > lo && b2 < hi) bp[count++] = b2;
  }
  bp[count++] = hi;
  const points = bp.subarray(0, count).sort();
  // Invariant: sum(points[a]) > target > sum(points[b]).
  let a = 0;
  let b = count - 1;
  while (b - a > 1) {
    const mid = (a + b) >> 1;
    const s = tradeSum(points[mid]!);
    if (s > target) a = mid;
    else if (s < target) b = mid;
    else return points[mid]!;
  }
  // On [points[a], points[b]] the clamped trades are constant and the others linear: solve exactly.
  const inside = (points[a]! + points[b]!) / 2;
  let fixedSum = 0;
  let slopeSum = 0;
  let offset = 0;
  for (let k = 0; k < K; k++) {
    const c = trade[k * T + t]!;
    const v = -(cost[c]! + inside) / qdiag[c]!;
    if (v <= lower[c]!) fixedSum += lower[c]!;
    else if (v >= upper[c]!) fixedSum += upper[c]!;
    else {
      slopeSum += 1 / qdiag[c]!;
      offset += cost[c]! / qdiag[c]!;
    }
  }
  // -offset - λ·slopeSum + fixedSum = target; slopeSum > 0 because the sum changes on this interval.
  const lambda = (fixedSum - offset - target) / slopeSum;
  return Math.min(points[b]!, Math.max(points[a]!, lambda));
}
