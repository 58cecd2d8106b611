// libsecp256k1 for the hello's identity keys (the `secp256k1` package's N-API addon, the same library the
// chain's signatures use through protocol/secp256k1-native.ts; market/ imports nothing of ours, hence this
// loader of its own). On this machine it signs and verifies ~8-10x faster than OpenSSL's generic curve, and
// makes a key pair without Node's key objects (docs/performance.md, "Day-ahead for every VPP").
// Where the addon does not load, `nativeSecp256k1` is undefined and keys.ts uses OpenSSL, with the same
// verdicts; VPPCHAIN_SECP256K1=openssl forces that (comparisons and tests).
import { createRequire } from 'node:module';

export interface NativeSecp256k1 {
  /** Whether the scalar is in [1, n - 1]. */
  privateKeyVerify(secretKey: Uint8Array): boolean;
  publicKeyCreate(secretKey: Uint8Array, compressed: boolean): Uint8Array;
  /** RFC 6979 deterministic, low-s. */
  ecdsaSign(msg32: Uint8Array, secretKey: Uint8Array): { signature: Uint8Array; recid: number };
  /** Low-s form of r||s (in place); throws when r or s is not below n. */
  signatureNormalize(signature: Uint8Array): Uint8Array;
  /** Refuses high-s; throws on a signature or public key that does not parse. */
  ecdsaVerify(signature: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array): boolean;
}

function load(): NativeSecp256k1 | undefined {
  if (process.env.VPPCHAIN_SECP256K1 === 'openssl') return undefined;
  try {
    const addon = createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp256k1;
    const wanted = ['privateKeyVerify', 'publicKeyCreate', 'ecdsaSign', 'signatureNormalize', 'ecdsaVerify'];
    return wanted.every((f) => typeof (addon as unknown as Record<string, unknown>)[f] === 'function')
      ? addon
      : undefined;
  } catch {
    return undefined;
  }
}

export const nativeSecp256k1: NativeSecp256k1 | undefined = load();
