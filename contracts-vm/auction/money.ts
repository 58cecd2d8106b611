// Exact prefix sums of qty x price (milli base units) with one bigint per 128 steps instead of one per step:
// building the curves is the hot path of a clearing, and bigint allocation dominated it. Each price is split
// into 15-bit halves, so a step contributes qty x half < 2^30 x 2^15 = 2^45 to a half-sum, and up to 127
// steps since the last bigint checkpoint keep each half-sum below 2^52: every number stays an exact integer.
import { MAX_PRICE, MAX_STEP_QTY_WH } from './limits.ts';

const BLOCK = 128;
const HALF = 2 ** 15;
const HALF_BITS = 15n;

// The exactness argument above, checked against the limits it relies on.
if (MAX_STEP_QTY_WH >= 2 ** 30 || MAX_PRICE >= HALF * HALF)
  throw new Error('money.ts: limits exceed exact range');

export interface MoneyPrefix {
  /** checkpoints[c] = exact money of steps 0..c*BLOCK-1. */
  readonly checkpoints: readonly bigint[];
  /** Money of steps c*BLOCK..k-1 (c = floor(k / BLOCK)) from the low and high 15 bits of the price. */
  readonly low: Float64Array;
  readonly high: Float64Array;
}

/** Prefix sums for k = 0..n over steps with the given quantities and prices. */
export function buildMoneyPrefix(qty: Float64Array, price: Float64Array): MoneyPrefix {
  const n = qty.length;
  const low = new Float64Array(n + 1);
  const high = new Float64Array(n + 1);
  const checkpoints: bigint[] = [0n];
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < n; k++) {
    const p = price[k]!;
    const pHigh = Math.floor(p / HALF);
    lo += qty[k]! * (p - pHigh * HALF);
    hi += qty[k]! * pHigh;
    if ((k + 1) % BLOCK === 0) {
      checkpoints.push(checkpoints[checkpoints.length - 1]! + BigInt(lo) + (BigInt(hi) << HALF_BITS));
      lo = 0;
      hi = 0;
    }
    low[k + 1] = lo;
    high[k + 1] = hi;
  }
  return { checkpoints, low, high };
}

/** Exact money of steps 0..k-1. */
export function moneyBefore(m: MoneyPrefix, k: number): bigint {
  const c = Math.floor(k / BLOCK);
  return m.checkpoints[c]! + BigInt(m.low[k]!) + (BigInt(m.high[k]!) << HALF_BITS);
}
