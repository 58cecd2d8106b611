// secp256k1 keys, addresses and ECDSA signatures.
// A signature signs SHA-256(preimage); the preimage of a transaction commits to the chain (see tx.ts).
// Signatures are 64 bytes r || s, big-endian, with 1 <= r, s < n and s <= n/2 (low-s): exactly one
// valid encoding per signature, so nobody but the signer can change a transaction's hash.
import { createPublicKey, type KeyObject, verify as osslVerify } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import * as secp from '@noble/secp256k1';
import { nativeSecp256k1 } from '../crypto/secp256k1-native.ts';
import { concatBytes, fromHex, toHex, utf8 } from './bytes.ts';
import { sha256 } from './hash.ts';

// noble's own hash object: hmac needs its incremental interface (protocol/hash.ts's sha256 is one-shot).
secp.hashes.sha256 = nobleSha256;
secp.hashes.hmacSha256 = (key: Uint8Array, msg: Uint8Array) => hmac(nobleSha256, key, msg);

export const PUBKEY_LENGTH = 33;
export const SIGNATURE_LENGTH = 64;
export const ADDRESS_LENGTH = 20;

const N = secp.Point.CURVE().n;
const HALF_N = N >> 1n;

export type Address = string; // 0x + 40 lowercase hex characters

/** address = first 20 bytes of SHA-256(compressed public key), written 0x-prefixed lowercase hex. */
export function addressBytes(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBKEY_LENGTH) throw new RangeError('public key must be 33 bytes (compressed)');
  return sha256(publicKey).slice(0, ADDRESS_LENGTH);
}

export const addressOf = (publicKey: Uint8Array): Address => `0x${toHex(addressBytes(publicKey))}`;

const ADDRESS_RE = /^0x[0-9a-f]{40}$/;
export const isAddress = (s: unknown): s is Address => typeof s === 'string' && ADDRESS_RE.test(s);
export const addressToBytes = (a: Address): Uint8Array => fromHex(a, ADDRESS_LENGTH);
export const bytesToAddress = (b: Uint8Array): Address => `0x${toHex(b)}`;

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  address: Address;
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  const publicKey = secp.getPublicKey(secretKey, true);
  return { secretKey, publicKey, address: addressOf(publicKey) };
}

export const generateKeyPair = (): KeyPair => keyPairFromSecret(secp.utils.randomSecretKey());

/**
 * Well-known development keys, derived from a name: secret = SHA-256("vppchain dev key: " + name).
 * Public knowledge, like Hardhat's test accounts: for devnets and tests only, never for real tokens.
 */
export const devKeyPair = (name: string): KeyPair =>
  keyPairFromSecret(sha256(utf8(`vppchain dev key: ${name}`)));

/**
 * Low-s deterministic (RFC 6979) signature over SHA-256(preimage): libsecp256k1 where it loaded, else
 * noble; both give the same bytes (RFC 6979 fixes the nonce; a property test compares them).
 */
export function sign(preimage: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (nativeSecp256k1) return nativeSecp256k1.ecdsaSign(sha256(preimage), secretKey).signature;
  return signNoble(preimage, secretKey);
}

export const signNoble = (preimage: Uint8Array, secretKey: Uint8Array): Uint8Array =>
  secp.sign(preimage, secretKey, { lowS: true });

// n and n/2 as 32 big-endian bytes: r and s are compared with them byte by byte, not parsed into bigints
// through hex (every signature verified, by the workers and the mempool, passes here first).
const be32 = (x: bigint): Uint8Array => fromHex(x.toString(16).padStart(64, '0'), 32);
const N_BYTES = be32(N);
const HALF_N_BYTES = be32(HALF_N);

/** The 32-byte big-endian number at sig[at..at + 32) against `bound`: negative, 0 or positive. */
function compare32(sig: Uint8Array, at: number, bound: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = sig[at + i]! - bound[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function isZero32(sig: Uint8Array, at: number): boolean {
  for (let i = 0; i < 32; i++) if (sig[at + i] !== 0) return false;
  return true;
}

/** Encoding rules every verifier enforces before any curve arithmetic: 1 <= r, s < n and s <= n/2. */
export function isCanonicalSignature(sig: Uint8Array): boolean {
  if (sig.length !== SIGNATURE_LENGTH) return false;
  return (
    !isZero32(sig, 0) &&
    compare32(sig, 0, N_BYTES) < 0 &&
    !isZero32(sig, 32) &&
    compare32(sig, 32, HALF_N_BYTES) <= 0
  );
}

/** Reference verifier (pure JS). */
export function verifyNoble(sig: Uint8Array, preimage: Uint8Array, publicKey: Uint8Array): boolean {
  if (!isCanonicalSignature(sig) || publicKey.length !== PUBKEY_LENGTH) return false;
  try {
    return secp.verify(sig, preimage, publicKey, { lowS: true });
  } catch {
    return false;
  }
}

// DER prefix of a SubjectPublicKeyInfo for a compressed secp256k1 point (id-ecPublicKey, secp256k1).
const SPKI_PREFIX = fromHex('3036301006072a8648ce3d020106052b8104000a032200');
const keyCache = new Map<string, KeyObject | null>();
const KEY_CACHE_LIMIT = 10_000;

function opensslKey(publicKey: Uint8Array): KeyObject | null {
  const id = toHex(publicKey);
  let key = keyCache.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({
        key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)),
        format: 'der',
        type: 'spki',
      });
    } catch {
      key = null; // not a point on the curve
    }
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(id, key);
  }
  return key;
}

/** A compressed secp256k1 point: 33 bytes, prefix 02 or 03, x on the curve (cached per key). */
export const isValidPublicKey = (publicKey: Uint8Array): boolean =>
  publicKey.length === PUBKEY_LENGTH &&
  (publicKey[0] === 2 || publicKey[0] === 3) &&
  opensslKey(publicKey) !== null;

/** Which library verifyFast and sign use in this process. */
export const signatureBackend: 'libsecp256k1' | 'openssl' = nativeSecp256k1 ? 'libsecp256k1' : 'openssl';

/** The encoding rules (canonical r and s, compressed point prefix) every fast verifier checks first. */
const wellFormed = (sig: Uint8Array, publicKey: Uint8Array): boolean =>
  isCanonicalSignature(sig) &&
  publicKey.length === PUBKEY_LENGTH &&
  (publicKey[0] === 2 || publicKey[0] === 3);

/**
 * OpenSSL through node:crypto, about 8x the pure-JS rate. OpenSSL accepts high-s and non-canonical
 * points, so the encoding rules are checked first: verdicts equal verifyNoble's (property test).
 */
export function verifyOpenssl(sig: Uint8Array, preimage: Uint8Array, publicKey: Uint8Array): boolean {
  if (!wellFormed(sig, publicKey)) return false;
  const key = opensslKey(publicKey);
  if (!key) return false;
  try {
    return osslVerify('sha256', preimage, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

/**
 * libsecp256k1, about 8x OpenSSL; undefined where the addon did not load. It refuses high-s itself and a
 * point off the curve by throwing; the encoding rules are still checked first so that every verifier
 * refuses exactly the same inputs (property test against verifyNoble).
 */
const native = nativeSecp256k1;
export const verifyNative = native
  ? (sig: Uint8Array, preimage: Uint8Array, publicKey: Uint8Array): boolean => {
      if (!wellFormed(sig, publicKey)) return false;
      try {
        return native.ecdsaVerify(sig, sha256(preimage), publicKey);
      } catch {
        return false;
      }
    }
  : undefined;

/** The fastest verifier this process has: libsecp256k1, else OpenSSL. Same verdicts as verifyNoble. */
export const verifyFast: (sig: Uint8Array, preimage: Uint8Array, publicKey: Uint8Array) => boolean =
  verifyNative ?? verifyOpenssl;
