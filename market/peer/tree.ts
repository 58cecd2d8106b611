// The spanning tree along which the decentralised market's peers add up their stop test (sum.ts). The
// trading graph is public, so every peer builds the same tree from it without a message: the root is a
// centre of the graph (smallest eccentricity R, lowest index on ties) and each peer's parent is its
// first neighbour one hop closer to the root in a breadth-first search. A sum climbs the tree in R ticks
// and the root's total reaches every peer in R more, so the shallower the tree the shorter the stop
// test's lag; a centre gives the least depth any root can (R ≥ diameter / 2).
import { eccentricities } from '../graph.ts';

export interface SumTree {
  root: number;
  /** The root's eccentricity: the tree's depth and the rounds of each half of a sum. */
  radius: number;
  /** Parent of each peer (−1 at the root). */
  parent: Int32Array;
}

/** Above this many peers the centre is not searched for: the root is peer 0. */
const CENTRE_SEARCH_LIMIT = 20_000;

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
