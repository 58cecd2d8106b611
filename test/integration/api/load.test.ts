import { afterAll, describe, expect, it } from 'vitest';
import { VppApiError, VppClient } from '../../../client/index.ts';
import { encodeTransaction, signTransaction } from '../../../client/tx.ts';
import { genesisBlock } from '../../../consensus/genesis.ts';
import { placeBidCall } from '../../../contracts-vm/abi/calls.ts';
import { CONTRACTS } from '../../../contracts-vm/contracts/index.ts';
import { devKeyPair, type KeyPair } from '../../../protocol/keys.ts';
import type { Tx } from '../../../protocol/tx.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';

const CLIENTS = 50;
const BIDS_PER_CLIENT = 100;
let net: TestNet | undefined;
afterAll(() => net?.close());

describe('load: 5,000 bids from 50 concurrent clients against 3 nodes', () => {
  it('every accepted bid ends in exactly one auction: none lost, none duplicated', async () => {
    const vpps: KeyPair[] = Array.from({ length: CLIENTS }, (_, i) => devKeyPair(`load-vpp-${i}`));
    const base = netParams();
    const params = netParams({
      maxBlockTxs: 3000,
      market: { ...base.market, intervalMs: 8000, maxIntervalsAhead: 8 },
      accounts: [
        ...base.accounts,
        ...vpps.map((k, i) => ({
          name: `load-vpp-${i}`,
          role: 'vpp' as const,
          address: k.address,
          balance: 10_000_000_000n,
        })),
      ],
    });
    net = await startNet(params, [{ mine: true, api: true }, { api: true }, { api: true }]);
    const nodes = net.nodes;
    await waitFor('mesh', () => nodes.every((n) => n.network!.peerCount === 2));
    const domain = { chainId: params.chainId, genesisHash: genesisBlock(params).hash };
    const now = BigInt(Math.floor((Date.now() - params.timestamp) / params.market.intervalMs));
    // Gates 40-56 s away: signing 5,000 bids and submitting them must finish first even on a loaded machine.
    const intervals = [now + 5n, now + 6n];

    // Pre-signed off the clock: client c's bid j is for one of two intervals, nonce j; later bids of a
    // VPP for an interval replace earlier ones.
    const fee = params.minTxFee * BigInt(CONTRACTS.gas(placeBidCall(0n, 'buy', [{ qty: 1, price: 1 }])));
    const plans = vpps.map((key, c) =>
      Array.from({ length: BIDS_PER_CLIENT }, (_, j) => {
        const interval = intervals[j % 2]!;
        const side = c % 2 === 0 ? ('buy' as const) : ('sell' as const);
        const steps = [{ qty: 100 + j, price: 100_000 + 1000 * c }];
        const tx: Tx = signTransaction(
          {
            nonce: BigInt(j),
            fee,
            senderPubKey: key.publicKey,
            payload: placeBidCall(interval, side, steps),
          },
          key,
          domain,
        );
        return { key, interval, side, steps, ...encodeTransaction(tx) };
      }),
    );

    const accepted: (typeof plans)[number] = [];
    const refused: string[] = [];
    await Promise.all(
      plans.map(async (plan, c) => {
        const client = new VppClient(nodes[c % 3]!.apiUrl!);
        for (const bid of plan) {
          try {
            const { hash } = await client.submit({ hex: bid.hex });
            expect(hash).toBe(bid.hash);
            accepted.push(bid);
          } catch (err) {
            if (!(err instanceof VppApiError)) throw err;
            refused.push(err.code);
          }
        }
      }),
    );
    expect(accepted.length + refused.length).toBe(CLIENTS * BIDS_PER_CLIENT);
    expect(accepted.length).toBe(CLIENTS * BIDS_PER_CLIENT); // the gates are far: nothing should be refused

    const client = new VppClient(nodes[1]!.apiUrl!);
    await waitFor(
      'both auctions cleared',
      async () =>
        (await Promise.all(intervals.map((k) => client.auction(k)))).every((a) => a.status === 'cleared'),
      120_000,
    );

    // Each accepted bid is in exactly one main-chain block ...
    const seen = new Map<string, number>();
    for (let h = 1; h <= nodes[1]!.chain.height; h++) {
      const block = (await nodes[1]!.chain.getBlock((await nodes[1]!.chain.getMainNode(h))!.id))!;
      for (const t of block.txs) seen.set(t.id, (seen.get(t.id) ?? 0) + 1);
    }
    for (const bid of accepted) expect(seen.get(bid.hash), bid.hash).toBe(1);
    // ... and the bid each VPP has in each auction is its last accepted one for that interval.
    for (const k of intervals) {
      const a = await client.auction(k);
      expect(a.bids).toHaveLength(CLIENTS);
      const final = new Map(a.bids!.map((b) => [b.vpp, b]));
      for (const key of vpps) {
        const last = accepted.filter((b) => b.key === key && b.interval === k).at(-1)!;
        expect(final.get(key.address)).toMatchObject({ side: last.side, steps: last.steps });
      }
      expect(a.clearing!.participants).toHaveLength(CLIENTS);
    }
  }, 300_000);
});
