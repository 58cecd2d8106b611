// The real-time auction contract's interface (id 2) and the vocabulary of its bids: sides, step bids and
// an interval's prices. placeBid(interval u64, side u8 (0 buy, 1 sell), step count u8 (1..32), steps of
// qty u32 Wh and price u32 base units per kWh); cancelBid(interval u64); setPrices(interval u64, four
// prices u32). The limits are the clearing engine's (../auction/limits.ts), so a decoded bid is one the
// engine accepts.
import { MAX_PRICE, MAX_STEP_QTY_WH, MAX_STEPS_PER_BID } from '../auction/limits.ts';
import type { Side, Step } from '../auction/types.ts';
import { badArgs, defineContractAbi, type MethodSpec } from './define.ts';

export const AUCTION_ID = 2;

/** A short VPP buys, a long VPP sells: the clearing engine's own type, so a decoded bid is what it clears. */
export type { Side };

/** The byte of a side in calls and records: 0 buy, 1 sell. */
export const sideByte = (side: Side): number => (side === 'buy' ? 0 : 1);
/** The side of a byte read from a record that was written with `sideByte`. */
export const sideOfByte = (b: number): Side => (b === 0 ? 'buy' : 'sell');

/** One quantity block of a bid: qty Wh (1..MAX_STEP_QTY_WH) at price base units per kWh (0..MAX_PRICE). */
export type BidStep = Step;

/** Prices in force for an interval, base units per kWh (genesis `market` unless the grid set them). */
export interface IntervalPrices {
  /** The grid sells to short VPPs at this price (the penalty for a deficit). */
  gridSellPrice: number;
  /** The grid buys from long VPPs at this price; at most gridSellPrice. */
  gridBuyPrice: number;
  /** Metered deficit not traded is paid at this price. */
  imbalanceShortPrice: number;
  /** Metered surplus not traded is bought at this price; at most imbalanceShortPrice. */
  imbalanceLongPrice: number;
}

/** The price fields in their wire order. */
export const PRICE_FIELDS = [
  'gridSellPrice',
  'gridBuyPrice',
  'imbalanceShortPrice',
  'imbalanceLongPrice',
] as const satisfies readonly (keyof IntervalPrices)[];

export interface PlaceBidArgs {
  interval: bigint;
  side: Side;
  steps: readonly BidStep[];
}

export interface IntervalArgs {
  interval: bigint;
}

export interface SetPricesArgs extends IntervalPrices {
  interval: bigint;
}

const placeBid: MethodSpec<PlaceBidArgs> = {
  id: 0,
  encode(w, a) {
    w.u64(a.interval).u8(sideByte(a.side)).u8(a.steps.length);
    for (const s of a.steps) w.u32(s.qty).u32(s.price);
  },
  decode(r) {
    const interval = r.u64('interval');
    const sideCode = r.u8('side');
    if (sideCode > 1) throw badArgs('side must be 0 (buy) or 1 (sell)');
    const n = r.u8('step count');
    if (n < 1 || n > MAX_STEPS_PER_BID) throw badArgs(`steps: 1..${MAX_STEPS_PER_BID} required, got ${n}`);
    const steps: BidStep[] = [];
    for (let i = 0; i < n; i++) {
      const qty = r.u32(`steps[${i}].qty`);
      const price = r.u32(`steps[${i}].price`);
      if (qty < 1 || qty > MAX_STEP_QTY_WH) throw badArgs(`steps[${i}].qty must be 1..${MAX_STEP_QTY_WH} Wh`);
      if (price > MAX_PRICE) throw badArgs(`steps[${i}].price must be at most ${MAX_PRICE}`);
      steps.push({ qty, price });
    }
    return { interval, side: sideOfByte(sideCode), steps };
  },
  gas: (a) => 1 + Math.ceil(a.steps.length / 8),
};

const cancelBid: MethodSpec<IntervalArgs> = {
  id: 1,
  encode: (w, a) => w.u64(a.interval),
  decode: (r) => ({ interval: r.u64('interval') }),
  gas: () => 1,
};

const setPrices: MethodSpec<SetPricesArgs> = {
  id: 2,
  encode(w, a) {
    w.u64(a.interval);
    for (const f of PRICE_FIELDS) w.u32(a[f]);
  },
  decode(r) {
    const a: SetPricesArgs = {
      interval: r.u64('interval'),
      gridSellPrice: r.u32('gridSellPrice'),
      gridBuyPrice: r.u32('gridBuyPrice'),
      imbalanceShortPrice: r.u32('imbalanceShortPrice'),
      imbalanceLongPrice: r.u32('imbalanceLongPrice'),
    };
    for (const f of PRICE_FIELDS) if (a[f] > MAX_PRICE) throw badArgs(`${f} must be at most ${MAX_PRICE}`);
    if (a.gridBuyPrice > a.gridSellPrice) throw badArgs('gridBuyPrice must not exceed gridSellPrice');
    if (a.imbalanceLongPrice > a.imbalanceShortPrice)
      throw badArgs('imbalanceLongPrice must not exceed imbalanceShortPrice');
    return a;
  },
  gas: () => 1,
};

export const AUCTION_ABI = defineContractAbi(AUCTION_ID, 'auction', { placeBid, cancelBid, setPrices });
