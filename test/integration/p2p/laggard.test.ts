// Blocks that arrive by range sync are announced: a node that range-syncs gossips its new head, which its
// peers further behind take as an orphan and catch up from at once, instead of at their next status poll
// (every 10 s). Here C's only peer is B; B then meets A, which is 60 blocks ahead, and range-syncs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VppNode } from '../../../node/node.ts';
import { ChainBuilder, testParams } from '../../helpers/builder.ts';
import { startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

describe('a range sync announces its head', () => {
  let net: TestNet | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await net?.close();
    net = undefined;
  });

  it(
    'a laggard behind the syncing node catches up at once, by the announced head',
    async () => {
      const params = testParams();
      const b = new ChainBuilder(params);
      net = await startNet(params, [{}, {}, {}], { mesh: false });
      const [a, bNode, c] = net.nodes as [VppNode, VppNode, VppNode];
      for (const blk of b.extend(b.genesisId, 60)) await a.chain.processBlock(blk);
      net.link(1, 2);
      net.link(2, 1);
      await waitFor('B and C connected', () => bNode.network!.peerCount === 1 && c.network!.peerCount === 1);
      // Let C's first status exchange with B settle (both at genesis), so what follows is the announcement.
      await waitFor('C idle', () => !c.network!.sync.syncing);
      const handshakes = vi.spyOn(c.network!.sync, 'handshake');

      net.link(1, 0);
      net.link(0, 1);
      await waitFor('B synced from A', () => bNode.chain.height === 60);
      const bSyncedAt = performance.now();
      await waitFor('C caught up', () => c.chain.height === 60);
      const lagMs = performance.now() - bSyncedAt;
      console.log(`C caught up ${lagMs.toFixed(0)} ms after B (status poll: every 10 s)`);

      // C's catch-up was started by the orphan B announced, not by its periodic poll.
      expect(handshakes.mock.calls.some(([, opts]) => opts?.catchUp === true)).toBe(true);
      // Well inside the 10 s poll on a quiet machine; the handshake above is what proves the cause.
      expect(lagMs).toBeLessThan(scaled(10_000));
      expect(c.chain.tip.id).toBe(a.chain.tip.id);
    },
    scaled(120_000),
  );
});
