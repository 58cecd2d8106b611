// The blocked prefix sums of qty x price must equal plain bigint sums at every index, across checkpoint
// boundaries and at the largest allowed quantities and prices.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PRICE, MAX_STEP_QTY_WH } from '../../../contracts-vm/auction/index.ts';
import { buildMoneyPrefix, moneyBefore } from '../../../contracts-vm/auction/money.ts';

function check(qty: number[], price: number[]) {
  const m = buildMoneyPrefix(Float64Array.from(qty), Float64Array.from(price));
  let exact = 0n;
  for (let k = 0; k <= qty.length; k++) {
    expect(moneyBefore(m, k)).toBe(exact);
    if (k < qty.length) exact += BigInt(qty[k]!) * BigInt(price[k]!);
  }
}

describe('money prefix sums', () => {
  it('are exact at the limits over several checkpoint blocks', () => {
    const n = 1000;
    check(new Array(n).fill(MAX_STEP_QTY_WH), new Array(n).fill(MAX_PRICE));
    check(new Array(n).fill(MAX_STEP_QTY_WH), new Array(n).fill(2 ** 15 - 1));
  });

  it('are exact on random steps', () => {
    const step = fc.tuple(
      fc.integer({ min: 1, max: MAX_STEP_QTY_WH }),
      fc.integer({ min: 0, max: MAX_PRICE }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 600 }), (steps) => {
        check(
          steps.map((s) => s[0]),
          steps.map((s) => s[1]),
        );
      }),
      { numRuns: 50 },
    );
  });
});
