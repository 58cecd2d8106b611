// SHA-256 for everything hashed on chain (transaction ids, Merkle roots, state buckets, block headers).
// Inputs of up to two 64-byte blocks once padded (at most 119 bytes: ids' second round, Merkle leaves and
// nodes, addresses, state keys, block headers) are hashed by the compression function below, on buffers
// allocated once; longer ones by OpenSSL (node:crypto's one-shot hash). Calling into OpenSSL, or making
// @noble/hashes' hasher object, costs more than compressing one or two blocks (measured: 0.32 µs against
// 0.68-0.92 µs for one block, 0.56 against 0.72 for two; docs/performance.md, "Range sync"). Same
// function, same bytes out: a test compares it with @noble/hashes on every length from 0 to 300.
import { hash } from 'node:crypto';

/** Inputs this long or longer go to OpenSSL (three blocks or more once padded: no faster here, measured). */
const OPENSSL_FROM_BYTES = 120;

// FIPS 180-4, section 4.2.2 and 5.3.3.
const K = Int32Array.from(
  [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ].map((k) => k | 0),
);
const IV = Int32Array.from(
  [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19].map(
    (v) => v | 0,
  ),
);
// Scratch space, reused by every call (hashing is synchronous, so no call sees another's contents).
const padded = new Uint8Array(OPENSSL_FROM_BYTES + 72);
const W = new Int32Array(64);
const H = new Int32Array(8);

function compress(at: number): void {
  for (let i = 0; i < 16; i++) {
    const o = at + 4 * i;
    W[i] = (padded[o]! << 24) | (padded[o + 1]! << 16) | (padded[o + 2]! << 8) | padded[o + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (s1 + W[i - 7]! + s0 + W[i - 16]!) | 0;
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let f = H[5]!;
  let g = H[6]!;
  let h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

/** SHA-256 of a short input: padded (0x80, zeros, the 64-bit bit length) into whole blocks. */
function sha256Short(data: Uint8Array): Uint8Array {
  const n = data.length;
  const end = (((n + 8) >> 6) + 1) << 6;
  padded.set(data);
  padded.fill(0, n, end);
  padded[n] = 0x80;
  const bits = n * 8; // < 2^16: the higher bytes of the length stay zero
  padded[end - 2] = bits >>> 8;
  padded[end - 1] = bits & 0xff;
  H.set(IV);
  for (let at = 0; at < end; at += 64) compress(at);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = H[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = (v >>> 16) & 0xff;
    out[4 * i + 2] = (v >>> 8) & 0xff;
    out[4 * i + 3] = v & 0xff;
  }
  return out;
}

export function sha256(data: Uint8Array): Uint8Array {
  if (data.length < OPENSSL_FROM_BYTES) return sha256Short(data);
  // A copy: the Buffer OpenSSL returns may be a view into a shared pool.
  return new Uint8Array(hash('sha256', data, 'buffer') as unknown as Uint8Array);
}

export const sha256d = (data: Uint8Array): Uint8Array => sha256(sha256(data));

export const ZERO_HASH = new Uint8Array(32);
