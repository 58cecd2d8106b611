// Keys of the secure sums. A prosumer's identity is its secp256k1 key (the VPP's roster lists the public
// key). From its secret it derives an X25519 mask key (HKDF-SHA256) and proves the pair in its hello by
// an ECDSA signature over the coordinator's challenge. Pairwise mask secrets are X25519 agreements between
// graph neighbours, run through HKDF; they depend only on the two keys, so a party computes them once
// per roster and reuses them every day (each day's masks differ by the session id in the nonce).
//
// Why X25519 and not secp256k1 ECDH: measured on this machine, one secp256k1 agreement costs 7 ms with
// @noble/secp256k1 and 0.7 ms with OpenSSL, one X25519 agreement 0.09 ms; a 10,000-prosumer VPP with 28
// neighbours each needs 280,000 agreements (docs/market.md). Node's key-object wrappers cost more than
// the curve arithmetic, so the agreement avoids every one it can (see pairSecret).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { nativeSecp256k1 } from '../../crypto/secp256k1-native.ts';

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
// SEC1 ECPrivateKey without its public key (OpenSSL computes it), for keys derived from a seed.
const SECP_SEC1_SHORT = Buffer.from('302e0201010420', 'hex');
const SECP_SEC1_CURVE = Buffer.from('a00706052b8104000a', 'hex');
// SEC1 ECPrivateKey with its public key included (OpenSSL would otherwise recompute it: 1 ms).
const SECP_SEC1_HEAD = Buffer.from('30540201010420', 'hex');
const SECP_SEC1_MID = Buffer.from('a00706052b8104000aa124032200', 'hex');
const SECP_SPKI = Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex');

export const MASK_KEY_LENGTH = 32;
export const IDENTITY_KEY_LENGTH = 33;
export const SIGNATURE_LENGTH = 64;

export class KeyError extends Error {
  override name = 'KeyError';
}

/** A party's keys: the secp256k1 identity and the X25519 mask key derived from it. */
export interface PartyKeys {
  identity: Uint8Array;
  maskPublic: Uint8Array;
  /** The identity's secret (libsecp256k1 signs with it; kept out of any message). */
  secret: Uint8Array;
  /** Node's key objects (kept out of any message); the secp256k1 one only where OpenSSL signs. */
  secp: KeyObject | undefined;
  mask: KeyObject;
}

/**
 * `secpKey`: the secret as a key object when the caller already holds one (generateIdentity's), which
 * saves importing it again (0.4 ms: OpenSSL checks the public point).
 */
export function partyKeys(secretKey: Uint8Array, identity: Uint8Array, secpKey?: KeyObject): PartyKeys {
  if (secretKey.length !== 32) throw new KeyError('a secp256k1 secret key is 32 bytes');
  if (identity.length !== IDENTITY_KEY_LENGTH)
    throw new KeyError('the identity key is 33 bytes (compressed)');
  const secp =
    secpKey ??
    (nativeSecp256k1
      ? undefined
      : createPrivateKey({
          key: Buffer.concat([SECP_SEC1_HEAD, secretKey, SECP_SEC1_MID, identity]),
          format: 'der',
          type: 'sec1',
        }));
  const maskSecret = Buffer.from(hkdfSync('sha256', secretKey, 'vppchain market mask key', 'x25519/1', 32));
  const mask = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8, maskSecret]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(mask).export({ format: 'der', type: 'spki' });
  return {
    identity,
    maskPublic: new Uint8Array(spki.subarray(spki.length - 32)),
    secret: secretKey,
    secp,
    mask,
  };
}

const helloMessage = (challenge: Uint8Array, identity: Uint8Array, maskPublic: Uint8Array, id: string) =>
  Buffer.concat([Buffer.from('vppchain market hello 1\0'), challenge, identity, maskPublic, Buffer.from(id)]);

/**
 * ECDSA (secp256k1, SHA-256, r||s) over the challenge, the two public keys and the prosumer's id:
 * libsecp256k1 where it loaded (RFC 6979, low-s), else OpenSSL (random nonce, either s).
 */
export function signHello(keys: PartyKeys, challenge: Uint8Array, id: string): Uint8Array {
  const msg = helloMessage(challenge, keys.identity, keys.maskPublic, id);
  if (nativeSecp256k1 && !keys.secp) return nativeSecp256k1.ecdsaSign(sha256(msg), keys.secret).signature;
  return signHelloOpenssl(keys, challenge, id);
}

/** The same signature by OpenSSL (the fallback; exported for the test that both libraries agree). */
export function signHelloOpenssl(keys: PartyKeys, challenge: Uint8Array, id: string): Uint8Array {
  const msg = helloMessage(challenge, keys.identity, keys.maskPublic, id);
  const key =
    keys.secp ??
    createPrivateKey({
      key: Buffer.concat([SECP_SEC1_HEAD, keys.secret, SECP_SEC1_MID, keys.identity]),
      format: 'der',
      type: 'sec1',
    });
  return new Uint8Array(sign('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }));
}

/**
 * Whether `signature` is the identity's hello signature. Both verifiers accept what OpenSSL accepts: r and
 * s in [1, n - 1], either s (an OpenSSL signer's s is high half the time), so the native one normalises s
 * first; a prosumer is not refused for the library its host happens to sign with (test: they agree).
 */
export function verifyHello(
  identity: Uint8Array,
  maskPublic: Uint8Array,
  id: string,
  challenge: Uint8Array,
  signature: Uint8Array,
): boolean {
  return (verifyHelloNative ?? verifyHelloOpenssl)(identity, maskPublic, id, challenge, signature);
}

/** OpenSSL's verdict on a hello signature (the fallback; exported for the test that both agree). */
export function verifyHelloOpenssl(
  identity: Uint8Array,
  maskPublic: Uint8Array,
  id: string,
  challenge: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SECP_SPKI, identity]), format: 'der', type: 'spki' });
    const msg = helloMessage(challenge, identity, maskPublic, id);
    return verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

const native = nativeSecp256k1;
/** libsecp256k1's verdict, s normalised first (undefined where the addon did not load). */
export const verifyHelloNative = native
  ? (
      identity: Uint8Array,
      maskPublic: Uint8Array,
      id: string,
      challenge: Uint8Array,
      signature: Uint8Array,
    ): boolean => {
      if (signature.length !== SIGNATURE_LENGTH || identity.length !== IDENTITY_KEY_LENGTH) return false;
      try {
        const lowS = native.signatureNormalize(signature.slice());
        const msg = helloMessage(challenge, identity, maskPublic, id);
        return native.ecdsaVerify(lowS, sha256(msg), identity);
      } catch {
        return false;
      }
    }
  : undefined;

/**
 * verifyHello off the event loop where it is slow: OpenSSL's runs on libuv's thread pool (a coordinator
 * checks thousands of hellos on every core at once); libsecp256k1's (~0.1 ms) runs at once.
 */
export function verifyHelloAsync(
  identity: Uint8Array,
  maskPublic: Uint8Array,
  id: string,
  challenge: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (verifyHelloNative)
    return Promise.resolve(verifyHelloNative(identity, maskPublic, id, challenge, signature));
  return new Promise((resolve) => {
    try {
      const key = createPublicKey({ key: Buffer.concat([SECP_SPKI, identity]), format: 'der', type: 'spki' });
      const msg = helloMessage(challenge, identity, maskPublic, id);
      verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

const PAIR_SALT = new TextEncoder().encode('vppchain market pair mask');
const MAX_CACHED_MASK_KEYS = 65_536;
// Neighbours' mask public keys as key objects, by their bytes. Importing one costs more than the
// agreement itself (0.08 vs 0.07 ms), and a host of many parties meets each key once per neighbour that
// it hosts (~28 times at 10,000 prosumers). Public keys only: nothing secret is shared between parties.
const maskKeyObjects = new Map<string, KeyObject>();

function maskPublicKeyObject(maskPublic: Uint8Array): KeyObject {
  const id = Buffer.from(maskPublic.buffer, maskPublic.byteOffset, maskPublic.length).toString('latin1');
  let key = maskKeyObjects.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([X25519_SPKI, maskPublic]), format: 'der', type: 'spki' });
    if (maskKeyObjects.size >= MAX_CACHED_MASK_KEYS) maskKeyObjects.clear();
    maskKeyObjects.set(id, key);
  }
  return key;
}

/**
 * The pairwise mask secret of two parties: HKDF-SHA256 of their X25519 agreement, bound to both mask
 * keys (in a fixed order, so both ends derive the same 32 bytes). HKDF in JS (@noble/hashes): Node's
 * hkdfSync imports its input as a key object first, which makes it 2.5 times slower for 32 bytes.
 */
export function pairSecret(mine: PartyKeys, theirMaskPublic: Uint8Array): Uint8Array {
  if (theirMaskPublic.length !== MASK_KEY_LENGTH) throw new KeyError('a mask key is 32 bytes');
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: mine.mask, publicKey: maskPublicKeyObject(theirMaskPublic) });
  } catch (err) {
    throw new KeyError(`bad mask key: ${(err as Error).message}`);
  }
  const a = Buffer.from(mine.maskPublic);
  const b = Buffer.from(theirMaskPublic);
  const info = Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]);
  return hkdf(sha256, shared, PAIR_SALT, info, 32);
}

/**
 * A secp256k1 identity for a simulated party: fresh, or derived from `seed` (reproducible simulations
 * and tests: the roster, hence the masking graph, is the same every run). Real prosumers have a key file.
 */
export function generateIdentity(seed?: Uint8Array): {
  secretKey: Uint8Array;
  identity: Uint8Array;
  /** The secret as a key object where OpenSSL signs (for partyKeys, which then need not import it again). */
  secpKey?: KeyObject;
} {
  if (nativeSecp256k1) {
    // SHA-256 of the seed is a valid scalar except with negligible probability (≥ n or zero).
    let secretKey = seed ? sha256(seed) : new Uint8Array(randomBytes(32));
    while (!nativeSecp256k1.privateKeyVerify(secretKey)) {
      if (seed) throw new KeyError('the seed does not give a secp256k1 key');
      secretKey = new Uint8Array(randomBytes(32));
    }
    return { secretKey, identity: nativeSecp256k1.publicKeyCreate(secretKey, true) };
  }
  const privateKey = seed
    ? createPrivateKey({
        key: Buffer.concat([SECP_SEC1_SHORT, createHash('sha256').update(seed).digest(), SECP_SEC1_CURVE]),
        format: 'der',
        type: 'sec1',
      })
    : generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
  const jwk = privateKey.export({ format: 'jwk' });
  const secretKey = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  const identity = new Uint8Array(33);
  identity[0] = (y[31]! & 1) === 1 ? 3 : 2;
  identity.set(x, 1);
  return { secretKey, identity, secpKey: privateKey };
}

/** The seed of simulated party `index`'s key under a run's identity seed. */
export const identitySeedOf = (seed: string, index: number): Uint8Array => Buffer.from(`${seed}/${index}`);
