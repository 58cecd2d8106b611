// The signature workers build a transaction's sighash preimage from its received bytes (the chain's prefix,
// then the bytes without the signature) instead of encoding the decoded transaction again: the same bytes
// as sighashPreimage for every payload kind and length, and the published vector.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../protocol/bytes.ts';
import {
  decodeTx,
  encodeTx,
  sighashPrefix,
  sighashPreimage,
  sighashPreimageOfEncoded,
  type Tx,
} from '../../../protocol/tx.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const b = new ChainBuilder(testParams());
const signature = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 5) & 0xff);
const base = { fee: 1000n, senderPubKey: keys.vpp1.publicKey, signature };

describe('sighashPreimageOfEncoded', () => {
  it('equals sighashPreimage of the decoded transaction for transfers and calls of every args length', () => {
    const txs: Tx[] = [
      ...[0n, 1n, (1n << 64n) - 1n].map((nonce) => ({
        ...base,
        nonce,
        payload: { kind: 'transfer' as const, to: keys.vpp2.address, amount: 12_345n + (nonce % 1000n) },
      })),
      ...[0, 1, 63, 64, 65, 300, 8 * 1024].map((len) => ({
        ...base,
        nonce: BigInt(len),
        payload: {
          kind: 'call' as const,
          contract: 3,
          method: 7,
          args: Uint8Array.from({ length: len }, (_, i) => (i * 11) & 0xff),
        },
      })),
      b.transfer(keys.vpp1, keys.vpp2, 5n, 9n).tx,
    ];
    for (const domain of [b.domain, { chainId: 0xfffffffe, genesisHash: new Uint8Array(32).fill(0xab) }]) {
      const prefix = sighashPrefix(domain);
      for (const tx of txs) {
        const bytes = encodeTx(tx);
        expect(toHex(sighashPreimageOfEncoded(bytes, prefix))).toBe(
          toHex(sighashPreimage(decodeTx(bytes), domain)),
        );
      }
    }
  });

  it('reads only the unsigned part of a buffer that is a view into a larger one', () => {
    const tx = b.transfer(keys.vpp1, keys.vpp2, 5n, 9n);
    const packed = new Uint8Array(tx.bytes.length + 20).fill(0xee);
    packed.set(tx.bytes, 10);
    const view = packed.subarray(10, 10 + tx.bytes.length);
    expect(sighashPreimageOfEncoded(view, sighashPrefix(b.domain))).toEqual(sighashPreimage(tx.tx, b.domain));
  });
});
