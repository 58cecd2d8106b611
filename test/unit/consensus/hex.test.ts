// fromHex parses in one pass over the characters; it must accept and refuse exactly what the strict
// definition does (optional 0x, either case, even length, hex digits only), with the same bytes.
import { describe, expect, it } from 'vitest';
import { DecodeError, fromHex, toHex } from '../../../protocol/bytes.ts';

/** The definition, written the obvious way. */
function reference(hex: string, expectedLength?: number): Uint8Array {
  const h = (hex.startsWith('0x') ? hex.slice(2) : hex).toLowerCase();
  if (h.length % 2 !== 0 || !/^[0-9a-f]*$/.test(h)) throw new DecodeError('invalid hex string');
  const out = new Uint8Array(Buffer.from(h, 'hex'));
  if (expectedLength !== undefined && out.length !== expectedLength)
    throw new DecodeError(`expected ${expectedLength} bytes, got ${out.length}`);
  return out;
}

const outcome = (f: () => Uint8Array): string => {
  try {
    return toHex(f());
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
};

describe('fromHex', () => {
  it('gives the bytes or the refusal of the strict definition', () => {
    const fixed = [
      '',
      '0x',
      '00',
      '0x00',
      'ff',
      'FF',
      'fF',
      '0xAbCd',
      '0X00',
      'x0',
      '0',
      '0x0',
      'g0',
      '0g',
      ' 00',
      '00 ',
      '0x0x',
      'İ0',
      '\u212a0',
      '0\u0000',
      'é1',
      `0x${'ab'.repeat(20)}`,
      `0x${'AB'.repeat(32)}`,
    ];
    // Random strings over hex digits, both cases, x and a few others, of every length up to 12.
    const alphabet = '0123456789abcdefABCDEFxXgG \u0130';
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const generated = Array.from({ length: 5000 }, () => {
      const n = Math.floor(random() * 13);
      let s = random() < 0.3 ? '0x' : '';
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
      return s;
    });
    let accepted = 0;
    for (const s of [...fixed, ...generated]) {
      expect(
        outcome(() => fromHex(s)),
        JSON.stringify(s),
      ).toBe(outcome(() => reference(s)));
      for (const len of [0, 1, 20])
        expect(
          outcome(() => fromHex(s, len)),
          JSON.stringify(s),
        ).toBe(outcome(() => reference(s, len)));
      if (!outcome(() => fromHex(s)).startsWith('DecodeError')) accepted++;
    }
    expect(accepted).toBeGreaterThan(100); // the random strings exercise both verdicts
  });
});
