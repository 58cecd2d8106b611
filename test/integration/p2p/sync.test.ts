import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';
import { waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

describe('late joiner', () => {
  const dirs: string[] = [];
  const nodes: VppNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    nodes.length = 0;
    dirs.length = 0;
  });

  const open = async (params: ReturnType<typeof testParams>, bootstrap: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'vppchain-sync-'));
    dirs.push(dir);
    await initDataDir(dir, params);
    const node = await VppNode.open({
      dataDir: dir,
      mine: false,
      verifierThreads: 1,
      p2p: { port: 0, bootstrap },
    });
    nodes.push(node);
    await node.start();
    return node;
  };

  it(
    'a fresh node syncs a chain of 2,000 blocks from a peer',
    async () => {
      const params = testParams();
      const b = new ChainBuilder(params);
      const source = await open(params, []);
      let parent = b.genesisId;
      for (let i = 0; i < 2000; i++) {
        const txs = i % 10 === 0 ? [b.transfer(keys.vpp1, keys.vpp2, 1n, BigInt(i / 10))] : [];
        const blk = b.next(parent, { txs });
        await source.chain.processBlock(blk);
        parent = b.idOf(blk);
      }
      expect(source.chain.height).toBe(2000);
      const fresh = await open(params, [source.network!.multiaddrs[0]!]);
      await waitFor('synced to 2,000', () => fresh.chain.height === 2000, 120_000);
      expect(fresh.chain.tip.id).toBe(source.chain.tip.id);
      expect(toHex(fresh.chain.stateRoot())).toBe(toHex(source.chain.stateRoot()));
      expect(fresh.chain.account(keys.vpp2.address).balance).toBe(1_000_200n);
      expect(fresh.network!.sync.blocksImported).toBe(2000);
    },
    scaled(180_000),
  );
});
