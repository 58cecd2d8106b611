// SHA-256 for everything hashed on chain (transaction ids, Merkle roots, state buckets, block headers).
// OpenSSL (node:crypto's one-shot hash) for inputs over one 64-byte block; @noble/hashes below that,
// where the call into OpenSSL costs more than hashing a block in JS (measured: 200 bytes 21 µs in noble,
// 9.5 µs in OpenSSL; 32 bytes 3.9 µs in noble, 6.4 µs in OpenSSL; docs/performance.md). Same function,
// same bytes out: a test compares the two on every length from 0 to 300.
import { hash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

const OPENSSL_FROM_BYTES = 65;

export function sha256(data: Uint8Array): Uint8Array {
  if (data.length < OPENSSL_FROM_BYTES) return nobleSha256(data);
  // A copy: the Buffer OpenSSL returns may be a view into a shared pool.
  return new Uint8Array(hash('sha256', data, 'buffer') as unknown as Uint8Array);
}

export const sha256d = (data: Uint8Array): Uint8Array => sha256(sha256(data));

export const ZERO_HASH = new Uint8Array(32);
