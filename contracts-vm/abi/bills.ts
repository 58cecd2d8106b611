// A VPP's bill for one interval as the contracts record it: the heights at which the clearing and the
// metering wrote it, what was metered and what the VPP had committed for the interval, and line items.
// Amount sign: + the VPP receives, - it pays. Every line's amount is what actually moved; an `unpaid` line
// records what could not be moved because an account lacked the tokens (+ owed to the VPP, - owed by it).
// The stored encoding is execution's (../bills.ts); this is what clients read.
import type { Address } from '../../protocol/keys.ts';

/** Line kinds; a kind's index is its byte in the stored bill. */
export const LINE_KINDS = [
  'auction-buy',
  'auction-sell',
  'grid-buy',
  'grid-sell',
  'imbalance-short',
  'imbalance-long',
  'unpaid',
] as const;
export type LineKind = (typeof LINE_KINDS)[number];

export interface BillLine {
  kind: LineKind;
  wh: bigint;
  amount: bigint;
}

export interface Bill {
  address: Address;
  interval: bigint;
  /** Height of the block that cleared the interval (0: not yet). */
  clearingHeight: number;
  /** Height of the block that metered the VPP (0: not yet). */
  meteringHeight: number;
  /** The metered net position, + export / - import, Wh (null: not metered yet). */
  meteredWh: bigint | null;
  /** The position the VPP had committed for the interval when it was metered (null: none, counted as 0; or not metered yet). */
  committedWh: bigint | null;
  lines: BillLine[];
}

/** The metered deviation from the committed schedule, + surplus / - deficit (null before metering). */
export const billDeviation = (b: Pick<Bill, 'meteredWh' | 'committedWh'>): bigint | null =>
  b.meteredWh === null ? null : b.meteredWh - (b.committedWh ?? 0n);

/**
 * The bill total: Σ amounts of every line but `unpaid`. Since each line carries what moved, it equals the
 * VPP's balance change from the interval's settlement (clearing and metering), also when an account could
 * not pay in full.
 */
export const billTotal = (lines: readonly BillLine[]): bigint =>
  lines.filter((l) => l.kind !== 'unpaid').reduce((s, l) => s + l.amount, 0n);
