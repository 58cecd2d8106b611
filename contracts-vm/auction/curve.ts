// One side of the market as a merit-order step curve: steps sorted best first (buyers by descending, sellers
// by ascending effective price), with prefix sums of quantity (numbers, exact below 2^53) and money (bigint,
// milli base units). "Rank" r counts Wh from the best end: unit r (1-based) lies in the step k with
// cumQty[k] < r <= cumQty[k + 1]. A curve can also be read as if one participant's steps were removed
// (an Exclusion), which is what VCG needs without re-sorting or re-summing anything.
import { MAX_PRICE } from './limits.ts';
import { buildMoneyPrefix, type MoneyPrefix, moneyBefore } from './money.ts';
import { stableOrderByKey } from './radix.ts';
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
  /** Curve positions of bid b's steps, ascending, are byBid[firstOfBid[b]..firstOfBid[b + 1]-1]. */
  readonly firstOfBid: Int32Array;
  readonly byBid: Int32Array;
  readonly total: number;
}

/**
 * Builds the curve of one side. Ties in effective price are broken by participant id (ascending code-unit
 * order: `idOrder` lists bid indices in that order), then by step index within the bid: steps are listed in
 * exactly that order and then stably sorted by price, so the result never depends on input order.
 */
export function buildCurve(
  bids: readonly Bid[],
  idOrder: Int32Array,
  side: Bid['side'],
  gridSellPrice: number,
  gridBuyPrice: number,
): MeritCurve {
  let n = 0;
  for (const bid of bids) if (bid.side === side) n += bid.steps.length;
  // Steps listed in tie-break order, copied into flat arrays so that reordering them does not chase objects.
  const listedBid = new Int32Array(n);
  const listedQty = new Float64Array(n);
  const listedPrice = new Float64Array(n);
  const keys = new Uint32Array(n);
  let i = 0;
  for (const b of idOrder) {
    const bid = bids[b]!;
    if (bid.side !== side) continue;
    for (const step of bid.steps) {
      const eff = effectivePrice(step.price, side, gridSellPrice, gridBuyPrice);
      listedBid[i] = b;
      listedQty[i] = step.qty;
      listedPrice[i] = step.price;
      keys[i++] = side === 'buy' ? MAX_PRICE - eff : eff;
    }
  }
  const order = stableOrderByKey(keys);
  const qty = new Float64Array(n);
  const price = new Float64Array(n);
  const bidPrice = new Float64Array(n);
  const cumQty = new Float64Array(n + 1);
  // Positions grouped by bid (empty for the other side's bids): a prefix count, then filled in merit order.
  const firstOfBid = new Int32Array(bids.length + 1);
  for (let b = 0; b < bids.length; b++) {
    firstOfBid[b + 1] = firstOfBid[b]! + (bids[b]!.side === side ? bids[b]!.steps.length : 0);
  }
  const byBid = new Int32Array(n);
  const cursor = firstOfBid.slice(0, bids.length);
  for (let k = 0; k < n; k++) {
    const j = order[k]!;
    qty[k] = listedQty[j]!;
    bidPrice[k] = listedPrice[j]!;
    price[k] = effectivePrice(listedPrice[j]!, side, gridSellPrice, gridBuyPrice);
    cumQty[k + 1] = cumQty[k]! + qty[k]!;
    byBid[cursor[listedBid[j]!]!++] = k;
  }
  return {
    qty,
    price,
    bidPrice,
    cumQty,
    cumMoney: buildMoneyPrefix(qty, price),
    firstOfBid,
    byBid,
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
  readonly positions: Int32Array;
  /** Units left on the curve once these steps are removed. */
  readonly remaining: number;
}

/** Curve positions of bid b's steps, ascending (empty if b is on the other side). */
export function positionsOf(c: MeritCurve, b: number): Int32Array {
  return c.byBid.subarray(c.firstOfBid[b]!, c.firstOfBid[b + 1]!);
}

export function exclusionOf(c: MeritCurve, positions: Int32Array): Exclusion {
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
