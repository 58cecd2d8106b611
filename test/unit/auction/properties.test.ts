// Randomised properties of the clearing: optimality against brute force, truthfulness, individual
// rationality, exact token conservation, fast VCG = naive VCG, and independence from input order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuctionInput,
  type Bid,
  type ClearingResult,
  clearAuction,
  MAX_PRICE,
  MAX_STEP_QTY_WH,
  type Step,
} from '../../../contracts-vm/auction/index.ts';
import { inputArb, medium, stepsArb, tiny } from './arbitraries.ts';
import { bruteForceWelfareMilli, clearingPriceInterval, naiveVcg, trueWorthMilli } from './reference.ts';

/** Exact utility (milli units) over the grid-only outcome of a participant whose true curve is `truth`. */
function utilityMilli(input: AuctionInput, truth: Bid, result: ClearingResult, index: number): bigint {
  const { qty, paymentMilli } = result.participants[index]!;
  const worth = trueWorthMilli(input, truth, qty);
  return truth.side === 'buy' ? worth - paymentMilli : paymentMilli - worth;
}

describe('auction properties', () => {
  it('allocates the brute-force optimal welfare', () => {
    fc.assert(
      fc.property(inputArb(tiny), (input) => {
        expect(clearAuction(input).welfareMilli).toBe(bruteForceWelfareMilli(input));
      }),
      { numRuns: 300 },
    );
  });

  it('makes truthful bidding a dominant strategy', () => {
    // A lie is either an unrelated curve or the true curve nudged step by step (shaded prices, withheld or
    // inflated quantities, a block dropped or added): the nudges probe the margins where lying could pay.
    const nudge = fc.record({
      dq: fc.integer({ min: -2, max: 2 }),
      dp: fc.integer({ min: -6, max: 6 }),
      drop: fc.boolean(),
    });
    const lie = fc.oneof(
      fc.record({ curve: stepsArb({ ...tiny, maxPrice: 30, maxQty: 8, maxSteps: 3 }) }),
      fc.record({ nudges: fc.array(nudge, { minLength: 1, maxLength: 3 }) }),
    );
    const apply = (
      truth: Bid,
      l: { curve?: Step[]; nudges?: { dq: number; dp: number; drop: boolean }[] },
    ) => {
      if (l.curve) return l.curve;
      const nudges = l.nudges!;
      const steps = truth.steps
        .map((s, k) => {
          const n = nudges[k % nudges.length]!;
          return n.drop && k > 0
            ? undefined
            : { qty: Math.max(1, s.qty + n.dq), price: Math.max(0, s.price + n.dp) };
        })
        .filter((s): s is Step => s !== undefined);
      if (nudges.length > truth.steps.length)
        steps.push({ qty: 1, price: Math.max(0, truth.steps[0]!.price + nudges[0]!.dp) });
      return steps;
    };
    fc.assert(
      fc.property(
        inputArb(tiny).filter((i) => i.bids.length > 0),
        fc.nat(),
        fc.array(lie, { minLength: 1, maxLength: 12 }),
        (input, pick, lies) => {
          const i = pick % input.bids.length;
          const truth = input.bids[i]!;
          const honest = utilityMilli(input, truth, clearAuction(input), i);
          for (const l of lies) {
            const bids = input.bids.map((b, j) => (j === i ? { ...b, steps: apply(truth, l) } : b));
            const lying = utilityMilli(input, truth, clearAuction({ ...input, bids }), i);
            expect(lying).toBeLessThanOrEqual(honest);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves every participant at least as well off as trading with the grid alone', () => {
    fc.assert(
      fc.property(inputArb(medium), (input) => {
        const r = clearAuction(input);
        input.bids.forEach((bid, i) => {
          expect(utilityMilli(input, bid, r, i)).toBeGreaterThanOrEqual(0n);
          const p = r.participants[i]!;
          // Rounding only ever moves tokens towards the participant, by less than one base unit.
          const exact = p.paymentMilli;
          const rounded = p.payment * 1000n;
          if (bid.side === 'buy') expect(exact - rounded >= 0n && exact - rounded < 1000n).toBe(true);
          else expect(rounded - exact >= 0n && rounded - exact < 1000n).toBe(true);
          // A VPP without a remedy of its own (buyer bidding >= P, seller <= p) settles everything in tokens:
          // then IR must hold in whole tokens too, against its grid-only bill or receipt.
          const total = BigInt(bid.steps.reduce((t, st) => t + st.qty, 0));
          if (bid.side === 'buy' && bid.steps.every((st) => st.price >= input.gridSellPrice)) {
            expect(p.payment + p.gridPayment).toBeLessThanOrEqual(
              (total * BigInt(input.gridSellPrice)) / 1000n,
            );
          }
          if (bid.side === 'sell' && bid.steps.every((st) => st.price <= input.gridBuyPrice)) {
            const gridOnly = (total * BigInt(input.gridBuyPrice) + 999n) / 1000n;
            expect(p.payment + p.gridPayment).toBeGreaterThanOrEqual(gridOnly);
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('conserves tokens and energy exactly, with a non-negative deficit covered by the operator', () => {
    fc.assert(
      fc.property(inputArb(medium), (input) => {
        const r = clearAuction(input);
        let participantsNet = 0n;
        let buyerPays = 0n;
        let sellerGets = 0n;
        let bought = 0;
        let sold = 0;
        let gridSold = 0;
        let gridBought = 0;
        for (const p of r.participants) {
          if (p.side === 'buy') {
            participantsNet -= p.payment + p.gridPayment;
            buyerPays += p.payment;
            bought += p.qty;
            gridSold += p.gridQty;
          } else {
            participantsNet += p.payment + p.gridPayment;
            sellerGets += p.payment;
            sold += p.qty;
            gridBought += p.gridQty;
          }
        }
        expect(participantsNet + r.operatorNet).toBe(0n);
        expect(sellerGets - buyerPays).toBe(r.deficit);
        expect(r.deficitMilli).toBeGreaterThanOrEqual(0n);
        expect(r.deficit * 1000n).toBeGreaterThanOrEqual(r.deficitMilli);
        expect([bought, sold]).toEqual([r.tradedQty, r.tradedQty]);
        expect([gridSold, gridBought]).toEqual([r.grid.sold, r.grid.bought]);
        // The grid never sells and buys in the same interval unless its two prices are equal: a blocked
        // pair (buyer at >= P, seller at <= p) would otherwise have traded with each other at a gain.
        if (input.gridSellPrice > input.gridBuyPrice)
          expect(r.grid.sold === 0 || r.grid.bought === 0).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('charges buyers at most the lowest and pays sellers at least the highest clearing price', () => {
    // The per-unit bounds behind the deficit proof in docs/auction.md.
    fc.assert(
      fc.property(inputArb(medium), (input) => {
        const r = clearAuction(input);
        if (r.tradedQty === 0) return;
        const { low, high } = clearingPriceInterval(input, r.tradedQty);
        expect(low).toBeLessThanOrEqual(high);
        for (const p of r.participants) {
          if (p.side === 'buy') expect(p.paymentMilli).toBeLessThanOrEqual(BigInt(p.qty) * BigInt(low));
          else expect(p.paymentMilli).toBeGreaterThanOrEqual(BigInt(p.qty) * BigInt(high));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('computes the same allocation and VCG payments as naive per-participant re-clearing', () => {
    const check = (input: AuctionInput) => {
      const fast = clearAuction(input);
      const naive = naiveVcg(input);
      expect(fast.welfareMilli).toBe(naive.clearing.welfareMilli);
      expect(fast.tradedQty).toBe(naive.clearing.traded);
      expect(fast.participants.map((p) => p.qty)).toEqual(naive.clearing.qty);
      expect(fast.participants.map((p) => p.paymentMilli)).toEqual(naive.paymentMilli);
    };
    fc.assert(fc.property(inputArb(medium), check), { numRuns: 300 });
    // Extremes of the limits: exactness of numbers and bigint money at full scale.
    const huge = { maxBids: 8, maxSteps: 3, maxQty: MAX_STEP_QTY_WH, maxPrice: MAX_PRICE };
    fc.assert(fc.property(inputArb(huge), check), { numRuns: 100 });
    // Curves longer than one money checkpoint block (128 steps), at full scale.
    const wide = { minBids: 70, maxBids: 90, maxSteps: 10, maxQty: MAX_STEP_QTY_WH, maxPrice: MAX_PRICE };
    fc.assert(fc.property(inputArb(wide), check), { numRuns: 15 });
  });

  it('gives no participant an advantage from the id tie-break', () => {
    // Renaming participants changes who is filled first among equal prices, but no
    // participant's utility: it is W(N) - W(N without it) whatever the tie-break.
    fc.assert(
      fc.property(inputArb(medium), (input) => {
        const n = input.bids.length;
        const renamed = {
          ...input,
          bids: input.bids.map((b, i) => ({ ...b, id: `r${String(n - i).padStart(3, '0')}` })),
        };
        const a = clearAuction(input);
        const b = clearAuction(renamed);
        input.bids.forEach((bid, i) => {
          expect(utilityMilli(renamed, bid, b, i)).toBe(utilityMilli(input, bid, a, i));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the order of bids or of steps within a bid', () => {
    fc.assert(
      fc.property(inputArb(medium), fc.infiniteStream(fc.nat()), (input, random) => {
        const shuffle = <T>(xs: readonly T[]) =>
          xs
            .map((x) => ({ x, k: random.next().value }))
            .sort((a, b) => a.k - b.k)
            .map((e) => e.x);
        const a = clearAuction(input);
        const b = clearAuction({
          ...input,
          bids: shuffle(input.bids).map((bid) => ({ ...bid, steps: shuffle(bid.steps) })),
        });
        const key = (r: ClearingResult) => [...r.participants].sort((x, y) => (x.id < y.id ? -1 : 1));
        expect({ ...b, participants: key(b) }).toEqual({ ...a, participants: key(a) });
      }),
      { numRuns: 100 },
    );
  });
});
