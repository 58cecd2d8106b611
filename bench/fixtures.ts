import { buildDemoVpps, type DemoVpp } from '../agent/scenarios.ts';
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

/**
 * The demo's VPPs at a system's scale: buildDemoVpps takes at most 20 (a demo runs a node per VPP), so
 * larger systems are built 20 at a time and renamed vpp-1..vpp-N (seeds 7001.., as the demo's own).
 */
export function systemVpps(vpps: number, prosumersPerVpp: number): DemoVpp[] {
  const out: DemoVpp[] = [];
  for (let first = 0; first < vpps; first += 20) {
    const chunk = buildDemoVpps({
      vpps: Math.min(20, vpps - first),
      prosumersPerVpp,
      seedBase: 7000 + first,
    });
    for (const [j, v] of chunk.entries()) {
      const name = `vpp-${first + j + 1}`;
      out.push({ ...v, name, address: devKeyPair(name).address });
    }
  }
  return out;
}
