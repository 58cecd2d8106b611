import { devKeyPair, type KeyPair } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import { ChainBuilder, testParams } from '../test/helpers/builder.ts';

/** A test chain with `count` funded sender accounts (development keys `${prefix}-${i}`) and large blocks. */
export function fundedSenders(
  prefix: string,
  count: number,
): { senders: KeyPair[]; params: ChainParams; builder: ChainBuilder } {
  const senders = Array.from({ length: count }, (_, i) => devKeyPair(`${prefix}-${i}`));
  const params = testParams({
    maxBlockTxs: 1000,
    maxBlockBytes: 1024 * 1024,
    accounts: [
      { name: 'grid', role: 'grid', address: devKeyPair('grid').address, balance: 1000n },
      ...senders.map((k, i) => ({
        name: `${prefix}-${i}`,
        role: 'vpp' as const,
        address: k.address,
        balance: 1_000_000_000n,
      })),
    ],
  });
  return { senders, params, builder: new ChainBuilder(params) };
}
