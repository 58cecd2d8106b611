// The clock check on a real node: a peer gossips valid blocks stamped as a clock 30 s off from ours would
// stamp them. The node warns (the 'clock' event, vpp_clock_skewed, `clock` in GET /v1/status) and stops
// warning when fresh blocks show the clocks agree again.
import { afterEach, describe, expect, it } from 'vitest';
import type { VppNode } from '../../../node/node.ts';
import type { ClockReport } from '../../../p2p/clock.ts';
import { type Block, encodeBlock } from '../../../protocol/block.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';
import { type Attacker, startAttacker } from '../../helpers/malicious.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const OFF_MS = 30_000;

async function connectedPeer(node: VppNode, addr: string): Promise<Attacker> {
  const peer = await startAttacker(node.chain.genesisHash);
  expect(await peer.dial(addr)).toBe(true);
  await waitFor('the peer sees our subscription', () =>
    peer.libp2p.services.pubsub
      .getSubscribers(peer.names.blocksTopic)
      .some((p) => p.toString() === node.network!.peerId),
  );
  return peer;
}

interface StatusClock {
  clock: { offsetMs: number | null; samples: number; peers: number; limitMs: number; skewed: boolean };
}
const statusClock = async (node: VppNode) =>
  ((await (await fetch(`${node.apiUrl}/v1/status`)).json()) as StatusClock).clock;
const metric = async (node: VppNode, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await node.metrics.text())?.[1]);

describe('clock check', () => {
  let net: TestNet | undefined;
  const peers: Attacker[] = [];
  afterEach(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    peers.length = 0;
    await net?.close();
    net = undefined;
  });

  it(
    'blocks stamped 30 s in the past: our clock is ahead, warned; fresh blocks end the warning',
    async () => {
      const params = netParams({ initialBits: testParams().powLimitBits, timestamp: Date.now() - 120_000 });
      net = await startNet(params, [{ api: true }]);
      const node = net.nodes[0]!;
      const reports: ClockReport[] = [];
      node.network!.on('clock', (r) => reports.push(r));
      const peer = await connectedPeer(node, net.addrs[0]!);
      peers.push(peer);
      const b = new ChainBuilder(params);
      let parent = b.genesisId;
      const send = async (timestamp: number) => {
        const blk: Block = b.next(parent, { timestamp });
        parent = b.idOf(blk);
        await peer.publish(peer.names.blocksTopic, encodeBlock(blk));
        await waitFor('block imported', () => node.chain.tip.id === parent);
      };

      for (let i = 0; i < 6; i++) await send(Date.now() - OFF_MS);
      await waitFor('warned', () => reports.length === 1);
      expect(reports[0]).toMatchObject({ skewed: true, peers: 1, limitMs: params.maxFutureDriftMs });
      expect(reports[0]!.offsetMs).toBeGreaterThanOrEqual(OFF_MS);
      expect(reports[0]!.offsetMs).toBeLessThan(OFF_MS + 5_000);
      const status = await statusClock(node);
      expect(status).toMatchObject({ skewed: true, samples: 6, peers: 1 });
      expect(await metric(node, 'vpp_clock_skewed')).toBe(1);
      expect(await metric(node, 'vpp_clock_offset_seconds')).toBeGreaterThanOrEqual(OFF_MS / 1000);

      // The peer's clock is fixed (or ours): its next blocks are fresh. Its vote is the median of its
      // last 8 samples, so 5 fresh ones turn it.
      for (let i = 0; i < 5; i++) await send(Date.now());
      await waitFor('warning ended', () => reports.length === 2);
      expect(reports[1]!.skewed).toBe(false);
      expect(Math.abs(reports[1]!.offsetMs!)).toBeLessThan(5_000);
      expect((await statusClock(node)).skewed).toBe(false);
      expect(await metric(node, 'vpp_clock_skewed')).toBe(0);
    },
    scaled(120_000),
  );

  it(
    'blocks stamped 30 s ahead are held as future, and say our clock is behind',
    async () => {
      const params = netParams({ initialBits: testParams().powLimitBits });
      net = await startNet(params, [{ api: true }]);
      const node = net.nodes[0]!;
      const reports: ClockReport[] = [];
      node.network!.on('clock', (r) => reports.push(r));
      const peer = await connectedPeer(node, net.addrs[0]!);
      peers.push(peer);
      const b = new ChainBuilder(params);
      const miners = [keys.vpp1, keys.vpp2, keys.vpp3, keys.grid, keys.miner];
      // Five rival children of genesis, each held as future (their parent is known, their time is not yet).
      for (const k of miners) {
        const blk = b.next(b.genesisId, { timestamp: Date.now() + OFF_MS, miner: k.address });
        await peer.publish(peer.names.blocksTopic, encodeBlock(blk));
      }
      await waitFor('warned', () => reports.length === 1);
      expect(node.chain.heldBlocks().future.count).toBe(miners.length);
      expect(node.chain.height).toBe(0);
      expect(reports[0]!.skewed).toBe(true);
      expect(reports[0]!.offsetMs).toBeLessThanOrEqual(-OFF_MS + 5_000);
      expect((await statusClock(node)).offsetMs).toBe(reports[0]!.offsetMs);
      expect(await metric(node, 'vpp_clock_offset_seconds')).toBeLessThan(-(OFF_MS - 5_000) / 1000);
    },
    scaled(120_000),
  );
});
