// The secure-sum building blocks: ChaCha20 (RFC 8439 vector, and the same keystream as OpenSSL's),
// fixed point modulo 2^64 (exact cancellation, bounds, rounding), keys (hello signatures, pair
// secrets agree at both ends), the masking graph (degree, connectivity, determinism), the codec.
import { createCipheriv } from 'node:crypto';
import * as secp from '@noble/secp256k1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReply, decodeRequest, encodeRequest, Kind } from '../../../market/pool/messages.ts';
import { ProsumerParty } from '../../../market/pool/party.ts';
import { addKeystream, keystreamBytes, keyWords } from '../../../market/secagg/chacha.ts';
import {
  accumulateWords,
  decodeSums,
  encodeFixed,
  FixedPointError,
  layout,
  MAX_PARTIES,
  reduceWords,
} from '../../../market/secagg/fixed.ts';
import { defaultMaskDegree, isConnectedWithin, maskingGraph } from '../../../market/secagg/graph.ts';
import {
  generateIdentity,
  pairSecret,
  partyKeys,
  signHello,
  signHelloOpenssl,
  verifyHello,
  verifyHelloNative,
  verifyHelloOpenssl,
} from '../../../market/secagg/keys.ts';
import { DecodeError } from '../../../market/wire.ts';
import { generated } from './helpers.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe('ChaCha20', () => {
  it('matches the RFC 8439 §2.3.2 block test vector', () => {
    const key = keyWords(hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'));
    // Nonce 00:00:00:09:00:00:00:4a:00:00:00:00 as three little-endian words; block counter 1.
    const stream = keystreamBytes(key, 0x09000000, 0x4a000000, 0, 128).subarray(64);
    expect(Buffer.from(stream).toString('hex')).toBe(
      '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e' +
        'd2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e',
    );
  });

  it("gives OpenSSL's ChaCha20 keystream (node:crypto) for any key and nonce", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
        (key, n) => {
          // OpenSSL's 16-byte IV: the 32-bit block counter (0), then the 96-bit nonce, little-endian.
          const iv = Buffer.alloc(16);
          n.forEach((x, i) => {
            iv.writeUInt32LE(x >>> 0, 4 + 4 * i);
          });
          const theirs = createCipheriv('chacha20', key, iv).update(Buffer.alloc(200));
          expect(
            Buffer.from(keystreamBytes(keyWords(key), n[0]! >>> 0, n[1]! >>> 0, n[2]! >>> 0, 200)),
          ).toEqual(theirs);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('fixed point modulo 2^64', () => {
  const l = layout([
    { name: 'x', length: 3, scaleBits: 32, bound: 2 ** 15 },
    { name: 'count', length: 1, scaleBits: 0, bound: 1 },
  ]);

  it('pairwise masks cancel exactly in the sum, whatever the values', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.double({ min: -30_000, max: 30_000, noNaN: true }), { minLength: 3, maxLength: 3 }),
          {
            minLength: 2,
            maxLength: 6,
          },
        ),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (values, seed) => {
          const n = values.length;
          const lo = new Float64Array(l.words);
          const hi = new Float64Array(l.words);
          const expected = [0, 0, 0];
          values.forEach((v, i) => {
            const plo = new Float64Array(l.words);
            const phi = new Float64Array(l.words);
            encodeFixed(l, [v, [1]], plo, phi);
            // Every pair masks with a key of its own; the lower index adds, the higher subtracts.
            for (let j = 0; j < n; j++) {
              if (j === i) continue;
              const key = keyWords(seed.map((b) => b ^ (Math.min(i, j) * 16 + Math.max(i, j))));
              addKeystream(key, 1, 2, 3, l.words, j > i ? 1 : -1, plo, phi);
            }
            const bytes = new Uint8Array(8 * l.words);
            reduceWords(plo, phi, l.words, bytes);
            accumulateWords(bytes, 0, l.words, 1, lo, hi);
            v.forEach((x, k) => {
              expected[k]! += Math.round(x * 2 ** 32) / 2 ** 32;
            });
          });
          const sums = decodeSums(l, lo, hi, n);
          expect(sums.invalid).toBeUndefined();
          expect(sums.values[1]![0]).toBe(n);
          // Exact: the rounded values' sum, to the last bit that a double can hold.
          sums.values[0]!.forEach((s, k) => {
            expect(Math.abs(s - expected[k]!)).toBeLessThanOrEqual(1e-9);
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('rounds to 2^-33 at most and refuses non-finite or out-of-bound values', () => {
    const lo = new Float64Array(l.words);
    const hi = new Float64Array(l.words);
    encodeFixed(l, [[0.1, -1e-10, 32_000], [1]], lo, hi);
    const sums = decodeSums(l, lo, hi, 1);
    expect(Math.abs(sums.values[0]![0]! - 0.1)).toBeLessThanOrEqual(2 ** -33);
    expect(sums.values[0]![2]).toBe(32_000);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 15 + 1, -(2 ** 16)]) {
      expect(() => encodeFixed(l, [[bad, 0, 0], [1]], lo, hi)).toThrow(FixedPointError);
    }
    expect(() => encodeFixed(l, [[0, 0], [1]], lo, hi)).toThrow(/has 2 values/);
  });

  it('flags a sum no honest parties can produce', () => {
    const lo = new Float64Array(l.words);
    const hi = new Float64Array(l.words);
    hi[0] = 2 ** 20; // 2^52 at scale 2^32: 2^20 kWh from one party
    expect(decodeSums(l, lo, hi, 1).invalid).toMatch(/sum of x\[0\]/);
    // No field can wrap with MAX_PARTIES parties at their bound.
    expect(() => layout([{ name: 'y', length: 1, scaleBits: 40, bound: 2 ** 15 }])).toThrow(/could wrap/);
    expect(MAX_PARTIES * 2 ** 15 * 2 ** 32).toBeLessThanOrEqual(2 ** 62);
  });
});

describe('keys', () => {
  it('signs hellos verifiably and agrees on pair secrets at both ends', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    expect(Buffer.from(a.identity)).toEqual(Buffer.from(secp.getPublicKey(a.secretKey, true)));
    const ka = partyKeys(a.secretKey, a.identity);
    const kb = partyKeys(b.secretKey, b.identity);
    const challenge = new Uint8Array(32).fill(7);
    const sig = signHello(ka, challenge, 'home-1');
    expect(verifyHello(a.identity, ka.maskPublic, 'home-1', challenge, sig)).toBe(true);
    expect(verifyHello(a.identity, ka.maskPublic, 'home-2', challenge, sig)).toBe(false);
    expect(verifyHello(b.identity, ka.maskPublic, 'home-1', challenge, sig)).toBe(false);
    expect(verifyHello(a.identity, kb.maskPublic, 'home-1', challenge, sig)).toBe(false);
    expect(Buffer.from(pairSecret(ka, kb.maskPublic))).toEqual(Buffer.from(pairSecret(kb, ka.maskPublic)));
    expect(Buffer.from(pairSecret(ka, kb.maskPublic))).not.toEqual(
      Buffer.from(
        pairSecret(ka, partyKeys(generateIdentity().secretKey, generateIdentity().identity).maskPublic),
      ),
    );
    // Seeded identities (reproducible simulations) are valid keys, the same for the same seed.
    const seeded = generateIdentity(Buffer.from('seed/1'));
    expect(Buffer.from(seeded.identity)).toEqual(Buffer.from(secp.getPublicKey(seeded.secretKey, true)));
    expect(Buffer.from(generateIdentity(Buffer.from('seed/1')).secretKey)).toEqual(
      Buffer.from(seeded.secretKey),
    );
    expect(Buffer.from(generateIdentity(Buffer.from('seed/2')).secretKey)).not.toEqual(
      Buffer.from(seeded.secretKey),
    );
    // The mask key is derived from the identity key: the same every time.
    expect(Buffer.from(partyKeys(a.secretKey, a.identity).maskPublic)).toEqual(Buffer.from(ka.maskPublic));
  });

  it.skipIf(verifyHelloNative === undefined)(
    "libsecp256k1 and OpenSSL accept each other's hellos and refuse the same bad ones",
    () => {
      const native = verifyHelloNative!;
      const n = secp.Point.CURVE().n;
      const id = generateIdentity();
      const keys = partyKeys(id.secretKey, id.identity);
      const other = generateIdentity();
      const both = (identity: Uint8Array, challenge: Uint8Array, sig: Uint8Array, who = 'home-1') => {
        const verdict = verifyHelloOpenssl(identity, keys.maskPublic, who, challenge, sig);
        expect(native(identity, keys.maskPublic, who, challenge, sig)).toBe(verdict);
        return verdict;
      };
      const toBig = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
      const fromBig = (x: bigint) => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.nat({ max: 63 }),
          fc.uint8Array({ minLength: 64, maxLength: 64 }),
          (challenge, at, junk) => {
            const mine = signHello(keys, challenge, 'home-1');
            const openssl = signHelloOpenssl(keys, challenge, 'home-1');
            expect(both(id.identity, challenge, mine)).toBe(true);
            expect(both(id.identity, challenge, openssl)).toBe(true);
            // The same signature with s replaced by n - s (what OpenSSL signs half of the time).
            const flipped = Uint8Array.of(...mine.subarray(0, 32), ...fromBig(n - toBig(mine.subarray(32))));
            expect(both(id.identity, challenge, flipped)).toBe(true);
            expect(both(other.identity, challenge, mine)).toBe(false);
            expect(both(id.identity, challenge, mine, 'home-2')).toBe(false);
            const mutated = mine.slice();
            mutated[at]! ^= 1;
            expect(both(id.identity, challenge, mutated)).toBe(false);
            both(id.identity, challenge, junk);
            // r or s out of range, zero, or n itself.
            for (const [r, s] of [
              [0n, 1n],
              [1n, 0n],
              [n, toBig(mine.subarray(32))],
              [toBig(mine.subarray(0, 32)), n],
              [toBig(mine.subarray(0, 32)) + n, toBig(mine.subarray(32))],
            ] as const) {
              if (r >= 2n ** 256n || s >= 2n ** 256n) continue;
              expect(both(id.identity, challenge, Uint8Array.of(...fromBig(r), ...fromBig(s)))).toBe(false);
            }
            expect(both(Uint8Array.of(4, ...id.identity.subarray(1)), challenge, mine)).toBe(false);
          },
        ),
        { numRuns: 50 },
      );
    },
  );
});

describe('masking graph', () => {
  it('has the documented degree, is connected, and depends only on the seed', () => {
    const seed = new Uint8Array(32).fill(3);
    for (const n of [2, 5, 17, 30, 200, 1000]) {
      const k = defaultMaskDegree(n);
      const g = maskingGraph(n, k, seed);
      expect(isConnectedWithin(g, [...g.keys()])).toBe(true);
      for (const [i, ns] of g.entries()) {
        expect(ns.length, `n ${n}`).toBeLessThanOrEqual(2 * k);
        expect(ns).not.toContain(i);
        for (const j of ns) expect(g[j]).toContain(i);
      }
      const mean = g.reduce((s, ns) => s + ns.length, 0) / n;
      expect(mean).toBeGreaterThanOrEqual(k);
      expect(maskingGraph(n, k, seed)).toEqual(g);
    }
    expect(defaultMaskDegree(10_000)).toBe(28);
    expect(maskingGraph(30, 10, new Uint8Array(32).fill(4))).not.toEqual(
      maskingGraph(30, 10, new Uint8Array(32).fill(3)),
    );
  });
});

describe('codec', () => {
  const scenario = generated(1, 5);
  const T = scenario.periods;
  const round = encodeRequest({
    kind: Kind.round,
    session: new Uint8Array(8),
    round: 3,
    iteration: 2,
    flags: 0,
    rho: 0.05,
    prices: new Float64Array(T).fill(0.1),
    meanTrade: new Float64Array(T),
    excluded: [1, 2],
  });

  it('round-trips and checks dimensions, versions, finite numbers and trailing bytes', () => {
    const m = decodeRequest(round, T);
    expect(m).toMatchObject({ kind: Kind.round, round: 3, iteration: 2, rho: 0.05, excluded: [1, 2] });
    expect(() => decodeRequest(round, T + 1)).toThrow(DecodeError);
    const v2 = round.slice();
    v2[0] = 2;
    expect(() => decodeRequest(v2, T)).toThrow(/protocol version 2/);
    const nan = round.slice();
    new DataView(nan.buffer).setFloat64(2 + 8 + 4 + 4 + 1 + 8 + 2, Number.NaN, true);
    expect(() => decodeRequest(nan, T)).toThrow(/not a finite number/);
    expect(() => decodeRequest(Uint8Array.of(...round, 0), T)).toThrow(/trailing/);
    expect(() => decodeRequest(round.subarray(0, round.length - 1), T)).toThrow(/needs/);
  });

  it('a party answers any byte string with a reply, never an exception', () => {
    const { secretKey, identity } = generateIdentity();
    const party = new ProsumerParty({ prosumer: scenario.prosumers[0]!, secretKey, identity });
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.nat({ max: round.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        (junk, at, byte) => {
          for (const bytes of [junk, Uint8Array.of(1, ...junk), round.map((b, i) => (i === at ? byte : b))]) {
            const reply = decodeReply(party.handle(bytes));
            expect(reply.kind).toBe(Kind.refuse);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
