// protocol/merkle.ts hashes leaves and nodes from a reused buffer: the roots equal a reference that
// concatenates afresh (RFC 6962 prefixes, odd node promoted) for every leaf count from 0 to 33, and the
// leaf and node hashes equal SHA-256 of the prefixed bytes, also for inputs too long for the buffer.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../../protocol/bytes.ts';
import { blockTxRoot, coinbaseLeaf, merkleLeaf, merkleRoot } from '../../../protocol/merkle.ts';

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);

function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return nobleSha256(new Uint8Array(0));
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(nobleSha256(concatBytes(Uint8Array.of(1), level[i]!, level[i + 1]!)));
    if (level.length % 2 === 1) next.push(level.at(-1)!);
    level = next;
  }
  return level[0]!;
}

describe('merkle with a reused buffer', () => {
  it('gives the reference root for 0 to 33 leaves', () => {
    for (let n = 0; n <= 33; n++) {
      const hashes = Array.from({ length: n }, (_, i) => bytes(32, i + 1));
      const miner = bytes(20, 99);
      const leaves = [
        nobleSha256(concatBytes(Uint8Array.of(2), miner)),
        ...hashes.map((h) => nobleSha256(concatBytes(Uint8Array.of(0), h))),
      ];
      expect(toHex(blockTxRoot(miner, hashes))).toBe(toHex(referenceRoot(leaves)));
      expect(toHex(merkleRoot(hashes))).toBe(toHex(referenceRoot(hashes)));
    }
  });

  it('hashes the prefixed bytes for inputs of any length, the buffer left behind by earlier calls', () => {
    for (const n of [0, 1, 20, 32, 63, 64, 65, 100]) {
      merkleLeaf(bytes(32, 5)); // leaves other bytes in the buffer
      expect(toHex(merkleLeaf(bytes(n, n)))).toBe(
        toHex(nobleSha256(concatBytes(Uint8Array.of(0), bytes(n, n)))),
      );
      expect(toHex(coinbaseLeaf(bytes(n, n)))).toBe(
        toHex(nobleSha256(concatBytes(Uint8Array.of(2), bytes(n, n)))),
      );
    }
  });
});
