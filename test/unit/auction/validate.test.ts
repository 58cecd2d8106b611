// Input validation: every rule rejects with a message naming the offending field, and accepted input is
// copied so that later mutation by the caller cannot change a clearing.
import { describe, expect, it } from 'vitest';
import {
  AuctionInputError,
  clearAuction,
  MAX_BIDS,
  MAX_PRICE,
  MAX_STEP_QTY_WH,
  MAX_STEPS_PER_BID,
  validateAuctionInput,
  validateBid,
} from '../../../contracts-vm/auction/index.ts';

const good = () => ({
  gridSellPrice: 300,
  gridBuyPrice: 20,
  bids: [
    { id: 'vpp-1', side: 'buy', steps: [{ qty: 1000, price: 200 }] },
    {
      id: 'vpp-2',
      side: 'sell',
      steps: [
        { qty: 500, price: 50 },
        { qty: 500, price: 90 },
      ],
    },
    { id: 'vpp-3', side: 'buy', steps: [{ qty: 1500, price: 120 }] },
  ],
});

type Input = ReturnType<typeof good> & Record<string, unknown>;

function rejects(edit: (input: Input) => void, field: string, message: RegExp) {
  const input = good() as Input;
  edit(input);
  let error: unknown;
  try {
    validateAuctionInput(input);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(AuctionInputError);
  expect((error as AuctionInputError).field).toBe(field);
  expect((error as AuctionInputError).message).toMatch(message);
  // clearAuction refuses the same input in the same way.
  expect(() => clearAuction(input as never)).toThrow((error as Error).message);
}

describe('validateAuctionInput', () => {
  it('accepts a good input and returns an independent copy', () => {
    const input = good();
    const valid = validateAuctionInput(input);
    expect(valid).toEqual(input);
    input.bids[0]!.steps[0]!.qty = 7;
    expect(valid.bids[0]!.steps[0]!.qty).toBe(1000);
  });

  it('names the offending field', () => {
    const bid = (i: Input, n: number) => i.bids[n] as Record<string, unknown>;
    const step = (i: Input, n: number, s: number) => i.bids[n]!.steps[s] as Record<string, unknown>;
    rejects((i) => delete (i as Record<string, unknown>).gridSellPrice, 'gridSellPrice', /integer from 0 to/);
    rejects((i) => (i.gridSellPrice = -1), 'gridSellPrice', /integer from 0/);
    rejects((i) => (i.gridBuyPrice = 2.5), 'gridBuyPrice', /integer/);
    rejects((i) => (i.gridBuyPrice = 301), 'gridBuyPrice', /must not exceed gridSellPrice/);
    rejects((i) => (i.gridSellPrice = MAX_PRICE + 1), 'gridSellPrice', /1000000000/);
    rejects((i) => (i.extra = 1), 'extra', /not an allowed field/);
    rejects((i) => ((i as Record<string, unknown>).bids = {}), 'bids', /array/);
    rejects((i) => ((i.bids as unknown[])[1] = null), 'bids[1]', /must be an object/);
    rejects((i) => (bid(i, 2).id = ''), 'bids[2].id', /1 to 64 characters/);
    rejects((i) => (bid(i, 2).id = 'vpp 3'), 'bids[2].id', /characters from/);
    rejects((i) => (bid(i, 2).id = 'x'.repeat(65)), 'bids[2].id', /1 to 64/);
    rejects((i) => (bid(i, 2).id = 'vpp-1'), 'bids[2].id', /duplicates bids\[0\]\.id 'vpp-1'/);
    rejects((i) => (bid(i, 1).side = 'sel'), 'bids[1].side', /'buy' or 'sell'/);
    rejects((i) => (bid(i, 1).steps = []), 'bids[1].steps', /1 to 32 steps/);
    rejects(
      (i) => (bid(i, 1).steps = Array.from({ length: MAX_STEPS_PER_BID + 1 }, () => ({ qty: 1, price: 1 }))),
      'bids[1].steps',
      /1 to 32 steps/,
    );
    rejects((i) => (bid(i, 0).owner = 'me'), 'bids[0].owner', /not an allowed field/);
    rejects(
      (i) => (step(i, 2, 0).qty = 0),
      'bids[2].steps[0].qty',
      /^bids\[2\]\.steps\[0\]\.qty must be a positive integer$/,
    );
    rejects((i) => (step(i, 1, 1).qty = '500'), 'bids[1].steps[1].qty', /positive integer/);
    rejects((i) => (step(i, 1, 1).qty = MAX_STEP_QTY_WH + 1), 'bids[1].steps[1].qty', /at most 1000000000/);
    rejects((i) => (step(i, 1, 0).price = -5), 'bids[1].steps[0].price', /integer from 0/);
    rejects((i) => (step(i, 1, 0).price = 1e300), 'bids[1].steps[0].price', /integer from 0/);
    rejects((i) => delete step(i, 0, 0).price, 'bids[0].steps[0].price', /integer from 0/);
    rejects((i) => (step(i, 0, 0).note = 'x'), 'bids[0].steps[0].note', /not an allowed field/);
  });

  it('bounds the number of bids', () => {
    const bids = Array.from({ length: MAX_BIDS + 1 }, (_, n) => ({
      id: `v${n}`,
      side: 'buy',
      steps: [{ qty: 1, price: 1 }],
    }));
    expect(() => validateAuctionInput({ gridSellPrice: 1, gridBuyPrice: 0, bids })).toThrow(
      /^bids must be an array of at most 100000/,
    );
  });

  it('rejects a non-object input', () => {
    expect(() => validateAuctionInput([])).toThrow(/^input must be an object$/);
  });
});

describe('validateBid', () => {
  it('validates a single on-chain bid with its own field prefix', () => {
    expect(validateBid({ id: 'a:1', side: 'sell', steps: [{ qty: 1, price: 0 }] })).toEqual({
      id: 'a:1',
      side: 'sell',
      steps: [{ qty: 1, price: 0 }],
    });
    expect(() => validateBid({ id: 'a', side: 'buy', steps: [{ qty: -1, price: 0 }] })).toThrow(
      'bid.steps[0].qty must be a positive integer',
    );
    expect(() => validateBid({ id: 'a', side: 'buy', steps: [{ qty: 1.5, price: 0 }] }, 'tx.bid')).toThrow(
      'tx.bid.steps[0].qty must be a positive integer',
    );
  });
});
