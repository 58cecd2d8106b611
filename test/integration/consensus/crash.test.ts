import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Chain } from '../../../consensus/chain.ts';
import { SignatureVerifier } from '../../../consensus/sigverify.ts';
import { type Block, encodeBlock } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { genesisToJson } from '../../../protocol/params.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';
import { scaled } from '../../helpers/time.ts';

/** Opens the ledger (which itself checks state root == head) and checks the main-chain index. */
async function checkConsistent(
  dir: string,
  params: ReturnType<typeof testParams>,
  verifier: SignatureVerifier,
) {
  const chain = await Chain.open(dir, params, { verifier });
  try {
    let node = chain.tip;
    for (let h = chain.height; h >= 0; h--) {
      const indexed = await chain.getMainNode(h);
      expect(indexed?.id, `height ${h}`).toBe(node.id);
      if (h > 0) {
        const body = await chain.getBlock(node.id);
        for (const t of body!.txs) expect((await chain.txLocation(t.hash))?.blockHash).toEqual(node.hash);
        node = node.parent!;
      }
    }
    return { height: chain.height, head: chain.tip.id, root: toHex(chain.stateRoot()) };
  } finally {
    await chain.close();
  }
}

describe('crash safety', () => {
  it('restarts consistent after SIGKILL at random moments during imports and a reorg', {
    timeout: scaled(180_000),
  }, async () => {
    const params = testParams();
    const b = new ChainBuilder(params);
    const blocks: Block[] = [];
    let parent = b.genesisId;
    for (let i = 0; i < 150; i++) {
      const txs = [
        b.transfer(keys.vpp1, keys.vpp2, BigInt(1 + i), BigInt(i)),
        b.transfer(keys.vpp3, keys.grid, 5n, BigInt(i)),
      ];
      const blk = b.next(parent, { txs, miner: keys.vpp1.address });
      blocks.push(blk);
      parent = b.idOf(blk);
    }
    // A heavier fork from height 100 forces a 50-block reorg in the middle of the run.
    parent = b.idOf(blocks[99]!);
    for (let i = 0; i < 70; i++) {
      const blk = b.next(parent, {
        txs: [b.transfer(keys.vpp2, keys.vpp3, 7n, BigInt(i))],
        miner: keys.vpp2.address,
      });
      blocks.push(blk);
      parent = b.idOf(blk);
    }
    const expectedHead = parent;

    const dir = mkdtempSync(join(tmpdir(), 'vppchain-crash-'));
    const blocksFile = join(dir, 'blocks.hex');
    const genesisFile = join(dir, 'genesis.json');
    writeFileSync(blocksFile, blocks.map((x) => toHex(encodeBlock(x))).join('\n'));
    writeFileSync(genesisFile, JSON.stringify(genesisToJson(params)));
    const ledger = join(dir, 'ledger');
    const verifier = new SignatureVerifier(b.domain, 0);
    const child = new URL('../../fixtures/import-child.ts', import.meta.url).pathname;
    let kills = 0;
    let finished = false;
    const heights: number[] = [];
    try {
      for (let round = 0; round < 200 && !finished; round++) {
        const proc = fork(child, [ledger, blocksFile, genesisFile], {
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        });
        let stderr = '';
        proc.stderr!.on('data', (d) => (stderr += d));
        const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
        // The child takes each block only on our 'go'. After a random number of imported blocks the
        // next 'go' is followed by SIGKILL a random few milliseconds later, so the signal lands anywhere
        // in that import (mid-batch included) or just after it: a run never gets further than that,
        // however fast or busy the machine, so the kills come before the chain is complete.
        const killAfter = kills < 25 ? 1 + Math.floor(Math.random() * 6) : Number.POSITIVE_INFINITY;
        let imported = 0;
        let timer: NodeJS.Timeout | undefined;
        proc.on('message', (m: { kind: string }) => {
          if (m.kind === 'done') return;
          if (m.kind === 'imported') imported++;
          if (imported > killAfter || timer) return; // the kill is on its way: no more blocks
          // (a child that died meanwhile cannot take it: its exit tells the rest)
          if (proc.connected) proc.send('go', () => undefined);
          if (imported === killAfter)
            timer = setTimeout(() => {
              if (proc.exitCode === null && proc.kill('SIGKILL')) kills++;
            }, Math.random() * 3);
        });
        const code = await exited;
        clearTimeout(timer);
        if (code === 0) finished = true;
        else if (code !== null) throw new Error(`import child failed (${code}): ${stderr}`);
        const state = await checkConsistent(ledger, params, verifier);
        heights.push(state.height);
      }
      expect(finished).toBe(true);
      expect(kills).toBeGreaterThanOrEqual(20);
      const final = await checkConsistent(ledger, params, verifier);
      expect(final.head).toBe(expectedHead);
      expect(final.root).toBe(toHex(b.stateAfter(expectedHead).root()));
      expect(heights.some((h) => h > 0 && h < 170)).toBe(true); // some kills landed mid-import
    } finally {
      await verifier.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
