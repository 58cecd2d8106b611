// The certificate's bracket from the flooded extremes of the peers' push-sum estimates (peer.ts). Push-sum
// conserves mass, so the true mean of every gossiped figure lies between the smallest and the largest
// estimate; N times those bound the true sums. From them, the same numbers at every peer:
//   cost ≤ N·max own cost + the largest settlement over the box of per-period mismatches
//   bound ≥ N·min Lagrangian value
// (the settlement is convex in the mismatch: largest at an end of the box, smallest nearest zero).
import type { Tariffs } from '../types.ts';
import { GOSSIP_SCALARS, gossipWidth } from './messages.ts';

export interface Bracket {
  /** Upper end of the primal cost and lower end of the dual bound: the certificate. */
  costHigh: number;
  boundLow: number;
  /** (costHigh − boundLow) / max(|boundLow|, 1). */
  gap: number;
  /** Width of both brackets relative to the bound: how much more gossip could tighten the gap. */
  spread: number;
  /** Upper bound on Σ pairs |s_ij + s_ji| and lower bound on the sales volume, kWh. */
  imbalance: number;
  volume: number;
}

/** `flood` = [max estimate per field, −min estimate per field] of the gossip fields (messages.ts). */
export function bracket(flood: Float64Array, parties: number, tariffs: Tariffs): Bracket {
  const T = tariffs.retail.length;
  const W = gossipWidth(T);
  const S = GOSSIP_SCALARS.length;
  const max = (k: number) => parties * flood[k]!;
  const min = (k: number) => -parties * flood[W + k]!;
  const settle = (e: number, t: number) => (e > 0 ? -tariffs.feedIn[t]! * e : -tariffs.retail[t]! * e);
  let settleHigh = 0;
  let settleLow = 0;
  for (let t = 0; t < T; t++) {
    const lo = min(S + t);
    const hi = max(S + t);
    settleHigh += Math.max(settle(lo, t), settle(hi, t));
    settleLow += lo > 0 ? settle(lo, t) : hi < 0 ? settle(hi, t) : 0;
  }
  const costHigh = max(0) + settleHigh;
  const costLow = min(0) + settleLow;
  const boundLow = min(1);
  const boundHigh = max(1);
  const scale = Math.max(Math.abs(boundLow), 1);
  return {
    costHigh,
    boundLow,
    gap: (costHigh - boundLow) / scale,
    spread: (costHigh - costLow + boundHigh - boundLow) / scale,
    imbalance: max(2),
    volume: min(3),
  };
}
