// The certificate (peer.ts) from the exact masked sum of the peers' figures (sum.ts FrozenSum). Each peer
// contributes its own cost rounded up and its Lagrangian value rounded down to whole CERTIFICATE_UNIT
// currency (the bills' unit), and its deviation Σ_j (s_ij + s_ji)/2 per period rounded to the nearest
// DEVIATION_UNIT_KWH; the totals come back as residues modulo 2^52, read as signed (within ±2^51
// quanta, which each peer's figures keeping within ±2^51 / N guarantees). From them, the same numbers at
// every peer:
//   cost ≤ Σ own cost + the largest settlement over the box of per-period mismatches (the true mismatch
//          is within N/2 quanta of the sum of rounded deviations; the settlement is convex in it, so
//          largest at an end of the box)
//   bound ≥ Σ Lagrangian values
import type { Tariffs } from '../types.ts';
import { SUM_MODULUS } from './sum.ts';

/** Quanta of the summed costs and Lagrangian values (currency) and deviations (kWh): fine enough that
 * the rounding moves a certificate by ~N·1e-9, far below any gap that matters. */
export const CERTIFICATE_UNIT = 1e-9;
export const DEVIATION_UNIT_KWH = 1e-9;
/** Figures before the per-period deviations: own cost, Lagrangian value. */
const SCALARS = 2;

export function certificateWidth(periods: number): number {
  return SCALARS + periods;
}

const residue = (q: number) => ((q % SUM_MODULUS) + SUM_MODULUS) % SUM_MODULUS;
const signed = (x: number) => (x >= SUM_MODULUS / 2 ? x - SUM_MODULUS : x);

/**
 * A peer's figures as residues, rounded so that the certificate can only be looser than the exact one.
 * Each must stay within ±2^51 / parties quanta (2.25e6 currency or kWh over the whole VPP), so that
 * the signed total cannot wrap around.
 */
export function certificateFigures(
  ownCost: number,
  bound: number,
  deviation: Float64Array,
  parties: number,
): Float64Array {
  const limit = SUM_MODULUS / 2 / Math.max(parties, 1);
  const quanta = [Math.ceil(ownCost / CERTIFICATE_UNIT), Math.floor(bound / CERTIFICATE_UNIT)];
  for (const d of deviation) quanta.push(Math.round(d / DEVIATION_UNIT_KWH));
  const figures = new Float64Array(certificateWidth(deviation.length));
  quanta.forEach((q, k) => {
    if (!(Math.abs(q) < limit))
      throw new Error(`certificate figure ${k} (${q} quanta) exceeds the sum's range`);
    figures[k] = residue(q);
  });
  return figures;
}

export interface Bracket {
  /** Upper end of the primal cost and lower end of the dual bound: the certificate. */
  costHigh: number;
  boundLow: number;
  /** (costHigh − boundLow) / max(|boundLow|, 1). */
  gap: number;
}

/** The certificate from the totals of all `parties` peers' certificateFigures. */
export function bracket(total: Float64Array, parties: number, tariffs: Tariffs): Bracket {
  const T = tariffs.retail.length;
  const settle = (e: number, t: number) => (e > 0 ? -tariffs.feedIn[t]! * e : -tariffs.retail[t]! * e);
  // Each peer's rounding moved its deviation by at most half a quantum.
  const slack = (parties / 2) * DEVIATION_UNIT_KWH;
  let settleHigh = 0;
  for (let t = 0; t < T; t++) {
    const mismatch = signed(total[SCALARS + t]!) * DEVIATION_UNIT_KWH;
    settleHigh += Math.max(settle(mismatch - slack, t), settle(mismatch + slack, t));
  }
  const costHigh = signed(total[0]!) * CERTIFICATE_UNIT + settleHigh;
  const boundLow = signed(total[1]!) * CERTIFICATE_UNIT;
  return { costHigh, boundLow, gap: (costHigh - boundLow) / Math.max(Math.abs(boundLow), 1) };
}
