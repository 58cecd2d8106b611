/** Small seeded PRNG (mulberry32): scenario generation and trading graphs must be reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Randomness for masks: crypto.getRandomValues (buffered), or a seed for reproducible tests. */
export function maskRandomness(seed: number | undefined): () => number {
  if (seed !== undefined) return seededRandom(seed);
  const buffer = new Uint32Array(256);
  let next = buffer.length;
  return () => {
    if (next === buffer.length) {
      crypto.getRandomValues(buffer);
      next = 0;
    }
    return buffer[next++]! / 4294967296;
  };
}
