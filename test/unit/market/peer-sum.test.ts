// The decentralised market's stop-test sum (market/peer/sum.ts, tree.ts) on its own: the tree every
// peer builds from the public graph is rooted at a centre, and the pipelined masked sum gives every peer
// the exact total of the inputs 2R ticks old, whatever the masks; so the whole market's result does not
// depend on the masks or on where the peers run.
import { describe, expect, it } from 'vitest';
import { startAgents } from '../../../market/agent-host.ts';
import { clearDecentralized, peerOptions } from '../../../market/decentralized.ts';
import { floodRounds, tradingGraph } from '../../../market/graph.ts';
import { addMod, randomResidue, SUM_FIELDS, SUM_MODULUS, subMod, TreeSum } from '../../../market/peer/sum.ts';
import { sumTree } from '../../../market/peer/tree.ts';
import { seededRandom } from '../../../market/random.ts';
import { generated } from './helpers.ts';

function eccentricity(graph: number[][], from: number): number {
  const distance = new Array<number>(graph.length).fill(-1);
  distance[from] = 0;
  const queue = [from];
  for (let head = 0; head < queue.length; head++)
    for (const b of graph[queue[head]!]!)
      if (distance[b] === -1) {
        distance[b] = distance[queue[head]!]! + 1;
        queue.push(b);
      }
  return Math.max(...distance);
}

describe('the stop test’s spanning tree', () => {
  for (const [name, graph] of [
    ['sparse 37', tradingGraph(37, { type: 'sparse', degree: 6, seed: 3 })],
    ['ring of 300', tradingGraph(300, { type: 'sparse', degree: 2, seed: 1 })],
    ['sparse 1,500', tradingGraph(1500, { type: 'sparse', degree: 6, seed: 7 })],
    ['full 12', tradingGraph(12, { type: 'full' })],
  ] as const) {
    it(`is rooted at a centre, each parent one hop closer (${name})`, () => {
      const tree = sumTree(graph as number[][]);
      const all = graph.map((_, a) => eccentricity(graph as number[][], a));
      expect(tree.radius).toBe(Math.min(...all));
      expect(all[tree.root]).toBe(tree.radius);
      expect(tree.parent[tree.root]).toBe(-1);
      expect(2 * tree.radius).toBeGreaterThanOrEqual(floodRounds(graph as number[][]));
      // Depth by following parents: never more than R, and each parent is a neighbour.
      for (let a = 0; a < graph.length; a++) {
        let depth = 0;
        for (let x = a; x !== tree.root; x = tree.parent[x]!) {
          expect(graph[x]).toContain(tree.parent[x]);
          depth++;
        }
        expect(depth).toBeLessThanOrEqual(tree.radius);
      }
    });
  }
});

describe('the pipelined masked sum', () => {
  it('gives every peer the exact total of the inputs 2R ticks old', () => {
    const graph = tradingGraph(60, { type: 'sparse', degree: 4, seed: 9 });
    const tree = sumTree(graph);
    const R = tree.radius;
    const random = seededRandom(1);
    const sums = graph.map((_, a) => new TreeSum(R, a === tree.root));
    const children = graph.map((n, a) => n.filter((j) => tree.parent[j] === a));
    const totals: number[][] = [];
    let windows = sums.map((s) => s.windows.slice());
    for (let tick = 0; tick < 4 * R + 3; tick++) {
      // Plain figures this tick, then masked with fresh shares on every edge.
      const plain = graph.map(() => [Math.floor(random() * 1e9), Math.floor(random() * 1e9)]);
      totals.push([0, 1].map((f) => plain.reduce((s, p) => s + p[f]!, 0)));
      const masked = plain.map((p) => Float64Array.from(p));
      for (let a = 0; a < graph.length; a++)
        for (const b of graph[a]!)
          for (let f = 0; f < SUM_FIELDS; f++) {
            const share = randomResidue(random);
            masked[a]![f] = subMod(masked[a]![f]!, share);
            masked[b]![f] = addMod(masked[b]![f]!, share);
          }
      const seen = new Set<string>();
      const next = sums.map((s, a) => {
        const total = s.tick(
          masked[a]!,
          children[a]!.map((c) => windows[c]!),
          graph[a]!.map((b) => windows[b]!),
        );
        seen.add(total ? Array.from(total).join() : 'unknown');
        return s.windows.slice();
      });
      windows = next;
      // Every peer holds the same figure: unknown before 2R ticks, then the exact old total.
      expect(seen.size).toBe(1);
      const [only] = [...seen];
      if (tick < 2 * R) expect(only).toBe('unknown');
      else expect(only).toBe(totals[tick - 2 * R]!.map((x) => x % SUM_MODULUS).join());
    }
  });
});

describe('the decentralised market on exact sums', () => {
  it('stops, certifies and bills the same whatever the masks and wherever the peers run', async () => {
    const scenario = generated(14, 6);
    const graph = tradingGraph(14, { type: 'sparse', degree: 3, seed: 4 });
    const run = async (maskSeed: number, threads: number) => {
      const peer = peerOptions({ maxIterations: 600, maskSeed }, 14, floodRounds(graph));
      const host = await startAgents(scenario, { neighbours: graph, peer }, threads);
      try {
        const ids = scenario.prosumers.map((p) => p.id);
        return await clearDecentralized(host, scenario.tariffs, graph, ids, { maxIterations: 600, peer });
      } finally {
        await host.close();
      }
    };
    const a = await run(1, 0);
    const b = await run(2, 0);
    const c = await run(3, 2);
    expect(a.converged).toBe(true);
    for (const other of [b, c]) {
      expect(other.iterations).toBe(a.iterations);
      expect(other.note).toBe(a.note);
      expect(other.totalCost).toBe(a.totalCost);
      expect(other.dualBound).toBe(a.dualBound);
      expect(other.certifiedGap).toBe(a.certifiedGap);
      expect(other.relativeImbalance).toBe(a.relativeImbalance);
      expect(other.bills).toEqual(a.bills);
    }
  }, 60_000);
});
