// The stable radix sort must agree with a stable comparison sort on keys across all three 10-bit digits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stableOrderByKey } from '../../../contracts-vm/auction/radix.ts';

describe('stableOrderByKey', () => {
  it('orders by key and keeps index order among equal keys', () => {
    const key = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 30 - 1 }),
      fc.constantFrom(0, 1023, 1024, 2 ** 20, 2 ** 30 - 1),
    );
    fc.assert(
      fc.property(fc.array(key, { maxLength: 300 }), (keys) => {
        const expected = keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
        expect(Array.from(stableOrderByKey(Uint32Array.from(keys)))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
