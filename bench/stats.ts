/** Median of a non-empty list of measurements (shared machines are noisy: quote medians). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Value at quantile q in [0, 1] (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new Error('quantile of nothing');
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Runs fn `runs` times and returns the median of its measured results. */
export async function medianOf(runs: number, fn: () => Promise<number> | number): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn());
  return median(out);
}
