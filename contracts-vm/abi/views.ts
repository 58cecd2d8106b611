// What a node answers about the contracts' state (GET /v1/auctions/:k, /v1/bills, /v1/schedules): the read side of the
// contracts' interface, in JSON form (u64 values as decimal strings). Nodes build these from their state
// (../queries.ts); clients read them as types.
import type { Address } from '../../protocol/keys.ts';
import type { BidStep, IntervalPrices, Side } from './auction.ts';

export type AuctionStatus = 'open' | 'closed' | 'cleared' | 'empty';

export interface AuctionView {
  interval: string;
  window: { open: number; close: number; deliveryStart: number; deliveryEnd: number };
  status: AuctionStatus;
  prices: IntervalPrices;
  bidCount: number;
  /** Bids are shown once the gate has closed. */
  bids: { vpp: Address; side: Side; steps: readonly BidStep[]; height: number }[] | null;
  clearing: null | {
    height: number;
    tradedWh: string;
    welfare: string;
    deficit: string;
    grid: { soldWh: string; boughtWh: string; revenue: string; expense: string };
    operatorNet: string;
    unpaid: string;
    participants: {
      vpp: Address;
      side: Side;
      qtyWh: string;
      payment: string;
      gridWh: string;
      gridPayment: string;
    }[];
    excluded: Address[];
  };
}

export interface BillView {
  vpp: Address;
  interval: string;
  lines: { kind: string; wh: string; amount: string }[];
  total: string;
  /** The metered net position, + export / - import (null: not metered yet). */
  meteredWh: string | null;
  /** What the VPP had committed for the interval when it was metered (null: nothing, counted as 0; or not metered). */
  committedWh: string | null;
  /** meteredWh - committedWh: the deviation metering settled against the traded position (null: not metered). */
  deviationWh: string | null;
  clearing: { height: number; confirmations: number } | null;
  metering: { height: number; confirmations: number } | null;
  /** Every recorded part of the bill is at least `minConfirmations` blocks deep. */
  confirmed: boolean;
}

/** One interval of a VPP's committed day-ahead schedule. */
export interface ScheduleEntryView {
  interval: string;
  /** The committed net position, + export / - import, Wh. */
  committedWh: string;
  /** The block that committed it (its latest revision), that block's depth and timestamp (null when the
   *  main chain no longer has a block at that height). */
  height: number;
  confirmations: number;
  committedAt: number | null;
  /** When the position stops being revisable: the interval's bidding window opens (ms, chain time). */
  closesAt: number;
  /** The head is past closesAt: this is the position metering will measure against. */
  final: boolean;
}
