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
