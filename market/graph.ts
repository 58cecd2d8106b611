// Trading graphs for the decentralised market. Trades are unbounded and a peer may buy from one
// neighbour and sell to another in the same period, so on any connected graph the decentralised optimum
// equals the pool optimum (any balanced exchange can be routed along the graph). Both graphs built here
// are connected: the sparse one is a ring plus seeded random chords (a small-world graph).
import { seededRandom } from './random.ts';

export type GraphSpec = { type: 'full' } | { type: 'sparse'; degree: number; seed: number };

/** Full mesh for small VPPs, a degree-6 small world otherwise. */
export function defaultGraph(n: number): GraphSpec {
  return n <= 30 ? { type: 'full' } : { type: 'sparse', degree: 6, seed: 1 };
}

/** Sorted neighbour lists per prosumer; symmetric, no self loops. */
export function tradingGraph(n: number, spec: GraphSpec): number[][] {
  const sets = Array.from({ length: n }, () => new Set<number>());
  const link = (a: number, b: number) => {
    if (a === b) return;
    sets[a]!.add(b);
    sets[b]!.add(a);
  };
  if (spec.type === 'full' || spec.degree >= n - 1) {
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) link(a, b);
  } else {
    if (spec.degree < 2)
      throw new Error('a sparse trading graph needs degree >= 2 (a ring keeps it connected)');
    for (let a = 0; a < n; a++) link(a, (a + 1) % n);
    const random = seededRandom(spec.seed);
    for (let a = 0; a < n; a++) {
      let guard = 0;
      while (sets[a]!.size < spec.degree && guard++ < 10 * n) {
        const b = Math.floor(random() * n);
        if (sets[b]!.size < spec.degree + 1) link(a, b);
      }
    }
  }
  return sets.map((s) => [...s].sort((x, y) => x - y));
}

export function isConnected(neighbours: number[][]): boolean {
  if (neighbours.length === 0) return true;
  const seen = new Uint8Array(neighbours.length);
  const stack = [0];
  seen[0] = 1;
  let count = 1;
  while (stack.length) {
    for (const b of neighbours[stack.pop()!]!) {
      if (!seen[b]) {
        seen[b] = 1;
        count++;
        stack.push(b);
      }
    }
  }
  return count === neighbours.length;
}

function eccentricity(neighbours: number[][], from: number, distance: Int32Array): number {
  distance.fill(-1);
  distance[from] = 0;
  const queue = [from];
  let far = 0;
  for (let head = 0; head < queue.length; head++) {
    const a = queue[head]!;
    for (const b of neighbours[a]!) {
      if (distance[b] === -1) {
        distance[b] = distance[a]! + 1;
        far = Math.max(far, distance[b]!);
        queue.push(b);
      }
    }
  }
  return far;
}

/**
 * Flood rounds for the decentralised market's agreements: at least the graph's diameter, so that a
 * maximum flooded for that many rounds has reached every peer. The graph is public (the VPP's seeded
 * construction above), so every peer computes the same number: the exact diameter up to 1,000 peers,
 * otherwise the bound 2·eccentricity(peer 0) ≥ diameter (one breadth-first search instead of N).
 */
export function floodRounds(neighbours: number[][]): number {
  const n = neighbours.length;
  if (n <= 1) return 1;
  const distance = new Int32Array(n);
  if (n > 1000) return Math.max(1, 2 * eccentricity(neighbours, 0, distance));
  let diameter = 0;
  for (let a = 0; a < n; a++) diameter = Math.max(diameter, eccentricity(neighbours, a, distance));
  return Math.max(1, diameter);
}
