import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, fromHex, toHex } from '../../../protocol/bytes.ts';

describe('state commitment ordering', () => {
  it('lowercase hex keys sort as strings exactly as their bytes sort (what the bucket hash relies on)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 6 }), { maxLength: 40 }), (keys) => {
        const byBytes = [...keys].sort(compareBytes).map(toHex);
        const byString = keys.map(toHex).sort();
        expect(byString).toEqual(byBytes);
        expect(byString.map((h) => toHex(fromHex(h)))).toEqual(byString);
      }),
      { numRuns: 500 },
    );
  });
});
