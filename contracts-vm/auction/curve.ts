// One side of the market as a merit-order step curve: steps sorted best first (buyers by descending, sellers
// by ascending effective price), with prefix sums of quantity (numbers, exact below 2^53) and money (bigint,
// milli base units). "Rank" r counts Wh from the best end: unit r (1-based) lies in the step k with
// cumQty[k] < r <= cumQty[k + 1]. A curve can also be read as if one participant's steps were removed
// (an Exclusion), which is what VCG needs without re-sorting or re-summing anything.
import { MAX_PRICE, MAX_STEPS_PER_BID } from './limits.ts';
import { buildMoneyPrefix, type MoneyPrefix, moneyBefore } from './money.ts';
import type { Bid } from './types.ts';

export interface MeritCurve {
  /** Wh of each step, in merit order. */
  readonly qty: Float64Array;
  /** Effective price of each step: buyers' capped at gridSellPrice, sellers' floored at gridBuyPrice. */
  readonly price: Float64Array;
  /** Price as bid, for deciding which unfilled blocks the grid settles. */
  readonly bidPrice: Float64Array;
  /** cumQty[k] = Wh in steps 0..k-1; length n + 1. */
  readonly cumQty: Float64Array;
  /** Sum of qty x price over steps 0..k-1, milli base units, for k = 0..n (see moneyBefore). */
  readonly cumMoney: MoneyPrefix;
  /** Positions (ascending) of each bid's steps in this curve, indexed by bid index; empty for the other side. */
  readonly positionsOf: readonly (readonly number[])[];
  readonly total: number;
}

/**
 * Builds the curve of one side. Ties in effective price are broken by participant id (ascending code-unit
 * order, given as `idRank`), then by step index within the bid, so the order never depends on input order.
 */
export function buildCurve(
  bids: readonly Bid[],
  idRank: Int32Array,
  side: Bid['side'],
  gridSellPrice: number,
  gridBuyPrice: number,
): MeritCurve {
  const slots = bids.length * MAX_STEPS_PER_BID;
  const bidOfRank = new Int32Array(bids.length);
  let n = 0;
  for (let b = 0; b < bids.length; b++) {
    bidOfRank[idRank[b]!] = b;
    if (bids[b]!.side === side) n += bids[b]!.steps.length;
  }
  // One exact integer key per step (< 2^53 by the limits) lets a typed-array numeric sort do the work.
  const keys = new Float64Array(n);
  let i = 0;
  for (let b = 0; b < bids.length; b++) {
    const bid = bids[b]!;
    if (bid.side !== side) continue;
    for (let s = 0; s < bid.steps.length; s++) {
      const eff = effectivePrice(bid.steps[s]!.price, side, gridSellPrice, gridBuyPrice);
      const order = side === 'buy' ? MAX_PRICE - eff : eff;
      keys[i++] = order * slots + idRank[b]! * MAX_STEPS_PER_BID + s;
    }
  }
  keys.sort();
  const qty = new Float64Array(n);
  const price = new Float64Array(n);
  const bidPrice = new Float64Array(n);
  const cumQty = new Float64Array(n + 1);
  const positionsOf: number[][] = bids.map(() => []);
  for (let k = 0; k < n; k++) {
    const slot = keys[k]! % slots;
    const b = bidOfRank[Math.floor(slot / MAX_STEPS_PER_BID)]!;
    const step = bids[b]!.steps[slot % MAX_STEPS_PER_BID]!;
    qty[k] = step.qty;
    bidPrice[k] = step.price;
    price[k] = effectivePrice(step.price, side, gridSellPrice, gridBuyPrice);
    cumQty[k + 1] = cumQty[k]! + step.qty;
    positionsOf[b]!.push(k);
  }
  return {
    qty,
    price,
    bidPrice,
    cumQty,
    cumMoney: buildMoneyPrefix(qty, price),
    positionsOf,
    total: cumQty[n]!,
  };
}

/**
 * The grid is every VPP's outside option, so a block is worth to the market only what it saves against the
 * grid: a buyer never needs to pay more than gridSellPrice, a seller can always get gridBuyPrice.
 */
export function effectivePrice(
  price: number,
  side: Bid['side'],
  gridSellPrice: number,
  gridBuyPrice: number,
) {
  return side === 'buy' ? Math.min(price, gridSellPrice) : Math.max(price, gridBuyPrice);
}

/** Index of the step holding unit `rank` (1 <= rank <= total): binary search on cumQty. */
export function stepAtRank(c: MeritCurve, rank: number): number {
  let lo = 0;
  let hi = c.qty.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c.cumQty[mid + 1]! >= rank) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Money of the best `rank` units (0 <= rank <= total), milli base units. */
export function moneyUpTo(c: MeritCurve, rank: number): bigint {
  if (rank === 0) return 0n;
  const k = stepAtRank(c, rank);
  return moneyBefore(c.cumMoney, k) + BigInt(rank - c.cumQty[k]!) * BigInt(c.price[k]!);
}

/** One participant's steps, seen as rank intervals of the full curve that a reader should skip. */
export interface Exclusion {
  /** Rank just before each excluded step (its units are start+1..start+qty), ascending. */
  readonly starts: readonly number[];
  readonly qtys: readonly number[];
  /** Curve positions of the excluded steps, ascending. */
  readonly positions: readonly number[];
  /** Units left on the curve once these steps are removed. */
  readonly remaining: number;
}

export function exclusionOf(c: MeritCurve, positions: readonly number[]): Exclusion {
  let removed = 0;
  const starts: number[] = [];
  const qtys: number[] = [];
  for (const k of positions) {
    starts.push(c.cumQty[k]!);
    qtys.push(c.qty[k]!);
    removed += c.qty[k]!;
  }
  return { starts, qtys, positions, remaining: c.total - removed };
}

/** Full-curve rank of the u-th unit (0 <= u <= remaining) that is not excluded; 0 stays 0. */
export function rankSkipping(ex: Exclusion, u: number): number {
  let rank = u;
  for (let j = 0; j < ex.starts.length; j++) {
    // An excluded interval that starts before the current rank lies wholly before it: skip over it.
    if (ex.starts[j]! < rank) rank += ex.qtys[j]!;
    else break;
  }
  return rank;
}

/** Money of the non-excluded units u1+1..u2 (in the curve without the excluded steps). */
export function moneySkipping(c: MeritCurve, ex: Exclusion, u1: number, u2: number): bigint {
  const from = rankSkipping(ex, u1);
  const to = rankSkipping(ex, u2);
  let money = moneyUpTo(c, to) - moneyUpTo(c, from);
  // Both ends are non-excluded ranks, so every excluded step is wholly inside (from, to] or wholly outside.
  for (let j = 0; j < ex.starts.length; j++) {
    if (ex.starts[j]! >= from && ex.starts[j]! + ex.qtys[j]! <= to) {
      money -= BigInt(ex.qtys[j]!) * BigInt(c.price[ex.positions[j]!]!);
    }
  }
  return money;
}
