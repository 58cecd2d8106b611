// Nonce search for the 118-byte header. hash = SHA-256(SHA-256(header)), read as a big-endian 256-bit
// number, must be <= target. The first 64 header bytes do not change during a search, so their
// compression (the midstate) is computed once; the second message block holds the timestamp, bits and
// nonce; its first 12 words, and so its first 12 rounds, do not depend on the nonce either.
import { HEADER_BYTES, NONCE_OFFSET } from '../protocol/block.ts';

/** SHA-256's round constants and initial state (as signed 32-bit words). */
export const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
export const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Message schedule W[from..63] from W[0..from-1]. */
function expand(w: Int32Array, from: number): void {
  for (let t = from; t < 64; t++) {
    const x = w[t - 15]!;
    const y = w[t - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
  }
}

/** Runs rounds [from, to) on working variables `v` (a..h) with schedule `w`. */
function rounds(v: Int32Array, w: Int32Array, from: number, to = 64): void {
  let a = v[0]!,
    b = v[1]!,
    c = v[2]!,
    d = v[3]!,
    e = v[4]!,
    f = v[5]!,
    g = v[6]!,
    h = v[7]!;
  for (let t = from; t < to; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) | 0;
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
  v[0] = a;
  v[1] = b;
  v[2] = c;
  v[3] = d;
  v[4] = e;
  v[5] = f;
  v[6] = g;
  v[7] = h;
}

const readWord = (b: Uint8Array, o: number): number =>
  (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]! | 0;

function compressBlock(
  state: Int32Array,
  block: Uint8Array,
  offset: number,
  w: Int32Array,
  v: Int32Array,
): void {
  for (let i = 0; i < 16; i++) w[i] = readWord(block, offset + 4 * i);
  expand(w, 16);
  v.set(state);
  rounds(v, w, 0);
  for (let i = 0; i < 8; i++) state[i] = (state[i]! + v[i]!) | 0;
}

/** Target as eight big-endian 32-bit words (unsigned values in a Float64Array for exact comparison). */
export function targetWords(target: bigint): Float64Array {
  const out = new Float64Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number((target >> BigInt(224 - 32 * i)) & 0xffffffffn);
  return out;
}

export interface SearchResult {
  nonce: number; // the first nonce found, or -1
  hashes: number; // nonces tried: up to and including the one found, else the whole range
}

/** A nonce search over [start, end): the reference below, or the WebAssembly SIMD one (pow-simd.ts). */
export type NonceSearch = (header: Uint8Array, target: bigint, start: number, end: number) => SearchResult;

/** What every search checks first: a 118-byte header and 0 <= start <= end <= 2^32. */
export function checkSearchArgs(header: Uint8Array, start: number, end: number): void {
  if (header.length !== HEADER_BYTES) throw new RangeError('header must be 118 bytes');
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > 0x1_0000_0000)
    throw new RangeError(`nonce range [${start}, ${end}) is not within [0, 2^32)`);
}

/**
 * The nonce-independent part of a search: the midstate (state after the header's first 64 bytes) and the
 * second message block's 16 words — header[64..118), 0x80, zeros, the bit length 944 — with the nonce
 * (bytes 50..53: the low half of word 12 and the high half of word 13) still as in the header.
 */
export function searchPrelude(header: Uint8Array): { midstate: Int32Array; block: Int32Array } {
  const w = new Int32Array(64);
  const v = new Int32Array(8);
  const midstate = IV.slice();
  compressBlock(midstate, header, 0, w, v);
  const tail = new Uint8Array(64);
  tail.set(header.subarray(64));
  tail[HEADER_BYTES - 64] = 0x80;
  tail[62] = (HEADER_BYTES * 8) >>> 8;
  tail[63] = (HEADER_BYTES * 8) & 0xff;
  const block = new Int32Array(16);
  for (let i = 0; i < 16; i++) block[i] = readWord(tail, 4 * i);
  return { midstate, block };
}

/**
 * The reference search (plain JS, and the fallback where WebAssembly SIMD is missing): the first nonce in
 * [start, end) whose SHA-256d of `header` (118 bytes, not modified) is <= target.
 */
export function searchNonce(header: Uint8Array, target: bigint, start: number, end: number): SearchResult {
  checkSearchArgs(header, start, end);
  const { midstate: mid, block } = searchPrelude(header);
  const w1 = new Int32Array(64);
  w1.set(block);
  const pre = mid.slice();
  rounds(pre, w1, 0, 12);

  const w12hi = w1[12]! & 0xffff0000;
  const w13lo = w1[13]! & 0x0000ffff;
  const w2 = new Int32Array(64);
  w2[8] = 0x80000000 | 0;
  w2[15] = 256;
  const tw = targetWords(target);
  const v1 = new Int32Array(8);
  const v2 = new Int32Array(8);

  for (let n = start; n < end; n++) {
    w1[12] = w12hi | (n >>> 16);
    w1[13] = ((n & 0xffff) << 16) | w13lo;
    expand(w1, 16);
    v1.set(pre);
    rounds(v1, w1, 12);
    for (let i = 0; i < 8; i++) w2[i] = (mid[i]! + v1[i]!) | 0;
    for (let i = 9; i < 15; i++) w2[i] = 0;
    expand(w2, 16);
    v2.set(IV);
    rounds(v2, w2, 0);
    // Compare big-endian words with the target, most significant first.
    for (let i = 0; i < 8; i++) {
      const hw = ((IV[i]! + v2[i]!) | 0) >>> 0;
      const tv = tw[i]!;
      if (hw < tv) return { nonce: n, hashes: n - start + 1 };
      if (hw > tv) break;
      if (i === 7) return { nonce: n, hashes: n - start + 1 };
    }
  }
  return { nonce: -1, hashes: end - start };
}

/** Writes `nonce` into a header's bytes. */
export function setNonce(header: Uint8Array, nonce: number): void {
  new DataView(header.buffer, header.byteOffset, header.byteLength).setUint32(NONCE_OFFSET, nonce >>> 0);
}
