// Decentralised market: no coordinator. Prosumers trade bilaterally over a trading graph; each pair's
// reciprocity constraint s_ij + s_ji = 0 (what i sells to j is what j buys from i) is relaxed with a
// bilateral multiplier that both peers update themselves from the two quantities they exchanged:
//   s_i ← argmin ownCost_i + Σ_j y_ij·s_ij + ρ/2·(s_ij - (s_ij - s_ji)/2)²,   y_ij ← y_ij + ρ/2·(s_ij + s_ji)
// (consensus ADMM as in Sorin, Bobo & Pinson 2019). The price at which i sells to j is -y_ij.
// The peers decide together when to stop and certify their own gap (peer/peer.ts). This module starts
// them, ticks the network (agent-host.ts: it carries messages by address and reads nothing else) until
// the peers say they have stopped, and reports what they agreed; with research disclosure (simulation)
// it also assembles the peers' published outcomes, pair trades and bills.
import type { AgentHost } from './agent-host.ts';
import { type PairOffers, pairBills } from './bills.ts';
import { type ClearingOptions, DEFAULT_CLEARING } from './clearing.ts';
import type { PeerAgreement, PeerOptions } from './peer/types.ts';
import {
  type FrameworkResult,
  netPositionOf,
  outcomes,
  type PairTrade,
  relativeGap,
  settlementCost,
  Traffic,
} from './result.ts';
import type { Tariffs } from './types.ts';

/** The peers' options from the clearing options and the public graph. */
export function peerOptions(
  o: Partial<ClearingOptions> & { maskSeed?: number },
  parties: number,
  floodRounds: number,
): PeerOptions {
  const c = { ...DEFAULT_CLEARING, ...o };
  return {
    method: c.method,
    subgradientStep: c.subgradientStep,
    rho: c.rho,
    adaptiveRho: c.adaptiveRho,
    maxIterations: c.maxIterations,
    imbalanceTolerance: c.imbalanceTolerance,
    gapTolerance: c.gapTolerance,
    parties,
    floodRounds,
    ...(o.maskSeed !== undefined ? { maskSeed: o.maskSeed } : {}),
    volumeFloorKwh: 1e-3,
  };
}

/** Ticks the network until the peers have stopped (they all stop in the same tick). */
async function run(host: AgentHost, traffic: Traffic, maxTicks: number): Promise<number> {
  for (let tick = 1; tick <= maxTicks; tick++) {
    const r = await host.tick();
    traffic.countTotal(r.messages, r.numbers);
    if (r.finished === host.size) {
      if (r.messages > 0) throw new Error('peers sent messages after stopping');
      return tick;
    }
    if (r.finished > 0) throw new Error(`${r.finished} of ${host.size} peers stopped: they did not agree`);
  }
  throw new Error(`the peers did not stop within ${maxTicks} ticks`);
}

export async function clearDecentralized(
  host: AgentHost,
  tariffs: Tariffs,
  neighbours: number[][],
  ids: string[],
  options: Partial<ClearingOptions> & { peer: PeerOptions },
): Promise<FrameworkResult> {
  const o = { ...DEFAULT_CLEARING, ...options };
  const started = performance.now();
  const T = tariffs.retail.length;
  const traffic = new Traffic();
  const p = options.peer;
  // Generous: a check and a certificate take at most 2·(2R) ≤ 4D ticks (R ≤ D) besides each iteration.
  const maxTicks = (p.maxIterations + 1) * (4 * p.floodRounds + 4) * 4;
  await run(host, traffic, maxTicks);
  const agreements = await host.agreements();
  const agreed = agreements[0]!;
  // Every peer holds the same figures (flooded maxima are exact): a check, not a computation.
  for (const a of agreements) assertSame(agreed, a);
  const reports = await host.report();
  const prices = await host.bilateralPrices();
  const pairs: PairOffers[] = [];
  const pairTrades: PairTrade[] = [];
  const weighted = new Array<number>(T).fill(0);
  const weights = new Array<number>(T).fill(0);
  neighbours.forEach((peers, i) => {
    peers.forEach((j, s) => {
      if (j < i) return;
      const offerI = reports[i]!.trades[s]!;
      const offerJ = reports[j]!.trades[neighbours[j]!.indexOf(i)]!;
      const price = prices[i]![s]!;
      pairs.push({ i, j, offerI, offerJ, price });
      const energy = Array.from(offerI);
      energy.forEach((e, t) => {
        weighted[t]! += Math.abs(e) * price[t]!;
        weights[t]! += Math.abs(e);
      });
      if (energy.some((e) => Math.abs(e) > 1e-4))
        pairTrades.push({ from: ids[i]!, to: ids[j]!, energyKwh: energy, price });
    });
  });
  const { prosumers, bills } = pairBills(outcomes(reports), pairs, tariffs);
  // The VPP's net position: its members' grid exchanges plus the mismatch it settles (research output).
  const mismatch = Array.from({ length: T }, (_, t) =>
    reports.reduce((s, r) => s + r.trades.reduce((a, q) => a + q[t]!, 0), 0),
  );
  const history = agreed.history.map((h) => ({ ...h, gap: relativeGap(h.cost, o.referenceCost) }));
  for (const h of history) o.onIteration?.(h, o.maxIterations);
  const notes = [`stopped by the peers' agreement after ${agreed.ticks} ticks`];
  if (!agreed.converged) notes.unshift(`not converged within ${o.maxIterations} iterations`);
  return {
    framework: 'decentralized',
    method: `${p.method === 'subgradient' ? `sub-gradient, step ${p.subgradientStep}/sqrt(k) on each pair's normalised residual, ergodic averaging` : `consensus ADMM, rho ${o.rho}`} over ${neighbours.reduce((s, n) => s + n.length, 0) / 2} trading pairs; peers sum the stop test and the certificate exactly (masked residues up and down a spanning tree)`,
    totalCost: agreed.cost,
    gap: relativeGap(agreed.cost, o.referenceCost),
    imbalance: agreed.imbalance,
    relativeImbalance: agreed.imbalance / Math.max(agreed.volume, 1e-6),
    tradedVolumeKwh: agreed.volume,
    iterations: agreed.iterations,
    converged: agreed.converged,
    seconds: (performance.now() - started) / 1000,
    messages: traffic.messages,
    bytes: traffic.bytes,
    prices: weighted.map((w, t) => (weights[t]! > 0 ? w / weights[t]! : Number.NaN)),
    prosumers,
    bills,
    settlementCost: settlementCost(mismatch, tariffs),
    netPositionKwh: netPositionOf(
      prosumers.map((x) => x.schedule),
      mismatch,
    ),
    history,
    pairTrades,
    certifiedGap: agreed.certifiedGap,
    dualBound: agreed.dualBound,
    note: notes.join('; '),
  };
}

function assertSame(a: PeerAgreement, b: PeerAgreement): void {
  const same =
    a.iterations === b.iterations &&
    a.converged === b.converged &&
    a.cost === b.cost &&
    a.dualBound === b.dualBound &&
    a.imbalance === b.imbalance &&
    a.volume === b.volume;
  if (!same) throw new Error('the peers ended with different figures');
}
