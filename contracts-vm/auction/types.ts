// Types of the real-time auction. Quantities are integer Wh held in numbers (exact: see limits.ts), prices
// are integer token base units per kWh held in numbers, and money is bigint: "milli" amounts are exact
// (thousandths of a base unit, i.e. Wh x base units per kWh), the others are whole base units after rounding.

export type Side = 'buy' | 'sell';

/** One quantity block of a bid: `qty` Wh at `price` base units per kWh. */
export interface Step {
  qty: number;
  /** Buy side: the most the VPP pays for this block. Sell side: the least it accepts. */
  price: number;
}

/** A VPP's bid for one interval: a short VPP buys (`buy`), a long VPP sells (`sell`). */
export interface Bid {
  id: string;
  side: Side;
  steps: readonly Step[];
}

export interface AuctionInput {
  /** Price at which the grid sells to short VPPs (the penalty for a deficit), base units per kWh. */
  gridSellPrice: number;
  /** Price at which the grid buys from long VPPs, base units per kWh; at most gridSellPrice. */
  gridBuyPrice: number;
  bids: readonly Bid[];
}

export interface ParticipantResult {
  id: string;
  side: Side;
  /** Wh bought (buyer) or sold (seller) in the market. */
  qty: number;
  /** Exact VCG amount in milli base units: what a buyer pays, what a seller receives. */
  paymentMilli: bigint;
  /** `paymentMilli` rounded in the participant's favour: a buyer pays the floor, a seller receives the ceiling. */
  payment: bigint;
  /** Wh settled with the grid: a buyer's unmet blocks bought from it, a seller's unsold blocks sold to it. */
  gridQty: number;
  /** Base units for `gridQty` at the grid's price, rounded in the participant's favour like `payment`. */
  gridPayment: bigint;
}

export interface ClearingResult {
  /** Wh traded between VPPs (bought = sold). */
  tradedQty: number;
  /** Gains from trade over the grid-only outcome, exact, in milli base units. */
  welfareMilli: bigint;
  /** `welfareMilli` rounded down to base units (informational: no one is paid the welfare). */
  welfare: bigint;
  /** Exact VCG budget deficit: sellers' exact receipts minus buyers' exact payments, milli base units. */
  deficitMilli: bigint;
  /** Base units the operator adds to the market: sum of seller `payment`s minus sum of buyer `payment`s. */
  deficit: bigint;
  grid: {
    /** Wh the grid sells to buyers (their unmet blocks priced at or above gridSellPrice). */
    sold: number;
    /** Wh the grid buys from sellers (their unsold blocks priced at or below gridBuyPrice). */
    bought: number;
    /** Base units the grid receives from buyers: sum of buyer `gridPayment`s. */
    revenue: bigint;
    /** Base units the grid pays sellers: sum of seller `gridPayment`s. */
    expense: bigint;
  };
  /**
   * Net tokens of the operator account (grid and market operator are one account):
   * revenue - expense - deficit. Every participant's net plus this is exactly zero.
   */
  operatorNet: bigint;
  /** One entry per bid, in input order. */
  participants: ParticipantResult[];
}
