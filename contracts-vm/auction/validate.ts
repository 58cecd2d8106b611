// Structural and range validation of auction input. The same checks run on-chain on each submitted bid
// (validateBid) and off-chain on whole files (validateAuctionInput); errors name the offending field so a
// rejected bid or file says exactly what to fix. Validators return fresh objects holding only the known
// fields, so later changes to the caller's objects cannot change a clearing in progress.
import {
  ID_PATTERN,
  MAX_BIDS,
  MAX_ID_LENGTH,
  MAX_PRICE,
  MAX_STEP_QTY_WH,
  MAX_STEPS_PER_BID,
} from './limits.ts';
import type { AuctionInput, Bid, Side, Step } from './types.ts';

/** An invalid input: `field` is the path of the offending value, e.g. `bids[2].steps[0].qty`. */
export class AuctionInputError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field} ${problem}`);
    this.name = 'AuctionInputError';
    this.field = field;
  }
}

type Fields = Record<string, unknown>;

function record(value: unknown, field: string, allowed: readonly string[]): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AuctionInputError(field || 'input', 'must be an object');
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new AuctionInputError(join(field, key), 'is not an allowed field');
  }
  return value as Fields;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function integerIn(value: unknown, field: string, min: number, max: number, problem: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new AuctionInputError(field, problem);
  }
  return value;
}

function price(value: unknown, field: string): number {
  return integerIn(
    value,
    field,
    0,
    MAX_PRICE,
    `must be an integer from 0 to ${MAX_PRICE} (base units per kWh)`,
  );
}

function validateStep(value: unknown, field: string): Step {
  const step = record(value, field, ['qty', 'price']);
  const qtyField = `${field}.qty`;
  if (typeof step.qty !== 'number' || !Number.isSafeInteger(step.qty) || step.qty <= 0) {
    throw new AuctionInputError(qtyField, 'must be a positive integer');
  }
  const qty = integerIn(step.qty, qtyField, 1, MAX_STEP_QTY_WH, `must be at most ${MAX_STEP_QTY_WH} (Wh)`);
  return { qty, price: price(step.price, `${field}.price`) };
}

/** Validates one bid (as submitted on-chain or read from a file); `field` prefixes error paths. */
export function validateBid(value: unknown, field = 'bid'): Bid {
  const bid = record(value, field, ['id', 'side', 'steps']);
  const id = bid.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
    throw new AuctionInputError(
      `${field}.id`,
      `must be a string of 1 to ${MAX_ID_LENGTH} characters from A-Z a-z 0-9 . _ : -`,
    );
  }
  if (bid.side !== 'buy' && bid.side !== 'sell') {
    throw new AuctionInputError(`${field}.side`, "must be 'buy' or 'sell'");
  }
  const side: Side = bid.side;
  const steps = bid.steps;
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > MAX_STEPS_PER_BID) {
    throw new AuctionInputError(`${field}.steps`, `must be an array of 1 to ${MAX_STEPS_PER_BID} steps`);
  }
  return { id, side, steps: steps.map((s, i) => validateStep(s, `${field}.steps[${i}]`)) };
}

/** Validates a whole auction input; throws AuctionInputError naming the first offending field. */
export function validateAuctionInput(value: unknown): AuctionInput {
  const input = record(value, '', ['gridSellPrice', 'gridBuyPrice', 'bids']);
  const gridSellPrice = price(input.gridSellPrice, 'gridSellPrice');
  const gridBuyPrice = price(input.gridBuyPrice, 'gridBuyPrice');
  // A grid that buys dearer than it sells would be an unbounded money pump for any VPP.
  if (gridBuyPrice > gridSellPrice)
    throw new AuctionInputError('gridBuyPrice', 'must not exceed gridSellPrice');
  const raw = input.bids;
  if (!Array.isArray(raw) || raw.length > MAX_BIDS) {
    throw new AuctionInputError('bids', `must be an array of at most ${MAX_BIDS} bids`);
  }
  const firstIndexOfId = new Map<string, number>();
  const bids = raw.map((b, i) => {
    const bid = validateBid(b, `bids[${i}]`);
    const earlier = firstIndexOfId.get(bid.id);
    if (earlier !== undefined) {
      throw new AuctionInputError(`bids[${i}].id`, `duplicates bids[${earlier}].id '${bid.id}'`);
    }
    firstIndexOfId.set(bid.id, i);
    return bid;
  });
  return { gridSellPrice, gridBuyPrice, bids };
}
