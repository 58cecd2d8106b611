// ChaCha20 (RFC 8439) as the pseudo-random generator behind the pairwise masks. A mask is the keystream
// of one pair's 32-byte key under a 96-bit nonce that names the clearing session and the round, so every
// round's mask is fresh and revealing one round's mask (dropout recovery) says nothing about another's.
// Written here rather than taken from a library because masks are added straight into a party's
// accumulator: no keystream buffer per call, which matters at 28 masks per prosumer per round.
// Checked against the RFC 8439 test vector and OpenSSL's ChaCha20 (node:crypto) in
// test/unit/market/secagg.test.ts.

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

/** A 32-byte key as the eight little-endian words ChaCha20 reads. */
export function keyWords(key: Uint8Array): Uint32Array {
  if (key.length !== 32) throw new RangeError('a ChaCha20 key is 32 bytes');
  const w = new Uint32Array(8);
  for (let i = 0; i < 8; i++)
    w[i] = (key[4 * i]! | (key[4 * i + 1]! << 8) | (key[4 * i + 2]! << 16) | (key[4 * i + 3]! << 24)) >>> 0;
  return w;
}

const block = new Uint32Array(16);

/** Writes one 64-byte keystream block (16 words) for block counter `counter` into the shared buffer. */
function chachaBlock(k: Uint32Array, counter: number, n0: number, n1: number, n2: number): Uint32Array {
  const k0 = k[0]!,
    k1 = k[1]!,
    k2 = k[2]!,
    k3 = k[3]!,
    k4 = k[4]!,
    k5 = k[5]!,
    k6 = k[6]!,
    k7 = k[7]!;
  let x0 = SIGMA[0]!,
    x1 = SIGMA[1]!,
    x2 = SIGMA[2]!,
    x3 = SIGMA[3]!;
  let x4 = k0,
    x5 = k1,
    x6 = k2,
    x7 = k3,
    x8 = k4,
    x9 = k5,
    x10 = k6,
    x11 = k7;
  let x12 = counter | 0,
    x13 = n0 | 0,
    x14 = n1 | 0,
    x15 = n2 | 0;
  for (let r = 0; r < 10; r++) {
    // Column rounds.
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 7) | (x4 >>> 25);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 7) | (x5 >>> 25);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 7) | (x6 >>> 25);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 7) | (x7 >>> 25);
    // Diagonal rounds.
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 7) | (x5 >>> 25);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 7) | (x6 >>> 25);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 7) | (x7 >>> 25);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 7) | (x4 >>> 25);
  }
  const o = block;
  o[0] = x0 + SIGMA[0]!;
  o[1] = x1 + SIGMA[1]!;
  o[2] = x2 + SIGMA[2]!;
  o[3] = x3 + SIGMA[3]!;
  o[4] = x4 + k0;
  o[5] = x5 + k1;
  o[6] = x6 + k2;
  o[7] = x7 + k3;
  o[8] = x8 + k4;
  o[9] = x9 + k5;
  o[10] = x10 + k6;
  o[11] = x11 + k7;
  o[12] = x12 + counter;
  o[13] = x13 + n0;
  o[14] = x14 + n1;
  o[15] = x15 + n2;
  return o;
}

/**
 * Adds `sign` (+1 or -1) times the keystream, read as `words` little-endian 64-bit numbers, into the
 * accumulator pair (lo, hi): acc.lo[w] += sign·low 32 bits, acc.hi[w] += sign·high 32 bits. The
 * accumulators are doubles and stay exact for far more terms than a party ever adds (see fixed.ts).
 */
export function addKeystream(
  key: Uint32Array,
  n0: number,
  n1: number,
  n2: number,
  words: number,
  sign: number,
  lo: Float64Array,
  hi: Float64Array,
): void {
  let w = 0;
  for (let counter = 0; w < words; counter++) {
    const b = chachaBlock(key, counter, n0, n1, n2);
    for (let j = 0; j < 16 && w < words; j += 2, w++) {
      lo[w]! += sign * b[j]!;
      hi[w]! += sign * b[j + 1]!;
    }
  }
}

/** The keystream as bytes (tests, and the seed expansion of the masking graph). */
export function keystreamBytes(
  key: Uint32Array,
  n0: number,
  n1: number,
  n2: number,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  for (let counter = 0, p = 0; p < length; counter++) {
    const b = chachaBlock(key, counter, n0, n1, n2);
    for (let j = 0; j < 16 && p < length; j++) {
      const v = b[j]!;
      for (let s = 0; s < 4 && p < length; s++) out[p++] = (v >>> (8 * s)) & 0xff;
    }
  }
  return out;
}
