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
 * The eccentricity of every peer, by breadth-first search from 32 sources at once: reached[v] holds one
 * bit per source, and each level ORs every peer's neighbours' bits into its own; a source's eccentricity
 * is the last level at which its bit still spread. O(n/32 · diameter · edges) word operations. The
 * diameter is their largest; the stop test's tree is rooted at a smallest (peer/tree.ts).
 */
export function eccentricities(neighbours: number[][]): Int32Array {
  const n = neighbours.length;
  const start = new Int32Array(n + 1);
  for (let a = 0; a < n; a++) start[a + 1] = start[a]! + neighbours[a]!.length;
  const adjacent = new Int32Array(start[n]!);
  for (let a = 0; a < n; a++) adjacent.set(neighbours[a]!, start[a]!);
  const eccentricity = new Int32Array(n);
  let reached = new Uint32Array(n);
  let next = new Uint32Array(n);
  for (let first = 0; first < n; first += 32) {
    reached.fill(0);
    for (let k = 0; k < 32 && first + k < n; k++) reached[first + k] = 1 << k;
    for (let level = 1; ; level++) {
      let spread = 0;
      for (let a = 0; a < n; a++) {
        let bits = reached[a]!;
        for (let e = start[a]!; e < start[a + 1]!; e++) bits |= reached[adjacent[e]!]!;
        spread |= bits ^ reached[a]!;
        next[a] = bits;
      }
      if (spread === 0) break;
      for (let k = 0; k < 32 && first + k < n; k++) if ((spread >>> k) & 1) eccentricity[first + k] = level;
      [reached, next] = [next, reached];
    }
  }
  return eccentricity;
}

/** The exact diameter: the largest eccentricity. */
function diameter(neighbours: number[][]): number {
  let far = 0;
  for (const e of eccentricities(neighbours)) far = Math.max(far, e);
  return far;
}

/**
 * Flood rounds for the decentralised market's agreements: at least the graph's diameter, so that a
 * maximum flooded for that many rounds has reached every peer. The graph is public (the VPP's seeded
 * construction above), so every peer computes the same number: the exact diameter up to 20,000 peers
 * (bit-parallel search, 0.4 s at 10,000), otherwise the bound 2·eccentricity(peer 0) ≥ diameter.
 * Every flood, every certificate's gossip block and the stop test's lag are (multiples of) D ticks
 * long, so the exact figure (7 instead of 14 at the bench's 10,000 generated peers) saves ticks and
 * ADMM iterations.
 */
export function floodRounds(neighbours: number[][]): number {
  const n = neighbours.length;
  if (n <= 1) return 1;
  if (n > 20_000) return Math.max(1, 2 * eccentricity(neighbours, 0, new Int32Array(n)));
  return Math.max(1, diameter(neighbours));
}
