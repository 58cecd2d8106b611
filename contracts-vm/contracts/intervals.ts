// Delivery intervals on the chain's clock (block timestamps): interval k covers
// [genesis + k·I, genesis + (k+1)·I). Its gate closes when delivery starts: bids for k are accepted only
// in blocks whose timestamp is before start(k), and the first block at or after start(k) clears it.
import type { ChainParams } from '../../protocol/params.ts';

export const intervalStart = (p: ChainParams, k: bigint): number =>
  p.timestamp + Number(k) * p.market.intervalMs;
export const gateOf = intervalStart;
export const intervalEnd = (p: ChainParams, k: bigint): number => intervalStart(p, k + 1n);

/** The interval in delivery at time t (negative before genesis). */
export function intervalAt(p: ChainParams, t: number): bigint {
  return BigInt(Math.floor((t - p.timestamp) / p.market.intervalMs));
}

/** A chain time (ms since the Unix epoch) in ISO 8601, for messages. */
export const isoTime = (t: number): string => new Date(t).toISOString();

/** A duration for people: "850 ms", "3.2 s", "4 min 5 s", "2 h 10 min". */
export function formatDuration(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1000) return `${Math.round(a)} ms`;
  if (a < 60_000) return `${(Math.floor(a / 100) / 10).toString()} s`;
  const s = Math.floor(a / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
