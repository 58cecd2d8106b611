// Units and the one place where physics (floating-point kWh, GBP) becomes settled integers.
//   market (day-ahead):  energy in kWh (float), money in GBP (float)
//   chain (real time):   energy in Wh (integer), money in token base units (bigint);
//                        1 token = 1,000,000 base units = 1 GBP, so a price in GBP/kWh × 1e6 = base units per kWh
import { MAX_PRICE } from '../contracts-vm/auction/limits.ts';

export const BASE_UNITS_PER_GBP = 1_000_000;

/** kWh (float) to integer Wh, rounded half away from zero (so the sign rule is symmetric). */
export function kwhToWh(kwh: number): number {
  const wh = Math.round(Math.abs(kwh) * 1000);
  return kwh < 0 ? -wh : wh;
}

/** A price in GBP/kWh to integer base units per kWh: rounded to nearest, clamped to [0, MAX_PRICE]. */
export function gbpPerKwhToPrice(gbpPerKwh: number): number {
  if (!Number.isFinite(gbpPerKwh)) throw new RangeError(`price is not finite: ${gbpPerKwh}`);
  return Math.min(MAX_PRICE, Math.max(0, Math.round(gbpPerKwh * BASE_UNITS_PER_GBP)));
}

/** Base units (bigint) to GBP, for reports only. */
export const unitsToGbp = (units: bigint): number => Number(units) / BASE_UNITS_PER_GBP;

/** GBP to base units, rounded to nearest (for reports that mix day-ahead GBP with settled tokens). */
export const gbpToUnits = (gbp: number): bigint => BigInt(Math.round(gbp * BASE_UNITS_PER_GBP));
