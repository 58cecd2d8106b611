// A certified lower bound on a prosumer's Lagrangian subproblem,
//   g(π) = min { ownCost(x) - Σ_t π_t·trade_t : x feasible for the prosumer },
// by weak LP duality: for any row multipliers y, g(π) ≥ b·y + Σ_j min_{l_j ≤ x_j ≤ u_j} (c̃_j - (Aᵀy)_j)·x_j,
// where c̃ is the own cost with -π on the trade columns. The bound holds for every y, so it does not rely
// on any solver being exact: y only makes it tight. Two steps make it finite and tight: the balance
// rows' multipliers (the energy's value) are clamped into [feed-in, retail], which keeps the reduced
// costs of the unbounded grid columns non-negative; then each balance multiplier is set to its best value
// given the other rows' (the function is concave and piecewise linear in it, so the best value is one of
// its breakpoints). For a prosumer without storage or flexible load this alone gives the exact g(π).
// Summed over prosumers (securely), it bounds the VPP's optimum from below: the certificate of
// docs/market.md.
import type { ProsumerModel } from './model.ts';
import type { Tariffs } from './types.ts';

const minOverBox = (r: number, lower: number, upper: number): number =>
  r > 0 ? r * lower : r < 0 ? r * upper : 0;

/** Evaluates the dual bound at multipliers `y` (one per model row; modified in place). */
export function lagrangianLowerBound(
  model: ProsumerModel,
  cost: Float64Array,
  y: Float64Array,
  tariffs: Tariffs,
): number {
  const s = model.structure;
  const T = model.periods;
  for (let t = 0; t < T; t++) {
    const row = model.balanceRow[t]!;
    y[row] = Math.min(tariffs.retail[t]!, Math.max(tariffs.feedIn[t]!, y[row]!));
  }
  // Reduced costs r = c̃ - Aᵀy.
  const reduced = cost.slice();
  for (let i = 0; i < s.m; i++) {
    const yi = y[i]!;
    if (yi === 0) continue;
    for (let k = s.rowStart[i]!; k < s.rowStart[i + 1]!; k++) reduced[s.colIndex[k]!]! -= s.value[k]! * yi;
  }
  // Best balance multiplier per period (balance rows share no column, so periods are independent).
  for (let t = 0; t < T; t++) {
    const row = model.balanceRow[t]!;
    const from = s.rowStart[row]!;
    const to = s.rowStart[row + 1]!;
    const current = y[row]!;
    const base: number[] = [];
    for (let k = from; k < to; k++) base.push(reduced[s.colIndex[k]!]! + s.value[k]! * current);
    const value = (v: number) => {
      let f = s.rhs[row]! * v;
      for (let k = from; k < to; k++) {
        const j = s.colIndex[k]!;
        f += minOverBox(base[k - from]! - s.value[k]! * v, s.lower[j]!, s.upper[j]!);
      }
      return f;
    };
    const lo = tariffs.feedIn[t]!;
    const hi = tariffs.retail[t]!;
    let best = current;
    let bestValue = value(current);
    const consider = (v: number) => {
      if (!(v >= lo && v <= hi)) return;
      const f = value(v);
      if (f > bestValue) {
        best = v;
        bestValue = f;
      }
    };
    consider(lo);
    consider(hi);
    for (let k = from; k < to; k++) if (s.value[k]! !== 0) consider(base[k - from]! / s.value[k]!);
    y[row] = best;
    for (let k = from; k < to; k++) reduced[s.colIndex[k]!] = base[k - from]! - s.value[k]! * best;
  }
  let bound = 0;
  for (let i = 0; i < s.m; i++) bound += s.rhs[i]! * y[i]!;
  for (let j = 0; j < s.n; j++) bound += minOverBox(reduced[j]!, s.lower[j]!, s.upper[j]!);
  return bound;
}
