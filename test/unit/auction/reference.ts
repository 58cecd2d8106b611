// Slow, obviously-correct reference implementations used to cross-check the fast engine (and by the bench
// for the naive timing). Nothing here shares code with contracts-vm/auction beyond the types.
import type { AuctionInput, Bid } from '../../../contracts-vm/auction/index.ts';

interface Unitless {
  bid: number;
  step: number;
  qty: number;
  price: number;
}

function capped(bid: Bid, price: number, input: AuctionInput): number {
  return bid.side === 'buy' ? Math.min(price, input.gridSellPrice) : Math.max(price, input.gridBuyPrice);
}

function byMerit(input: AuctionInput, bids: readonly Bid[], side: Bid['side']): Unitless[] {
  const steps: Unitless[] = [];
  bids.forEach((bid, b) => {
    if (bid.side !== side) return;
    bid.steps.forEach((s, i) => {
      steps.push({ bid: b, step: i, qty: s.qty, price: capped(bid, s.price, input) });
    });
  });
  return steps.sort((x, y) => {
    if (x.price !== y.price) return side === 'buy' ? y.price - x.price : x.price - y.price;
    const ix = bids[x.bid]!.id;
    const iy = bids[y.bid]!.id;
    if (ix !== iy) return ix < iy ? -1 : 1;
    return x.step - y.step;
  });
}

export interface NaiveClearing {
  welfareMilli: bigint;
  traded: number;
  /** Wh traded per bid, by bid index. */
  qty: number[];
  /** Exact capped value (buyer) or capped cost (seller) of each bid's traded Wh, milli units. */
  ownMilli: bigint[];
}

/** Merit-order clearing by walking both sorted step lists block by block. */
export function naiveClear(input: AuctionInput, bids: readonly Bid[] = input.bids): NaiveClearing {
  const demand = byMerit(input, bids, 'buy');
  const supply = byMerit(input, bids, 'sell');
  const qty = bids.map(() => 0);
  const ownMilli = bids.map(() => 0n);
  let welfareMilli = 0n;
  let traded = 0;
  let d = 0;
  let s = 0;
  let dLeft = demand[0]?.qty ?? 0;
  let sLeft = supply[0]?.qty ?? 0;
  while (d < demand.length && s < supply.length && demand[d]!.price > supply[s]!.price) {
    const q = Math.min(dLeft, sLeft);
    const buyer = demand[d]!;
    const seller = supply[s]!;
    qty[buyer.bid]! += q;
    qty[seller.bid]! += q;
    ownMilli[buyer.bid]! += BigInt(q) * BigInt(buyer.price);
    ownMilli[seller.bid]! += BigInt(q) * BigInt(seller.price);
    welfareMilli += BigInt(q) * BigInt(buyer.price - seller.price);
    traded += q;
    dLeft -= q;
    sLeft -= q;
    if (dLeft === 0) dLeft = demand[++d]?.qty ?? 0;
    if (sLeft === 0) sLeft = supply[++s]?.qty ?? 0;
  }
  return { welfareMilli, traded, qty, ownMilli };
}

/** VCG by definition: re-clear once without each trading participant. Quadratic. */
export function naiveVcg(input: AuctionInput): { clearing: NaiveClearing; paymentMilli: bigint[] } {
  const clearing = naiveClear(input);
  const paymentMilli = input.bids.map((bid, b) => {
    if (clearing.qty[b] === 0) return 0n;
    const without = naiveClear(
      input,
      input.bids.filter((_, i) => i !== b),
    ).welfareMilli;
    const own = bid.side === 'buy' ? clearing.ownMilli[b]! : -clearing.ownMilli[b]!;
    const othersWith = clearing.welfareMilli - own;
    // Buyer pays (others' loss); seller receives the negative of that.
    return bid.side === 'buy' ? without - othersWith : othersWith - without;
  });
  return { clearing, paymentMilli };
}

/**
 * Value of x Wh to a participant whose true curve is `bid`, in milli units, measured against its grid-only
 * outcome: a buyer uses energy on its most valuable blocks (each worth at most gridSellPrice) and would sell
 * any excess to the grid at gridBuyPrice; a seller delivers from its cheapest blocks (each costing at least
 * gridBuyPrice) and must buy any shortfall from the grid at gridSellPrice. Returned as a value for buyers
 * and as a (positive) cost for sellers.
 */
export function trueWorthMilli(input: AuctionInput, bid: Bid, x: number): bigint {
  const prices = bid.steps
    .map((s) => ({ qty: s.qty, price: capped(bid, s.price, input) }))
    .sort((a, b) => (bid.side === 'buy' ? b.price - a.price : a.price - b.price));
  let left = x;
  let milli = 0n;
  for (const s of prices) {
    const q = Math.min(left, s.qty);
    milli += BigInt(q) * BigInt(s.price);
    left -= q;
  }
  const beyond = bid.side === 'buy' ? input.gridBuyPrice : input.gridSellPrice;
  return milli + BigInt(left) * BigInt(beyond);
}

/** Best welfare over every integer split of Wh among participants (tiny instances only). */
export function bruteForceWelfareMilli(input: AuctionInput): bigint {
  const buyers = input.bids.filter((b) => b.side === 'buy');
  const sellers = input.bids.filter((b) => b.side === 'sell');
  const totalOf = (b: Bid) => b.steps.reduce((t, s) => t + s.qty, 0);
  let best = 0n;
  const walk = (
    list: Bid[],
    i: number,
    qty: number,
    milli: bigint,
    sign: 1n | -1n,
    done: (q: number, m: bigint) => void,
  ) => {
    if (i === list.length) return done(qty, milli);
    for (let x = 0; x <= totalOf(list[i]!); x++) {
      walk(list, i + 1, qty + x, milli + sign * trueWorthMilli(input, list[i]!, x), sign, done);
    }
  };
  const supplyBest = new Map<number, bigint>();
  walk(sellers, 0, 0, 0n, -1n, (q, m) => {
    const seen = supplyBest.get(q);
    if (seen === undefined || m > seen) supplyBest.set(q, m);
  });
  walk(buyers, 0, 0, 0n, 1n, (q, m) => {
    const s = supplyBest.get(q);
    if (s !== undefined && m + s > best) best = m + s;
  });
  return best;
}

/**
 * The market-clearing price interval [low, high] around `traded` units (docs/auction.md): low =
 * max(s(Q), d(Q + 1)), high = min(d(Q), s(Q + 1)), dropping units that do not exist.
 */
export function clearingPriceInterval(input: AuctionInput, traded: number): { low: number; high: number } {
  const unitPrice = (side: Bid['side'], u: number): number | undefined => {
    let seen = 0;
    for (const s of byMerit(input, input.bids, side)) {
      seen += s.qty;
      if (seen >= u) return s.price;
    }
    return undefined;
  };
  const present = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  return {
    low: Math.max(...present([unitPrice('sell', traded), unitPrice('buy', traded + 1)])),
    high: Math.min(...present([unitPrice('buy', traded), unitPrice('sell', traded + 1)])),
  };
}
