// Consensus limits for the real-time auction. They bound every intermediate value: quantities stay exact
// JavaScript numbers (total Wh <= MAX_BIDS * MAX_STEPS_PER_BID * MAX_STEP_QTY_WH = 3.2e15 < 2^53), prices
// fit the 30-bit radix-sort key and the 15-bit halves of money.ts, and money (Wh x price, up to 3.2e24
// milli-units) is always a bigint.

/** Most bids (VPPs) in one interval's auction. */
export const MAX_BIDS = 100_000;
/** Most steps (quantity blocks) in one bid. */
export const MAX_STEPS_PER_BID = 32;
/** Largest quantity of one step, in Wh (1 GWh per interval). */
export const MAX_STEP_QTY_WH = 1_000_000_000;
/** Largest price, in token base units per kWh; applies to step prices and both grid prices. */
export const MAX_PRICE = 1_000_000_000;
/** Longest participant id, in characters. */
export const MAX_ID_LENGTH = 64;
/** Ids are printable ASCII so that their order (the tie-break) is the same code-unit order everywhere. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
/** Prices are per kWh and quantities in Wh: Wh x price is money in thousandths of a base unit. */
export const MILLI_PER_UNIT = 1000n;
