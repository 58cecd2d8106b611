// What a node answers about the contracts' state (GET /v1/auctions/:k, /v1/bills): the read side of the
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
  meteredWh: string | null;
  clearing: { height: number; confirmations: number } | null;
  metering: { height: number; confirmations: number } | null;
  /** Every recorded part of the bill is at least `minConfirmations` blocks deep. */
  confirmed: boolean;
}
