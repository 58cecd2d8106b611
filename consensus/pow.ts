// Nonce search for the 118-byte header. hash = SHA-256(SHA-256(header)), read as a big-endian 256-bit
// number, must be <= target. The first 64 header bytes do not change during a search, so their
// compression (the midstate) is computed once; the second message block holds the timestamp, bits and
// nonce; its first 12 words, and so its first 12 rounds, do not depend on the nonce either.
import { HEADER_BYTES, NONCE_OFFSET } from '../protocol/block.ts';
import { compressBlock, expand, IV, K, readWord, rounds } from '../protocol/sha256-compress.ts';

export { IV, K };

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
