// Clearing of one interval's real-time auction: the welfare-maximising allocation on the merit-order curves
// and Vickrey-Clarke-Groves (Clarke pivot) payments, settled in tokens together with the grid residuals.
// Pure and deterministic: integers only (numbers for Wh and prices, bigint for money), no dependence on the
// order of bids. See docs/auction.md for the model and the proofs.
import {
  buildCurve,
  type Exclusion,
  exclusionOf,
  type MeritCurve,
  moneySkipping,
  moneyUpTo,
  positionsOf,
  rankSkipping,
  stepAtRank,
} from './curve.ts';
import { paidByParticipant, paidToParticipant } from './rounding.ts';
import type { AuctionInput, ClearingResult, ParticipantResult } from './types.ts';
import { validateAuctionInput } from './validate.ts';

/**
 * Clears an auction. Validates the input first (throws AuctionInputError naming the field), then returns
 * allocation, exact and rounded VCG payments, grid settlement and the operator's deficit.
 * Cost: O(n + b log b) to order n steps of b bids, then O(m (log q) (s + log n)) for the m trading
 * participants' payments (q = the participant's traded Wh, s = its step count), instead of m re-clearings.
 */
export function clearAuction(raw: AuctionInput): ClearingResult {
  const input = validateAuctionInput(raw);
  const { bids, gridSellPrice, gridBuyPrice } = input;
  const idOrder = orderByIds(bids.map((b) => b.id));
  const demand = buildCurve(bids, idOrder, 'buy', gridSellPrice, gridBuyPrice);
  const supply = buildCurve(bids, idOrder, 'sell', gridSellPrice, gridBuyPrice);

  const traded = lastGainfulUnit(0, Math.min(demand.total, supply.total), (u) => gain(demand, u, supply, u));
  const welfareMilli = moneyUpTo(demand, traded) - moneyUpTo(supply, traded);

  let buyerPayments = 0n;
  let sellerReceipts = 0n;
  let exactDeficit = 0n;
  let gridSold = 0;
  let gridBought = 0;
  let revenue = 0n;
  let expense = 0n;
  const participants = bids.map((bid, b): ParticipantResult => {
    const buyer = bid.side === 'buy';
    const own = buyer ? demand : supply;
    const other = buyer ? supply : demand;
    const positions = positionsOf(own, b);
    let qty = 0;
    let gridQty = 0;
    for (const k of positions) {
      const filled = Math.min(Math.max(traded - own.cumQty[k]!, 0), own.qty[k]!);
      qty += filled;
      // The grid is an option, not an obligation: a VPP settles an unfilled block with the grid only when
      // the grid's price is at least as good as the block's own price (ties go to the grid).
      const gridTakesIt = buyer ? own.bidPrice[k]! >= gridSellPrice : own.bidPrice[k]! <= gridBuyPrice;
      if (gridTakesIt) gridQty += own.qty[k]! - filled;
    }
    const paymentMilli =
      qty === 0 ? 0n : externality(own, other, exclusionOf(own, positions), buyer, traded, qty);
    const gridMilli = BigInt(gridQty) * BigInt(buyer ? gridSellPrice : gridBuyPrice);
    let payment: bigint;
    let gridPayment: bigint;
    if (buyer) {
      payment = paidByParticipant(paymentMilli);
      gridPayment = paidByParticipant(gridMilli);
      buyerPayments += payment;
      exactDeficit -= paymentMilli;
      gridSold += gridQty;
      revenue += gridPayment;
    } else {
      payment = paidToParticipant(paymentMilli);
      gridPayment = paidToParticipant(gridMilli);
      sellerReceipts += payment;
      exactDeficit += paymentMilli;
      gridBought += gridQty;
      expense += gridPayment;
    }
    return { id: bid.id, side: bid.side, qty, paymentMilli, payment, gridQty, gridPayment };
  });
  const deficit = sellerReceipts - buyerPayments;
  return {
    tradedQty: traded,
    welfareMilli,
    welfare: paidByParticipant(welfareMilli),
    deficitMilli: exactDeficit,
    deficit,
    grid: { sold: gridSold, bought: gridBought, revenue, expense },
    operatorNet: revenue - expense - deficit,
    participants,
  };
}

/** Bid indices in ascending code-unit order of their ids: the documented tie-break. Ids are unique. */
function orderByIds(ids: readonly string[]): Int32Array {
  // The default string sort compares UTF-16 code units, the same order as `<`, without a comparator call.
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  return Int32Array.from([...ids].sort(), (id) => indexOf.get(id)!);
}

/** Whether trading unit u creates value: the demand unit is worth strictly more than the supply unit costs. */
function gain(demand: MeritCurve, demandRank: number, supply: MeritCurve, supplyRank: number): boolean {
  return demand.price[stepAtRank(demand, demandRank)]! > supply.price[stepAtRank(supply, supplyRank)]!;
}

/**
 * Largest u in [lo, hi] with gainful(u), given that lo qualifies (or is 0) and gainful is true then false:
 * the merit-order crossing. Zero-gain units are not traded (the tie-break that keeps volume minimal).
 */
function lastGainfulUnit(lo: number, hi: number, gainful: (u: number) => boolean): number {
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (gainful(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The Clarke-pivot amount of a participant that trades `qty` of the `traded` units, exactly, in milli units:
 * the others' welfare without it minus their welfare with it. Without it the crossing moves back to some
 * t' in [traded - qty, traded]; its qty units are replaced by the next others' units on its own side
 * (ranks traded - qty + 1..t' of the curve without it) and by units no longer traded on the other side
 * (ranks t' + 1..traded). A buyer pays that amount; a seller receives it (same formula, mirrored sides).
 */
function externality(
  own: MeritCurve,
  other: MeritCurve,
  ex: Exclusion,
  buyer: boolean,
  traded: number,
  qty: number,
): bigint {
  const othersKept = traded - qty;
  const crossing = lastGainfulUnit(othersKept, Math.min(traded, ex.remaining), (u) => {
    const ownRank = rankSkipping(ex, u);
    return buyer ? gain(own, ownRank, other, u) : gain(other, u, own, ownRank);
  });
  const dropped = moneyUpTo(other, traded) - moneyUpTo(other, crossing);
  return dropped + moneySkipping(own, ex, othersKept, crossing);
}
