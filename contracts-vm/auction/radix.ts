// Stable least-significant-digit radix sort of 30-bit keys. Merit order sorts every step of an interval by
// price on every node during block import; a stable linear-time sort of the price alone lets the tie-break
// (id, step index) come for free from the order in which the steps are listed.

const DIGIT_BITS = 10;
const BUCKETS = 1 << DIGIT_BITS;
const MASK = BUCKETS - 1;
/** Keys must be below 2^KEY_BITS (prices are at most MAX_PRICE < 2^30). */
export const KEY_BITS = 30;

/** Indices 0..n-1 ordered by ascending key, equal keys keeping their index order. */
export function stableOrderByKey(keys: Uint32Array): Int32Array {
  const n = keys.length;
  let order = new Int32Array(n);
  let next = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const count = new Int32Array(BUCKETS);
  for (let shift = 0; shift < KEY_BITS; shift += DIGIT_BITS) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & MASK]!++;
    let start = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = count[b]!;
      count[b] = start;
      start += c;
    }
    for (let i = 0; i < n; i++) {
      const index = order[i]!;
      next[count[(keys[index]! >>> shift) & MASK]!++] = index;
    }
    [order, next] = [next, order];
  }
  return order;
}
