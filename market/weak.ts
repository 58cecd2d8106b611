// Weakly-centralised market: the VPP coordinator relaxes the pool balance Σ_i trade_{i,t} = 0 with one
// multiplier per period — the internal price — and updates it from the prosumers' reported trade
// quantities only. It never reads prosumer data: its whole view of the prosumers is an AgentHost.
//
// Default method: exchange ADMM (Boyd et al. 2011, §7.3.2). Each prosumer answers prices π and the mean
// trade q̄ with argmin ownCost - π·q + ρ/2·‖q - (q_prev - q̄)‖²; the coordinator then sets π ← π - ρ·q̄
// (a gradient step of the augmented Lagrangian's dual). Option 'subgradient': plain Lagrangian with
// normalised diminishing steps a/√(k+1) and primal recovery by averaging (for comparison: it oscillates).
import type { AgentHost } from './agent-host.ts';
import { type ClearingOptions, DEFAULT_CLEARING, hasConverged } from './clearing.ts';
import {
  type FrameworkResult,
  type HistoryEntry,
  iterativeResult,
  outcomes,
  relativeGap,
  settlementCost,
  Traffic,
} from './result.ts';
import type { Tariffs } from './types.ts';

export async function clearWeak(
  host: AgentHost,
  tariffs: Tariffs,
  options: Partial<ClearingOptions> = {},
): Promise<FrameworkResult> {
  const o = { ...DEFAULT_CLEARING, ...options };
  const started = performance.now();
  const T = tariffs.retail.length;
  const N = host.size;
  const traffic = new Traffic();
  const subgradient = o.method === 'subgradient';
  // Start in the middle of the grid spread: the clearing price lies between feed-in and retail.
  const prices = tariffs.retail.map((r, t) => (r + tariffs.feedIn[t]!) / 2);
  let meanTrade = new Array<number>(T).fill(0);
  let rho = o.rho;
  let previous: Float64Array[] | undefined;
  const history: HistoryEntry[] = [];
  let converged = false;
  let iterations = 0;
  let last = { imbalance: 0, relative: 0, volume: 0, cost: 0, mismatch: new Float64Array(T) };
  for (let k = 0; k < o.maxIterations && !converged; k++) {
    iterations = k + 1;
    const msg = {
      prices: [...prices],
      meanTrade: subgradient ? new Array<number>(T).fill(0) : meanTrade,
      rho: subgradient ? 0 : rho,
    };
    traffic.count(N, 2 * T + 1);
    const replies = await host.poolStep(msg, subgradient);
    traffic.count(N, T + 1);
    // What the coordinator learns: each prosumer's trade vector and one cost figure.
    const reported = replies.map((r) => r.recovered ?? r);
    const mismatch = new Float64Array(T);
    const current = new Float64Array(T);
    let volume = 0;
    let own = 0;
    reported.forEach((r, i) => {
      own += r.ownCost;
      for (let t = 0; t < T; t++) {
        mismatch[t]! += r.trade[t]!;
        current[t]! += replies[i]!.trade[t]!;
        volume += Math.max(r.trade[t]!, 0);
      }
    });
    const imbalance = mismatch.reduce((s, e) => s + Math.abs(e), 0);
    const cost = own + settlementCost(mismatch, tariffs);
    const gap = relativeGap(cost, o.referenceCost);
    let change = 0;
    let dualResidual = 0;
    const newMean = Array.from(current, (v) => v / N);
    if (previous) {
      replies.forEach((r, i) => {
        for (let t = 0; t < T; t++) {
          const d = r.trade[t]! - previous![i]![t]!;
          change += Math.abs(d);
          const s = d - (newMean[t]! - meanTrade[t]!);
          dualResidual += s * s;
        }
      });
    } else change = Number.POSITIVE_INFINITY;
    previous = replies.map((r) => r.trade);
    const relative = imbalance / Math.max(volume, 1e-6);
    const entry = { iteration: k + 1, imbalance, relativeImbalance: relative, cost, gap, rho };
    history.push(entry);
    o.onIteration?.(entry, o.maxIterations);
    last = { imbalance, relative, volume, cost, mismatch };
    converged = hasConverged(o, imbalance, volume, gap, change);
    if (converged) break;
    if (subgradient) {
      let norm = 0;
      for (let t = 0; t < T; t++) norm = Math.max(norm, Math.abs(current[t]!));
      const step = o.subgradientStep / Math.sqrt(k + 1);
      if (norm > 0) for (let t = 0; t < T; t++) prices[t]! -= (step * current[t]!) / norm;
    } else {
      for (let t = 0; t < T; t++) prices[t]! -= rho * newMean[t]!;
      meanTrade = newMean;
      if (o.adaptiveRho && k > 0 && k % 5 === 0) {
        // Residual balancing (Boyd et al. §3.4.1) in the exchange form: r = √N‖q̄‖, s = ρ‖Δq - Δq̄‖.
        const r = Math.sqrt(N) * Math.hypot(...newMean);
        const s = rho * Math.sqrt(dualResidual);
        if (r > 10 * s) rho *= 2;
        else if (s > 10 * r) rho /= 2;
      }
    }
  }
  const reports = await host.report();
  const prosumers = outcomes(reports);
  return iterativeResult({
    framework: 'weak',
    method: subgradient
      ? `sub-gradient, step ${o.subgradientStep}/sqrt(k+1) on the normalised imbalance, primal averaging`
      : `exchange ADMM, rho ${o.rho}${o.adaptiveRho ? ' adaptive' : ''}`,
    last,
    referenceCost: o.referenceCost,
    iterations,
    converged,
    maxIterations: o.maxIterations,
    startedMs: started,
    traffic,
    prices: [...prices],
    prosumers,
    tariffs,
    history,
  });
}
