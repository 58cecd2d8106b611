// The masking graph: who masks with whom. Bonawitz et al. (CCS 2017) mask every pair of parties, which
// costs O(N) per party; Bell et al. (CCS 2020) show that a random graph of degree O(log N) keeps the
// guarantees at O(log N). Ours is the union of ⌈k/2⌉ random Hamiltonian cycles drawn from a seed (the
// hash of the roster, so the graph — and each party's pairwise secrets — stay the same from day to day):
// every cycle alone is connected, so the graph is connected by construction, and the union of random
// cycles is an expander, which keeps it connected when parties drop out. Default degree
// k = min(N - 1, 2⌈log2 N⌉): 28 at 10,000 parties (mean degree at least k, none above 2k).
import { keystreamBytes, keyWords } from './chacha.ts';

export function defaultMaskDegree(n: number): number {
  if (n <= 1) return 0;
  return Math.min(n - 1, 2 * Math.ceil(Math.log2(n)));
}

/** Neighbours of each party (sorted indices), from a 32-byte seed. Complete when k ≥ N - 1. */
export function maskingGraph(n: number, degree: number, seed: Uint8Array): number[][] {
  const sets = Array.from({ length: n }, () => new Set<number>());
  if (degree >= n - 1) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) sets[i]!.add(j);
  } else {
    const key = keyWords(seed);
    // ⌈k/2⌉ cycles give degree k when no two cycles share an edge; on small graphs they often do, so
    // cycles are added until the mean degree reaches k (never more than k cycles: degree ≤ 2k).
    let edges = 0;
    for (let c = 0; c < degree && (c < Math.ceil(degree / 2) || 2 * edges < degree * n); c++) {
      // Fisher-Yates with 32-bit draws from the seed's keystream (nonce = cycle number); the modulo bias
      // of at most n/2^32 does not matter for a graph.
      const random = keystreamBytes(key, c, 0x6772_6170, 0, 4 * n);
      const view = new DataView(random.buffer);
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = view.getUint32(4 * i, true) % (i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let i = 0; i < n; i++) {
        const a = order[i]!;
        const b = order[(i + 1) % n]!;
        if (a !== b && !sets[a]!.has(b)) {
          sets[a]!.add(b);
          sets[b]!.add(a);
          edges++;
        }
      }
    }
  }
  return sets.map((s) => [...s].sort((a, b) => a - b));
}

/** Whether the graph restricted to `members` is connected (breadth-first search). */
export function isConnectedWithin(graph: number[][], members: readonly number[]): boolean {
  if (members.length === 0) return true;
  const inside = new Set(members);
  const seen = new Set([members[0]!]);
  const queue = [members[0]!];
  while (queue.length > 0) {
    const i = queue.pop()!;
    for (const j of graph[i]!) {
      if (inside.has(j) && !seen.has(j)) {
        seen.add(j);
        queue.push(j);
      }
    }
  }
  return seen.size === inside.size;
}
