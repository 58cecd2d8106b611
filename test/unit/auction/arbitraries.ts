// fast-check generators of valid auction inputs. Prices come from a small range so that ties (between
// participants, with the grid prices and at zero gain) are common, which is where clearing bugs hide.
import fc from 'fast-check';
import type { AuctionInput, Bid, Step } from '../../../contracts-vm/auction/index.ts';

export interface Shape {
  minBids?: number;
  maxBids: number;
  maxSteps: number;
  maxQty: number;
  maxPrice: number;
}

/** Tiny instances: brute force over all integer splits stays cheap. */
export const tiny: Shape = { maxBids: 5, maxSteps: 2, maxQty: 3, maxPrice: 12 };
/** Larger instances with realistic Wh, still with many ties. */
export const medium: Shape = { maxBids: 24, maxSteps: 4, maxQty: 5000, maxPrice: 40 };

export function stepsArb(shape: Shape): fc.Arbitrary<Step[]> {
  const step = fc.record({
    qty: fc.integer({ min: 1, max: shape.maxQty }),
    price: fc.integer({ min: 0, max: shape.maxPrice }),
  });
  return fc.array(step, { minLength: 1, maxLength: shape.maxSteps });
}

export function inputArb(shape: Shape): fc.Arbitrary<AuctionInput> {
  const bid = fc.record({ side: fc.constantFrom<Bid['side']>('buy', 'sell'), steps: stepsArb(shape) });
  return fc
    .record({
      prices: fc.tuple(
        fc.integer({ min: 0, max: shape.maxPrice }),
        fc.integer({ min: 0, max: shape.maxPrice }),
      ),
      bids: fc.array(bid, { minLength: shape.minBids ?? 0, maxLength: shape.maxBids }),
      ids: fc.shuffledSubarray(
        Array.from({ length: shape.maxBids }, (_, i) => `vpp-${i}`),
        { minLength: shape.maxBids, maxLength: shape.maxBids },
      ),
    })
    .map(({ prices, bids, ids }) => ({
      gridSellPrice: Math.max(...prices),
      gridBuyPrice: Math.min(...prices),
      bids: bids.map((b, i) => ({ id: ids[i]!, side: b.side, steps: b.steps })),
    }));
}
