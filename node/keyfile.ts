import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { type KeyPair, keyPairFromSecret } from '../protocol/keys.ts';

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/** Key file: JSON { address, publicKey, secretKey } (hex), written with mode 0600. */
export function writeKeyFile(path: string, key: KeyPair): void {
  const body = { address: key.address, publicKey: toHex(key.publicKey), secretKey: toHex(key.secretKey) };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function readKeyFile(path: string): KeyPair {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new KeyFileError(`cannot read key file ${path}: ${(err as Error).message}`);
  }
  const o = raw as { secretKey?: unknown; address?: unknown };
  if (typeof o?.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(o.secretKey)) {
    throw new KeyFileError(`key file ${path}: secretKey must be 64 lowercase hex digits`);
  }
  let key: KeyPair;
  try {
    key = keyPairFromSecret(fromHex(o.secretKey));
  } catch {
    throw new KeyFileError(`key file ${path}: secretKey is not a valid secp256k1 key`);
  }
  if (o.address !== undefined && o.address !== key.address) {
    throw new KeyFileError(
      `key file ${path}: address ${String(o.address)} does not match the secret key (${key.address})`,
    );
  }
  return key;
}
