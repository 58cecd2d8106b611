// Decentralised market: no coordinator. Prosumers trade bilaterally over a trading graph; each pair's
// reciprocity constraint s_ij + s_ji = 0 (what i sells to j is what j buys from i) is relaxed with a
// bilateral multiplier that both peers update themselves from the two quantities they exchanged:
//   s_i ← argmin ownCost_i + Σ_j y_ij·s_ij + ρ/2·(s_ij - (s_ij - s_ji)/2)²,   y_ij ← y_ij + ρ/2·(s_ij + s_ji)
// (consensus ADMM as in Sorin, Bobo & Pinson 2019). The price at which i sells to j is -y_ij.
// This module only routes the peers' messages (it plays the network) and measures convergence.
import type { PeerMessage } from './agent.ts';
import type { AgentHost } from './agent-host.ts';
import { type PairOffers, pairBills } from './bills.ts';
import { type ClearingOptions, DEFAULT_CLEARING, hasConverged } from './clearing.ts';
import {
  type FrameworkResult,
  type HistoryEntry,
  iterativeResult,
  outcomes,
  type PairTrade,
  relativeGap,
  settlementCost,
  Traffic,
} from './result.ts';
import type { Tariffs } from './types.ts';

export async function clearDecentralized(
  host: AgentHost,
  tariffs: Tariffs,
  neighbours: number[][],
  ids: string[],
  options: Partial<ClearingOptions> = {},
): Promise<FrameworkResult> {
  const o = { ...DEFAULT_CLEARING, ...options };
  if (o.method !== 'admm') throw new Error('the decentralised market runs consensus ADMM only');
  const started = performance.now();
  const T = tariffs.retail.length;
  const traffic = new Traffic();
  const history: HistoryEntry[] = [];
  let inbox: PeerMessage[] = [];
  let converged = false;
  let iterations = 0;
  let last = { imbalance: 0, relative: 0, volume: 0, cost: 0, mismatch: new Float64Array(T) };
  let offers = new Map<string, Float64Array>();
  for (let k = 0; k < o.maxIterations && !converged; k++) {
    iterations = k + 1;
    const round = await host.peerStep(inbox, o.rho);
    traffic.count(round.outbox.length, T);
    const next = new Map<string, Float64Array>();
    for (const m of round.outbox) next.set(`${m.from}>${m.to}`, m.trade);
    // Convergence is measured on the exchanged offers only (what the network sees).
    const mismatch = new Float64Array(T);
    let imbalance = 0;
    let volume = 0;
    let change = 0;
    for (const m of round.outbox) {
      const back = next.get(`${m.to}>${m.from}`)!;
      const before = offers.get(`${m.from}>${m.to}`);
      for (let t = 0; t < T; t++) {
        mismatch[t]! += m.trade[t]!;
        volume += Math.max(m.trade[t]!, 0);
        if (m.from < m.to) imbalance += Math.abs(m.trade[t]! + back[t]!);
        change += before ? Math.abs(m.trade[t]! - before[t]!) : Number.POSITIVE_INFINITY;
      }
    }
    const own = round.ownCosts.reduce((s, c) => s + c, 0);
    const cost = own + settlementCost(mismatch, tariffs);
    const gap = relativeGap(cost, o.referenceCost);
    const relative = imbalance / Math.max(volume, 1e-6);
    const entry = { iteration: k + 1, imbalance, relativeImbalance: relative, cost, gap, rho: o.rho };
    history.push(entry);
    o.onIteration?.(entry, o.maxIterations);
    last = { imbalance, relative, volume, cost, mismatch };
    converged = hasConverged(o, imbalance, volume, gap, change);
    offers = next;
    inbox = round.outbox;
  }
  const reports = await host.report();
  const agreed = await host.bilateralPrices();
  const pairs: PairOffers[] = [];
  neighbours.forEach((peers, i) => {
    peers.forEach((j, s) => {
      if (j > i)
        pairs.push({
          i,
          j,
          offerI: reports[i]!.trades[s]!,
          offerJ: reports[j]!.trades[neighbours[j]!.indexOf(i)]!,
          price: agreed[i]![s]!,
        });
    });
  });
  const { prosumers, bills } = pairBills(outcomes(reports), pairs, tariffs);
  const pairTrades: PairTrade[] = [];
  const weighted = new Array<number>(T).fill(0);
  const weights = new Array<number>(T).fill(0);
  neighbours.forEach((peers, i) => {
    peers.forEach((j, s) => {
      if (j < i) return;
      const energy = Array.from(reports[i]!.trades[s]!);
      const price = agreed[i]![s]!;
      energy.forEach((e, t) => {
        weighted[t]! += Math.abs(e) * price[t]!;
        weights[t]! += Math.abs(e);
      });
      if (energy.some((e) => Math.abs(e) > 1e-4))
        pairTrades.push({ from: ids[i]!, to: ids[j]!, energyKwh: energy, price });
    });
  });
  return {
    ...iterativeResult({
      framework: 'decentralized',
      method: `consensus ADMM over ${neighbours.reduce((s, p) => s + p.length, 0) / 2} trading pairs, rho ${o.rho}`,
      last,
      referenceCost: o.referenceCost,
      iterations,
      converged,
      maxIterations: o.maxIterations,
      startedMs: started,
      traffic,
      prices: weighted.map((w, t) => (weights[t]! > 0 ? w / weights[t]! : Number.NaN)),
      prosumers,
      tariffs,
      history,
    }),
    pairTrades,
    bills,
  };
}
