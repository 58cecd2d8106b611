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
import { PeerKind, type PeerMessage } from '../../../market/peer/messages.ts';
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
        // Iterations numbered 1, 2, ... and T trade values followed by the flood window.
        for (const [k, m] of offers.entries()) expect(m.data[0]).toBe(k + 1);
        expect(offers[0]!.data.length).toBe(1 + T + peer.floodRounds + 1);
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

  it('gossip never shows a neighbour its own cost or Lagrangian value, even with its own masks taken off', () => {
    const hours = periodHours(scenario);
    // Each peer's Lagrangian value at the last certificate's common price: the mid-point of the extreme
    // pair prices per period, which the peers flooded (recomputed here from their final prices).
    const common = Array.from({ length: T }, (_, t) => {
      const all = prices.flatMap((slots) => slots.map((p) => p[t]!));
      return (Math.max(...all) + Math.min(...all)) / 2;
    });
    const bounds = scenario.prosumers.map((p) =>
      new ProsumerAgent(p, scenario.tariffs, hours, 'pool').lagrangianBound(common),
    );
    // Their sum is the dual bound the peers agreed (up to the gossip's bracket).
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
    let checked = 0;
    for (let i = 0; i < N; i++) {
      const own = result.prosumers[i]!.ownCost;
      const bound = bounds[i]!;
      const degree = graph[i]!.length;
      for (const j of graph[i]!) {
        const fromI = between.get(`${j}<${i}`)!;
        const toI = between.get(`${i}<${j}`)!;
        // Nothing from i carries its own cost, whole or as a push-sum share.
        for (const m of fromI.filter((x) => x.kind !== PeerKind.offer)) {
          for (const v of m.data) {
            for (const secret of [own, bound, own / (degree + 1), bound / (degree + 1)])
              if (Math.abs(v - secret) <= 1e-6)
                expect.fail(`${v} from ${i} to ${j} is its own figure ${secret}`);
          }
        }
        // j knows the share it sent i and the one i sent it; taking both off i's first gossip message
        // still leaves the shares i exchanged with its other neighbours on it: far from i's figures.
        const maskOut = fromI.filter((m) => m.kind === PeerKind.mask).at(-1)!;
        const maskIn = toI.filter((m) => m.kind === PeerKind.mask).at(-1)!;
        const afterMask = fromI.indexOf(maskOut);
        const firstGossip = fromI.slice(afterMask).find((m) => m.kind === PeerKind.gossip)!;
        const unmasked = (k: number) =>
          firstGossip.data[k]! * (degree + 1) + maskOut.data[k]! - maskIn.data[k]!;
        expect(Math.abs(unmasked(0) - own)).toBeGreaterThan(1);
        expect(Math.abs(unmasked(1) - bound)).toBeGreaterThan(1);
        checked++;
      }
    }
    expect(checked).toBe(graph.reduce((s, n) => s + n.length, 0));
    // Unmasked, a peer's figures are small: a few currency units, far inside the masks.
    for (let i = 0; i < N; i++) {
      expect(Math.abs(result.prosumers[i]!.ownCost)).toBeLessThan(peer.maskScale / 10);
      expect(Math.abs(bounds[i]!)).toBeLessThan(peer.maskScale / 10);
    }
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
