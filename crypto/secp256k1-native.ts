// libsecp256k1 (Bitcoin Core's secp256k1 library) through the `secp256k1` package's N-API addon: one loader
// for the chain's signatures (protocol/keys.ts) and the day-ahead market's identity keys
// (market/secagg/keys.ts). crypto/ is a leaf every layer may import, so neither needs a copy of its own.
// On this machine it verifies at ~8x OpenSSL's generic-curve rate and signs ~8-10x faster
// (docs/performance.md, "Signature verification" and "Day-ahead for every VPP").
// The package ships prebuilt binaries for linux-x64 (glibc and musl), darwin-arm64 and win32-x64 and
// compiles from source elsewhere; where neither works, `nativeSecp256k1` is undefined and both users fall
// back to OpenSSL, with the same verdicts (each checks its encoding rules before either library).
// The package's own entry point would fall back to a pure-JS implementation silently; loading its
// `bindings.js` fails instead, so the fallback is ours and visible (protocol/keys.ts's `signatureBackend`).
// VPPCHAIN_SECP256K1=openssl forces the fallback (for comparisons and tests).
import { createRequire } from 'node:module';

export interface NativeSecp256k1 {
  /** Whether the scalar is in [1, n - 1]. */
  privateKeyVerify(secretKey: Uint8Array): boolean;
  publicKeyCreate(secretKey: Uint8Array, compressed: boolean): Uint8Array;
  /** RFC 6979 deterministic, low-s. */
  ecdsaSign(msg32: Uint8Array, secretKey: Uint8Array): { signature: Uint8Array; recid: number };
  /** Low-s form of r||s (in place); throws when r or s is not below n. */
  signatureNormalize(signature: Uint8Array): Uint8Array;
  /** true when the signature verifies; refuses high-s; throws on a signature or public key that does not parse. */
  ecdsaVerify(signature: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array): boolean;
}

const REQUIRED: readonly (keyof NativeSecp256k1)[] = [
  'privateKeyVerify',
  'publicKeyCreate',
  'ecdsaSign',
  'signatureNormalize',
  'ecdsaVerify',
];

function load(): NativeSecp256k1 | undefined {
  if (process.env.VPPCHAIN_SECP256K1 === 'openssl') return undefined;
  try {
    const addon = createRequire(import.meta.url)('secp256k1/bindings.js') as Record<string, unknown>;
    return REQUIRED.every((name) => typeof addon[name] === 'function')
      ? (addon as unknown as NativeSecp256k1)
      : undefined;
  } catch {
    return undefined;
  }
}

export const nativeSecp256k1: NativeSecp256k1 | undefined = load();
