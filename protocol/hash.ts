// SHA-256 for everything hashed on chain (transaction ids, Merkle roots, state buckets, block headers).
// Inputs of up to two 64-byte blocks once padded (at most 119 bytes: ids' second round, Merkle leaves and
// nodes, addresses, state keys, block headers) are hashed by the compression function (sha256-compress.ts, shared with the JS nonce search), on buffers
// allocated once; longer ones by OpenSSL (node:crypto's one-shot hash). Calling into OpenSSL, or making
// @noble/hashes' hasher object, costs more than compressing one or two blocks (measured: 0.32 µs against
// 0.68-0.92 µs for one block, 0.56 against 0.72 for two; docs/performance.md, "Range sync"). Same
// function, same bytes out: a test compares it with @noble/hashes on every length from 0 to 300.
import { hash } from 'node:crypto';
import { compressBlock, IV } from './sha256-compress.ts';

/** Inputs this long or longer go to OpenSSL (three blocks or more once padded: no faster here, measured). */
const OPENSSL_FROM_BYTES = 120;

// Scratch space, reused by every call (hashing is synchronous, so no call sees another's contents).
const padded = new Uint8Array(OPENSSL_FROM_BYTES + 72);
const W = new Int32Array(64);
const H = new Int32Array(8);
const V = new Int32Array(8);

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
  for (let at = 0; at < end; at += 64) compressBlock(H, padded, at, W, V);
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
