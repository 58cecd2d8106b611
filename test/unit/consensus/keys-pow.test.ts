import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchNonce, setNonce } from '../../../consensus/pow.ts';
import { SignatureVerifier } from '../../../consensus/sigverify.ts';
import { HEADER_BYTES } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { sha256d } from '../../../protocol/hash.ts';
import {
  isCanonicalSignature,
  keyPairFromSecret,
  sign,
  signatureBackend,
  signNoble,
  verifyFast,
  verifyNative,
  verifyNoble,
  verifyOpenssl,
} from '../../../protocol/keys.ts';
import { envelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const be32 = (x: bigint) => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));
const secretArb = fc.bigInt({ min: 1n, max: N - 1n }).map(be32);

describe('signature verifiers', () => {
  it('the canonical-encoding check (byte comparisons) agrees with 1 <= r < n, 1 <= s <= n/2 in bigints', () => {
    const HALF_N = N >> 1n;
    const reference = (sig: Uint8Array) => {
      if (sig.length !== 64) return false;
      const r = BigInt(`0x${toHex(sig.subarray(0, 32))}`);
      const s = BigInt(`0x${toHex(sig.subarray(32))}`);
      return r >= 1n && r < N && s >= 1n && s <= HALF_N;
    };
    const edges = [0n, 1n, 2n, HALF_N - 1n, HALF_N, HALF_N + 1n, N - 1n, N, N + 1n, (1n << 256n) - 1n];
    for (const r of edges)
      for (const s of edges) {
        const sig = Uint8Array.from([...be32(r), ...be32(s)]);
        expect(isCanonicalSignature(sig)).toBe(reference(sig));
      }
    const near = (x: bigint) =>
      fc.bigInt({ min: x - 300n, max: x + 300n }).filter((v) => v >= 0n && v < 1n << 256n);
    const word = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), near(N), near(HALF_N), near(0n));
    fc.assert(
      fc.property(word, word, (r, s) => {
        const sig = Uint8Array.from([...be32(r), ...be32(s)]);
        expect(isCanonicalSignature(sig)).toBe(reference(sig));
      }),
      { numRuns: 3000 },
    );
    for (const length of [0, 63, 65])
      expect(isCanonicalSignature(new Uint8Array(length).fill(1))).toBe(false);
  });

  it('libsecp256k1 loaded: the fast verifier and signer are the native ones on this platform', () => {
    // linux-x64 has a prebuilt addon; a machine where it fails to load falls back to OpenSSL (slower,
    // same verdicts), which this test would report rather than hide.
    expect(signatureBackend).toBe('libsecp256k1');
    expect(verifyNative).toBeDefined();
    expect(verifyFast).toBe(verifyNative);
  });

  it('libsecp256k1, OpenSSL and noble give identical verdicts on valid, mutated, high-s and random signatures, and sign the same bytes', () => {
    const verifiers = [verifyFast, verifyOpenssl, ...(verifyNative ? [verifyNative] : [])];
    fc.assert(
      fc.property(
        secretArb,
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(63),
        fc.nat(7),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (sk, msg, pos, bit, junk, x) => {
          const k = keyPairFromSecret(sk);
          const sig = sign(msg, sk);
          expect(sig).toEqual(signNoble(msg, sk));
          expect(isCanonicalSignature(sig)).toBe(true);
          expect(verifyNoble(sig, msg, k.publicKey)).toBe(true);
          for (const verify of verifiers) expect(verify(sig, msg, k.publicKey)).toBe(true);
          const flipped = sig.slice();
          flipped[pos]! ^= 1 << bit;
          // High-s twin: (r, n - s) verifies mathematically but breaks the low-s rule.
          const s = BigInt(`0x${toHex(sig.subarray(32))}`);
          const highS = Uint8Array.from([...sig.subarray(0, 32), ...be32(N - s)]);
          const otherMsg = Uint8Array.from([...msg, 1]);
          const badPrefix = k.publicKey.slice();
          badPrefix[0] = 0x04;
          // A random x: about half of them are not on the curve.
          const randomPoint = Uint8Array.from([k.publicKey[0]!, ...x]);
          const uncompressed = Uint8Array.from([0x04, ...x, ...x]);
          for (const [sg, m, pk] of [
            [flipped, msg, k.publicKey],
            [highS, msg, k.publicKey],
            [junk, msg, k.publicKey],
            [sig, otherMsg, k.publicKey],
            [sig, msg, badPrefix],
            [sig, msg, randomPoint],
            [sig, msg, uncompressed],
            [sig.subarray(0, 63), msg, k.publicKey],
          ] as const) {
            const expected = verifyNoble(sg, m, pk);
            for (const verify of verifiers) expect(verify(sg, m, pk)).toBe(expected);
          }
          for (const verify of verifiers) expect(verify(highS, msg, k.publicKey)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('verifies in worker threads, caches verdicts by transaction id, and agrees with inline verification', async () => {
    const b = new ChainBuilder(testParams());
    const good = Array.from({ length: 40 }, (_, i) => b.transfer(keys.vpp1, keys.vpp2, 1n, BigInt(i)));
    const bad = good.slice(0, 10).map((t) => {
      const sig = t.tx.signature.slice();
      sig[5]! ^= 4;
      return envelope({ ...t.tx, signature: sig });
    });
    const pooled = new SignatureVerifier(b.domain, 2);
    const inline = new SignatureVerifier(b.domain, 0);
    try {
      const all = [...good, ...bad];
      const verdicts = await pooled.verifyTxs(all);
      expect(verdicts).toEqual(await inline.verifyTxs(all));
      expect(verdicts.filter(Boolean).length).toBe(40);
      expect(pooled.stats.verified).toBe(50);
      await pooled.verifyTxs(good);
      expect(pooled.stats.verified).toBe(50);
      expect(pooled.stats.cacheHits).toBe(40);
    } finally {
      await pooled.close();
      await inline.close();
    }
  });
});

describe('nonce search', () => {
  it('finds exactly the first nonce whose SHA-256d is at or below the target', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: HEADER_BYTES, maxLength: HEADER_BYTES }),
        fc.integer({ min: 0, max: 8 }),
        (header, zeroBits) => {
          const target = (1n << BigInt(256 - zeroBits)) - 1n;
          const r = searchNonce(header, target, 1000, 1000 + 4096);
          let expected = -1;
          for (let n = 1000; n < 1000 + 4096; n++) {
            setNonce(header, n);
            if (BigInt(`0x${toHex(sha256d(header))}`) <= target) {
              expected = n;
              break;
            }
          }
          expect(r.nonce).toBe(expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});
