// The decentralised market at the wire: every message each peer receives is recorded. A peer hears only
// from its neighbours on the trading graph; what it gets is their offers to it, flooded maxima, and
// masked gossip: no neighbour's own cost or Lagrangian value appears in it, nor can a neighbour take its
// own masks off and find it. And nobody coordinates: the network only carries messages, and the result's
// convergence figures are what the peers agreed.
import { beforeAll, describe, expect, it } from 'vitest';
import { ProsumerAgent } from '../../../market/agent.ts';
import { type AgentHost, startAgents } from '../../../market/agent-host.ts';
import { clearDecentralized, peerOptions } from '../../../market/decentralized.ts';
import { floodRounds, tradingGraph } from '../../../market/graph.ts';
import { certificateFigures } from '../../../market/peer/bracket.ts';
import { PeerKind, type PeerMessage, payloadLength } from '../../../market/peer/messages.ts';
import { SUM_FIELDS, SUM_MODULUS, SUM_UNIT_KWH } from '../../../market/peer/sum.ts';
import { sumTree } from '../../../market/peer/tree.ts';
import type { FrameworkResult } from '../../../market/result.ts';
import { periodHours } from '../../../market/types.ts';
import { generated } from './helpers.ts';

const N = 10;
const scenario = generated(N, 4);
const T = scenario.periods;
const graph = tradingGraph(N, { type: 'sparse', degree: 3, seed: 2 });
const peer = peerOptions({ maxIterations: 600, maskSeed: 11 }, N, floodRounds(graph));

describe('the decentralised market at the wire', () => {
  const received = new Map<number, PeerMessage[]>();
  let result: FrameworkResult;
  let ticks = 0;
  let prices: number[][][] = [];
  beforeAll(async () => {
    // The wiretap sees each message as the network hands it to its addressee.
    const inner = await startAgents(scenario, { neighbours: graph, peer }, 0, (m) => {
      const list = received.get(m.to) ?? [];
      list.push({ ...m, data: m.data.slice() });
      received.set(m.to, list);
    });
    const recording: AgentHost = {
      ...inner,
      tick: async () => {
        ticks++;
        return inner.tick();
      },
    };
    try {
      result = await clearDecentralized(
        recording,
        scenario.tariffs,
        graph,
        scenario.prosumers.map((p) => p.id),
        { maxIterations: 600, peer },
      );
      prices = await inner.bilateralPrices();
    } finally {
      await inner.close();
    }
  }, 120_000);

  it('converges with a certificate the peers computed themselves', () => {
    expect(graph.every((n) => n.length >= 2)).toBe(true);
    expect(result.converged).toBe(true);
    expect(result.certifiedGap!).toBeLessThanOrEqual(1e-3);
    expect(result.dualBound!).toBeLessThanOrEqual(result.totalCost);
    expect(result.history.at(-1)!.certifiedGap).toBe(result.certifiedGap);
    const all = [...received.values()].flat();
    expect(result.messages).toBe(all.length);
    expect(result.bytes).toBe(all.reduce((s, m) => s + 16 + 8 * m.data.length, 0));
  });

  it('each peer hears only from its neighbours, in the protocol’s kinds', () => {
    const kinds = new Set<number>(Object.values(PeerKind));
    for (const [to, list] of received) {
      for (const m of list) {
        expect(Object.keys(m).sort()).toEqual(['data', 'from', 'kind', 'to']);
        expect(m.to).toBe(to);
        expect(graph[to]).toContain(m.from);
        expect(kinds.has(m.kind)).toBe(true);
      }
    }
  });

  it('offers are bilateral: what a peer gets from j is j’s offer to it', async () => {
    for (const [to, list] of received) {
      for (const j of graph[to]!) {
        const offers = list.filter((m) => m.from === j && m.kind === PeerKind.offer);
        expect(offers.length).toBe(result.iterations);
        // Iterations numbered 1, 2, ... and T trade values followed by the stop test's shares and windows.
        for (const [k, m] of offers.entries()) expect(m.data[0]).toBe(k + 1);
        expect(offers[0]!.data.length).toBe(payloadLength(PeerKind.offer, T, sumTree(graph).radius));
      }
    }
    // The last offer i sent j is what i sells j in the result's pair trades.
    const index = new Map(scenario.prosumers.map((p, i) => [p.id, i]));
    expect(result.pairTrades!.length).toBeGreaterThan(0);
    for (const pair of result.pairTrades!) {
      const i = index.get(pair.from)!;
      const j = index.get(pair.to)!;
      const last = received
        .get(j)!
        .filter((m) => m.from === i && m.kind === PeerKind.offer)
        .at(-1)!;
      expect(Array.from(last.data.subarray(1, 1 + T))).toEqual(pair.energyKwh);
    }
  });

  it('the certificate’s sum never shows a neighbour a peer’s own cost or Lagrangian value, even with its own masks taken off', () => {
    const hours = periodHours(scenario);
    const tree = sumTree(graph);
    // Each peer's Lagrangian value at the last certificate's common price: the mid-point of the extreme
    // pair prices per period, which the peers flooded (recomputed here from their final prices).
    const common = Array.from({ length: T }, (_, t) => {
      const all = prices.flatMap((slots) => slots.map((p) => p[t]!));
      return (Math.max(...all) + Math.min(...all)) / 2;
    });
    const bounds = scenario.prosumers.map((p) =>
      new ProsumerAgent(p, scenario.tariffs, hours, 'pool').lagrangianBound(common),
    );
    // Their sum is the dual bound the peers agreed (exact up to the rounding of 1e-9 per peer).
    const sum = bounds.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - result.dualBound!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(sum)));
    // Messages by (receiver, sender).
    const between = new Map<string, PeerMessage[]>();
    for (const [to, list] of received)
      for (const m of list) {
        const key = `${to}<${m.from}`;
        const l = between.get(key) ?? [];
        l.push(m);
        between.set(key, l);
      }
    const mod = (x: number) => ((x % SUM_MODULUS) + SUM_MODULUS) % SUM_MODULUS;
    const apart = (a: number, b: number) => Math.min(mod(a - b), mod(b - a));
    let checked = 0;
    for (let i = 0; i < N; i++) {
      const own = result.prosumers[i]!.ownCost;
      const bound = bounds[i]!;
      const figures = certificateFigures(own, bound, new Float64Array(T), N);
      for (const j of graph[i]!) {
        const fromI = between.get(`${j}<${i}`)!;
        const toI = between.get(`${i}<${j}`)!;
        // Nothing from i carries its own cost or value, in currency or in quanta.
        for (const m of fromI.filter((x) => x.kind !== PeerKind.offer)) {
          for (const v of m.data) {
            for (const secret of [own, bound, figures[0]!, figures[1]!])
              if (Math.abs(v - secret) <= 1e-6)
                expect.fail(`${v} from ${i} to ${j} is its own figure ${secret}`);
          }
        }
        // i's first SUM message after its last masks holds its masked figures (to its parent; others get
        // UNKNOWN). The parent knows the shares it exchanged with i; taking both off still leaves the
        // residues i exchanged with its other neighbours on them: nowhere near i's figures.
        const maskOut = fromI.filter((m) => m.kind === PeerKind.mask).at(-1)!;
        const maskIn = toI.filter((m) => m.kind === PeerKind.mask).at(-1)!;
        const firstSum = fromI.slice(fromI.indexOf(maskOut)).find((m) => m.kind === PeerKind.sum)!;
        if (j !== tree.parent[i]) {
          expect(firstSum.data[0]).toBe(-1);
          continue;
        }
        for (const k of [0, 1]) {
          const unmasked = mod(firstSum.data[k]! + maskOut.data[k]! - maskIn.data[k]!);
          expect(apart(unmasked, figures[k]!)).toBeGreaterThan(1e9);
        }
        checked++;
      }
    }
    expect(checked).toBe(N - 1);
  });

  it('the stop test sums every peer’s figures exactly, and a parent cannot unmask its child’s', () => {
    const tree = sumTree(graph);
    const R = tree.radius;
    // Offers by (receiver, sender): offer k is message k − 1.
    const offers = (to: number, from: number) =>
      received.get(to)!.filter((m) => m.from === from && m.kind === PeerKind.offer);
    // A peer's figures for iterate k from the wire: its offers and its neighbours' offers to it.
    const figures = (i: number, k: number) => {
      let residual = 0;
      let sales = 0;
      for (const j of graph[i]!) {
        const mine = offers(j, i)[k - 1]!.data;
        const theirs = offers(i, j)[k - 1]!.data;
        for (let t = 1; t <= T; t++) {
          residual += Math.abs(mine[t]! + theirs[t]!);
          sales += Math.max(mine[t]!, 0);
        }
      }
      return [Math.ceil(residual / SUM_UNIT_KWH), Math.floor(sales / SUM_UNIT_KWH)];
    };
    // Every iterate whose ratio the peers learnt (before the last 2R) has the exact ratio of the sums.
    let known = 0;
    for (const h of result.history) {
      if (Number.isNaN(h.relativeImbalance) || h.iteration > result.iterations) continue;
      const sums = [0, 0];
      for (let i = 0; i < N; i++) {
        const [residual, sales] = figures(i, h.iteration);
        sums[0]! += residual!;
        sums[1]! += sales!;
      }
      expect(h.relativeImbalance).toBe(sums[0]! / 2 / Math.max(sums[1]!, peer.volumeFloorKwh / SUM_UNIT_KWH));
      known++;
    }
    expect(known).toBeGreaterThan(result.iterations / 2);
    // The result's imbalance is the final iterate's: the figure the stop test passed.
    expect(result.relativeImbalance).toBeLessThanOrEqual(1e-4);
    expect(result.history.at(-1)!.relativeImbalance).toBeCloseTo(result.relativeImbalance, 12);
    // A child's up window to its parent (in its offer k + 1) holds its masked figures of iterate k first.
    // The parent takes off the two shares it exchanged with the child: the shares of the child's other
    // neighbours still hide them (uniform residues modulo 2^52).
    const mod = (x: number) => ((x % SUM_MODULUS) + SUM_MODULUS) % SUM_MODULUS;
    const shareAt = 1 + T;
    const upAt = 1 + T + SUM_FIELDS;
    let children = 0;
    for (let i = 0; i < N; i++) {
      const p = tree.parent[i]!;
      if (p < 0) continue;
      children++;
      for (const k of [1, Math.floor(result.iterations / 2), result.iterations - 1]) {
        const up = offers(p, i)[k]!.data;
        const fromChild = offers(p, i)[k - 1]!.data;
        const toChild = offers(i, p)[k - 1]!.data;
        const own = figures(i, k);
        for (let f = 0; f < SUM_FIELDS; f++) {
          const unmasked = mod(up[upAt + f]! + fromChild[shareAt + f]! - toChild[shareAt + f]!);
          expect(Math.abs(unmasked - own[f]!)).toBeGreaterThan(1e6);
        }
      }
      // Neighbours other than the parent get no up window.
      for (const j of graph[i]!.filter((x) => x !== p)) expect(offers(j, i)[1]!.data[upAt]).toBe(-1);
    }
    expect(children).toBe(N - 1);
    expect(R).toBeGreaterThan(0);
  });

  it('the stop is agreed: the peers’ ticks are the result’s, and the network decided nothing', () => {
    expect(result.note).toMatch(new RegExp(`after ${ticks} ticks`));
    // Lockstep: every peer heard equally often from each neighbour, so all stopped in the same tick.
    const counts = new Set<number>();
    for (const [to, list] of received)
      for (const j of graph[to]!) counts.add(list.filter((m) => m.from === j).length);
    expect(counts.size).toBe(1);
  });
});
