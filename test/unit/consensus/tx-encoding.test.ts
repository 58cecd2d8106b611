import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meterReportCall, placeBidCall, registerVppCall } from '../../../contracts-vm/abi/calls.ts';
import { decodeBlock, encodeBlock } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { decodeTx, encodeTx, envelopeFromBytes, txHash } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

describe('transaction and block encodings round-trip every payload kind', () => {
  const b = new ChainBuilder(testParams());
  it('transfers and contract calls decode to what was encoded, and blocks carrying them too', () => {
    const txs = [
      b.transfer(keys.vpp1, keys.vpp2, 5n, 0n),
      b.call(keys.vpp1, placeBidCall(3n, 'buy', [{ qty: 1500, price: 250_000 }]), 1n),
      b.call(keys.grid, meterReportCall(2n, [{ vpp: keys.vpp1.address, meteredWh: -2000n }]), 0n),
      b.call(keys.grid, registerVppCall(keys.miner.address, 'new vpp'), 1n),
    ];
    for (const t of txs) {
      const back = decodeTx(t.bytes);
      expect(toHex(encodeTx(back))).toBe(toHex(t.bytes));
      expect(toHex(txHash(back))).toBe(t.id);
      expect(back.payload).toEqual(t.tx.payload);
    }
    const blk = b.next(b.genesisId, { txs, skipExecution: true }); // only the encoding matters here
    const round = decodeBlock(encodeBlock(blk), { maxBlockBytes: 1 << 20, maxBlockTxs: 100 });
    expect(round.txs.map((t) => t.id)).toEqual(txs.map((t) => t.id));
  });

  it('rejects trailing bytes and truncation anywhere in a call', () => {
    const t = b.call(keys.vpp1, placeBidCall(3n, 'sell', [{ qty: 1, price: 1 }]), 0n);
    expect(() => decodeTx(Uint8Array.from([...t.bytes, 0]))).toThrow(/trailing/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: t.bytes.length - 1 }), (cut) => {
        expect(() => envelopeFromBytes(t.bytes.slice(0, cut))).toThrow();
      }),
    );
  });
});
