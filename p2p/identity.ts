// The node's libp2p identity (Ed25519), kept in the data directory so its peer id survives restarts.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { fromHex, toHex } from '../protocol/bytes.ts';

export async function loadOrCreatePeerKey(path: string): Promise<PrivateKey> {
  if (existsSync(path)) {
    try {
      return privateKeyFromProtobuf(fromHex(readFileSync(path, 'utf8').trim()));
    } catch (err) {
      throw new Error(`cannot read the libp2p key in ${path}: ${(err as Error).message}`);
    }
  }
  const key = await generateKeyPair('Ed25519');
  writeFileSync(path, `${toHex(privateKeyToProtobuf(key))}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return key;
}

export const peerIdOfKey = (key: PrivateKey): string => peerIdFromPrivateKey(key).toString();
