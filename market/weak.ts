// Weakly-centralised market: the VPP coordinator relaxes the pool balance Σ_i trade_{i,t} = 0 with one
// multiplier per period — the internal price — and updates it from the *sums* of the prosumers' trade
// quantities. It never sees one prosumer's trade vector, cost or residual: its whole view of the
// prosumers is a PoolSession (pool/session.ts), whose secure rounds return sums only.
//
// Default method: exchange ADMM (Boyd et al. 2011, §7.3.2). Each prosumer answers prices π and the mean
// trade q̄ with argmin ownCost - π·q + ρ/2·‖q - (q_prev - q̄)‖²; the coordinator then sets π ← π - θρ·q̄
// (a step of the augmented Lagrangian's dual, θ = DUAL_STEP: see there). Option 'subgradient': plain
// Lagrangian with normalised diminishing steps a/√(k+1) and primal recovery by averaging (for
// comparison: it oscillates).
//
// Stop test without an oracle: the imbalance is below its tolerance and the *certified* gap is below
// the gap tolerance. The certificate is the method's own: when the imbalance passes, a bound round sums
// every prosumer's Lagrangian lower bound at the current prices (bound.ts); by weak duality that sum is
// below the optimum, and the iterate's cost (imbalance settled with the grid: a feasible outcome) is
// above it. A central optimum (`referenceCost`, research only) is reported beside it, never used.
import { type Bills, poolBills } from './bills.ts';
import { type ClearingOptions, DEFAULT_CLEARING } from './clearing.ts';
import type { Schedule } from './model.ts';
import { fieldIndex, finalLayout, iterationLayout } from './pool/layouts.ts';
import { SCHEDULE_FIELDS } from './pool/messages.ts';
import type { PoolSession } from './pool/session.ts';
import {
  type FrameworkResult,
  type HistoryEntry,
  type ProsumerOutcome,
  relativeGap,
  settlementCost,
} from './result.ts';
import type { Tariffs } from './types.ts';

/** What the coordinator works with: a session's secure rounds (sums only) and its bookkeeping. */
export type PoolSums = Pick<
  PoolSession,
  'iterate' | 'bound' | 'finish' | 'traffic' | 'setupSeconds' | 'parties' | 'excluded' | 'reports' | 'totals'
>;

export interface WeakOptions extends Partial<ClearingOptions> {
  /** Research mode: ask the prosumers to reveal their final schedules (those who allow it do). */
  reveal?: boolean;
  /** ADMM's dual step θ (price step θρ·q̄); default DUAL_STEP. */
  dualStep?: number;
  /** Residual balancing's threshold μ (ρ changes when a residual exceeds μ× the other); default RHO_BALANCE. */
  rhoBalance?: number;
}

/**
 * ADMM's dual step as a multiple of ρ. Exchange ADMM is two-block ADMM (the prosumers' x, the balanced
 * copies z), for which a dual step θρ converges for any θ < (1 + √5)/2 (Fortin and Glowinski 1983;
 * Glowinski, *Numerical Methods for Nonlinear Variational Problems*, ch. VI): the z-update does not depend
 * on the dual here, so only the coordinator's price step changes and the prosumers' messages stay the
 * same. Measured on 60 of the system bench's 100-prosumer VPPs (docs/performance.md, "Day-ahead for
 * every VPP"): with RHO_BALANCE, 18 % fewer iterations than θ = 1, μ = 10; θ alone gave 10 %.
 */
export const DUAL_STEP = 1.6;
/**
 * Residual balancing's threshold (Boyd §3.4.1 uses 10). At 5 ρ grows sooner when the imbalance stalls
 * with the prices already right (small pools, where many prosumers are indifferent at the grid tariff
 * and the proximal term alone settles who trades). Checked every 5 iterations: every 3 left one VPP
 * of 60 cycling ρ up and down without converging.
 */
export const RHO_BALANCE = 5;

/** (primal - bound) / max(|bound|, 1): the certified relative gap. */
export function certifiedGapOf(primal: number, bound: number): number {
  return (primal - bound) / Math.max(Math.abs(bound), 1);
}

export async function clearWeak(
  session: PoolSums,
  tariffs: Tariffs,
  options: WeakOptions = {},
): Promise<FrameworkResult> {
  const o = { ...DEFAULT_CLEARING, dualStep: DUAL_STEP, rhoBalance: RHO_BALANCE, ...options };
  const started = performance.now();
  const T = tariffs.retail.length;
  const subgradient = o.method === 'subgradient';
  const at = iterationLayout(T, subgradient);
  const field = (name: string) => fieldIndex(at, name);
  const [fTrade, fOwn, fVolume, fChangeSquared] = ['trade', 'ownCost', 'volume', 'changeSquared'].map(field);
  const fReportedTrade = subgradient ? field('averageTrade') : fTrade;
  const fReportedCost = subgradient ? field('averageCost') : fOwn;
  // Start in the middle of the grid spread: the clearing price lies between feed-in and retail.
  const prices = tariffs.retail.map((r, t) => (r + tariffs.feedIn[t]!) / 2);
  let answered = [...prices];
  let meanTrade = new Array<number>(T).fill(0);
  let rho = o.rho;
  const history: HistoryEntry[] = [];
  let converged = false;
  let iterations = 0;
  let certifiedGap: number | null = null;
  let dualBound: number | null = null;
  let last = { imbalance: 0, relative: 0, volume: 0, cost: 0 };
  const traffic0 = { ...session.traffic };
  for (let k = 0; k < o.maxIterations && !converged; k++) {
    iterations = k + 1;
    answered = [...prices];
    const sums = await session.iterate({
      iteration: k + 1,
      prices,
      meanTrade: subgradient ? new Array<number>(T).fill(0) : meanTrade,
      rho: subgradient ? 0 : rho,
    });
    const N = sums.contributors;
    if (N === 0) break;
    const v = sums.values;
    const mismatch = v[fReportedTrade]!;
    const current = v[fTrade]!;
    const volume = v[fVolume]![0]!;
    let imbalance = 0;
    for (let t = 0; t < T; t++) imbalance += Math.abs(mismatch[t]!);
    const cost = v[fReportedCost]![0]! + settlementCost(mismatch, tariffs);
    const newMean = Array.from(current, (q) => q / N);
    // Dual residual Σ_i ‖Δq_i - Δq̄‖² = Σ_i ‖Δq_i‖² - N‖Δq̄‖² (each prosumer sends its own ‖Δq_i‖²).
    let meanShift = 0;
    for (let t = 0; t < T; t++) meanShift += (newMean[t]! - meanTrade[t]!) ** 2;
    const dualResidual =
      k > 0 ? Math.max(0, v[fChangeSquared]![0]! - N * meanShift) : Number.POSITIVE_INFINITY;
    const relative = imbalance / Math.max(volume, 1e-6);
    const entry: HistoryEntry = {
      iteration: k + 1,
      imbalance,
      relativeImbalance: relative,
      cost,
      gap: relativeGap(cost, o.referenceCost),
      rho,
    };
    last = { imbalance, relative, volume, cost };
    const balanced = imbalance <= o.imbalanceTolerance * Math.max(volume, 1e-6);
    if (balanced || k === o.maxIterations - 1) {
      // The certificate round, at the prices this iterate answered. Only valid when the same parties
      // contributed to both sums (a drop-out in between: try again next iteration).
      const b = await session.bound(answered);
      if (b.contributors === N) {
        dualBound = b.values[0]![0]!;
        certifiedGap = certifiedGapOf(cost, dualBound);
        entry.dualBound = dualBound;
        entry.certifiedGap = certifiedGap;
        converged = balanced && certifiedGap <= o.gapTolerance;
      }
    }
    history.push(entry);
    o.onIteration?.(entry, o.maxIterations);
    if (converged) break;
    if (subgradient) {
      let norm = 0;
      for (let t = 0; t < T; t++) norm = Math.max(norm, Math.abs(current[t]!));
      const step = o.subgradientStep / Math.sqrt(k + 1);
      if (norm > 0) for (let t = 0; t < T; t++) prices[t]! -= (step * current[t]!) / norm;
    } else {
      for (let t = 0; t < T; t++) prices[t]! -= o.dualStep * rho * newMean[t]!;
      meanTrade = newMean;
      if (o.adaptiveRho && k > 0 && k % 5 === 0) {
        // Residual balancing (Boyd et al. §3.4.1) in the exchange form: r = √N‖q̄‖, s = ρ‖Δq - Δq̄‖.
        const r = Math.sqrt(N) * Math.hypot(...newMean);
        const s = rho * Math.sqrt(dualResidual);
        if (r > o.rhoBalance * s) rho *= 2;
        else if (s > o.rhoBalance * r) rho /= 2;
      }
    }
  }
  // Every prosumer fixes its schedule and bill at the prices its last trades answered; the VPP learns
  // the aggregate schedule and bills (and, in research mode, the schedules of those who allow it).
  const reveal = options.reveal === true;
  const final = await session.finish({ prices: answered, iterations, converged, reveal });
  const seconds = (performance.now() - started) / 1000;
  const fl = finalLayout(T);
  const sum = (name: string) => final.values[fieldIndex(fl, name)]!;
  const aggregateSchedule = Object.fromEntries(
    SCHEDULE_FIELDS.map((f) => [f, [...sum(f)]]),
  ) as unknown as Schedule;
  const mismatch = sum('p2pNet');
  const totalCost = sum('ownCost')[0]! + settlementCost(mismatch, tariffs);
  let prosumers: ProsumerOutcome[] = [];
  if (reveal) {
    for (const [i, r] of [...session.reports].sort((a, b) => a[0] - b[0])) {
      const schedule = Object.fromEntries(
        SCHEDULE_FIELDS.map((f) => [f, [...r.schedule[f]]]),
      ) as unknown as Schedule;
      prosumers.push({
        id: session.parties[i]!.id,
        cost: r.ownCost + r.p2pPayment,
        ownCost: r.ownCost,
        p2pPayment: r.p2pPayment,
        schedule,
      });
    }
  }
  // Bills need every participant's outcome (bills.ts): research mode with every participant revealing.
  let bills: Bills | undefined;
  if (prosumers.length > 0 && prosumers.length === final.contributors)
    ({ prosumers, bills } = poolBills(prosumers, answered, tariffs, session.totals));
  const excluded = [...session.excluded.values()]
    .sort((a, b) => a.index - b.index)
    .map((e) => ({ id: e.id, round: e.round, reason: e.reason }));
  const notes: string[] = [];
  if (!converged) notes.push(`not converged within ${o.maxIterations} iterations`);
  if (excluded.length > 0)
    notes.push(
      `${excluded.length} prosumer(s) out of the market (they trade with the grid), not in the totals`,
    );
  if (reveal) notes.push('research mode: schedules revealed by the prosumers that allow it');
  const netPositionKwh = Array.from(
    { length: T },
    (_, t) => aggregateSchedule.gridBuy[t]! - aggregateSchedule.gridSell[t]! - mismatch[t]!,
  );
  return {
    framework: 'weak',
    method: subgradient
      ? `sub-gradient, step ${o.subgradientStep}/sqrt(k+1) on the normalised imbalance, primal averaging`
      : `exchange ADMM, rho ${o.rho}${o.adaptiveRho ? ' adaptive' : ''}, dual step ${o.dualStep} rho, secure sums`,
    totalCost,
    gap: relativeGap(totalCost, o.referenceCost),
    imbalance: last.imbalance,
    relativeImbalance: last.relative,
    tradedVolumeKwh: last.volume,
    iterations,
    converged,
    seconds,
    // Everything after the set-up: iterations, certificate rounds, recoveries and the final round.
    messages: session.traffic.messages - traffic0.messages,
    bytes: session.traffic.bytes - traffic0.bytes,
    prices: answered,
    prosumers,
    ...(bills ? { bills } : {}),
    settlementCost: settlementCost(mismatch, tariffs),
    netPositionKwh,
    history,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    certifiedGap,
    dualBound,
    disclosure: reveal ? 'schedules' : 'aggregates',
    aggregateSchedule,
    participants: final.contributors,
    excluded,
    setupSeconds: session.setupSeconds,
  };
}
