// libsecp256k1 (Bitcoin Core's secp256k1 library) through the `secp256k1` package's N-API addon: ECDSA
// verification at ~8x OpenSSL's generic-curve rate on this machine (docs/performance.md, "Signature
// verification"). The package ships prebuilt binaries for linux-x64 (glibc and musl), darwin-arm64 and
// win32-x64 and compiles from source elsewhere; where neither works, `nativeSecp256k1` is undefined and
// keys.ts falls back to OpenSSL, with the same verdicts (the encoding rules are checked before either).
// The package's own entry point would fall back to a pure-JS implementation silently; loading its
// `bindings.js` fails instead, so the fallback is ours and visible (`signatureBackend`).
// VPPCHAIN_SECP256K1=openssl forces the fallback (for comparisons and tests).
import { createRequire } from 'node:module';

export interface NativeSecp256k1 {
  /** true when the signature verifies; throws on a signature or public key that does not parse. */
  ecdsaVerify(signature: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array): boolean;
  /** RFC 6979 deterministic, low-s. */
  ecdsaSign(msg32: Uint8Array, secretKey: Uint8Array): { signature: Uint8Array; recid: number };
}

function load(): NativeSecp256k1 | undefined {
  if (process.env.VPPCHAIN_SECP256K1 === 'openssl') return undefined;
  try {
    const addon = createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp256k1;
    return typeof addon.ecdsaVerify === 'function' && typeof addon.ecdsaSign === 'function'
      ? addon
      : undefined;
  } catch {
    return undefined;
  }
}

export const nativeSecp256k1: NativeSecp256k1 | undefined = load();
