// protocol/hash.ts hashes short inputs with @noble/hashes and longer ones with OpenSSL: the two must give
// the same digest at every length, around the switch-over and past several blocks.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../protocol/bytes.ts';
import { sha256, sha256d } from '../../../protocol/hash.ts';

describe('sha256', () => {
  it('equals the pure-JS reference on every length from 0 to 300 bytes and on 1 MiB', () => {
    const lengths = [...Array.from({ length: 301 }, (_, n) => n), 8192, 1 << 20];
    for (const n of lengths) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = (i * 131 + n) & 0xff;
      const out = sha256(data);
      expect(out).toBeInstanceOf(Uint8Array);
      expect(out.length).toBe(32);
      expect(toHex(out)).toBe(toHex(nobleSha256(data)));
      expect(toHex(sha256d(data))).toBe(toHex(nobleSha256(nobleSha256(data))));
    }
  });

  it('returns a digest of its own (not a view into a shared buffer)', () => {
    const a = sha256(new Uint8Array(100));
    const b = sha256(new Uint8Array(200));
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(32);
    a.fill(0);
    expect(toHex(b)).toBe(toHex(nobleSha256(new Uint8Array(200))));
  });

  it('matches a published vector (FIPS 180-2, "abc")', () => {
    expect(toHex(sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
