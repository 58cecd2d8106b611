// The spanning tree along which the decentralised market's peers add up their stop test (sum.ts). The
// trading graph is public, so every peer builds the same tree from it without a message: the root is a
// centre of the graph (smallest eccentricity R, lowest index on ties) and each peer's parent is its
// first neighbour one hop closer to the root in a breadth-first search. A sum climbs the tree in R ticks
// and the root's total reaches every peer in R more, so the shallower the tree the shorter the stop
// test's lag; a centre gives the least depth any root can (R ≥ diameter / 2).

export interface SumTree {
  root: number;
  /** The root's eccentricity: the tree's depth and the rounds of each half of a sum. */
  radius: number;
  /** Parent of each peer (−1 at the root). */
  parent: Int32Array;
}

/** Above this many peers the centre is not searched for: the root is peer 0. */
const CENTRE_SEARCH_LIMIT = 20_000;

/**
 * Eccentricity of every peer by breadth-first search from 32 sources at once (one bit per source, as
 * graph.ts's diameter): a source's eccentricity is the last level at which its bit still spread.
 */
function eccentricities(neighbours: number[][]): Int32Array {
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

/** The stop test's tree on a connected trading graph (every peer computes the same one). */
export function sumTree(neighbours: number[][]): SumTree {
  const n = neighbours.length;
  let root = 0;
  if (n <= CENTRE_SEARCH_LIMIT) {
    const eccentricity = eccentricities(neighbours);
    for (let a = 1; a < n; a++) if (eccentricity[a]! < eccentricity[root]!) root = a;
  }
  const parent = new Int32Array(n).fill(-1);
  const depth = new Int32Array(n).fill(-1);
  depth[root] = 0;
  const queue = [root];
  let radius = 0;
  for (let head = 0; head < queue.length; head++) {
    const a = queue[head]!;
    for (const b of neighbours[a]!) {
      if (depth[b] !== -1) continue;
      depth[b] = depth[a]! + 1;
      parent[b] = a;
      radius = depth[b]!;
      queue.push(b);
    }
  }
  if (queue.length !== n) throw new Error('the trading graph is not connected');
  return { root, radius, parent };
}
