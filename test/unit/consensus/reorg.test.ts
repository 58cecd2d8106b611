import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Chain, type HeadChange } from '../../../consensus/chain.ts';
import { Mempool } from '../../../consensus/mempool.ts';
import { getAccount } from '../../../contracts-vm/accounts.ts';
import type { Block } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import type { ChainParams } from '../../../protocol/params.ts';
import { ChainBuilder, keys, openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

/** The chain's head state equals a replay of the winning branch from genesis (the builder's state). */
function expectReplayEqual(tc: TestChain, b: ChainBuilder): void {
  const replay = b.stateAfter(tc.chain.tip.id);
  expect(toHex(tc.chain.stateRoot())).toBe(toHex(replay.root()));
  for (const k of Object.values(keys)) {
    expect(tc.chain.account(k.address)).toEqual(getAccount(replay, k.address));
  }
}

async function feed(tc: TestChain, blocks: Block[]): Promise<void> {
  for (const blk of blocks) await tc.chain.processBlock(blk);
}

describe('fork choice and reorgs', () => {
  let params: ChainParams;
  let b: ChainBuilder;
  let tc: TestChain;
  let changes: HeadChange[];

  beforeEach(async () => {
    params = testParams();
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
    changes = [];
    tc.chain.on('head', (c) => changes.push(c));
  });
  afterEach(() => tc.close());

  it('keeps the first-seen chain on equal work', async () => {
    const a = b.extend(b.genesisId, 3, keys.vpp1.address);
    const c = b.extend(b.genesisId, 3, keys.vpp2.address);
    await feed(tc, a);
    for (const blk of c) expect(await tc.chain.processBlock(blk)).toBe('side-chain');
    expect(tc.chain.tip.id).toBe(b.idOf(a[2]!));
  });

  it('after a heavier fork fails, stays on the first seen of the chains of equal work, and the valid prefix can still win', async () => {
    const a = b.extend(b.genesisId, 3, keys.vpp1.address);
    const c = b.extend(b.genesisId, 3, keys.vpp2.address);
    const f = b.extend(b.genesisId, 3, keys.vpp3.address);
    await feed(tc, [...a, ...c, ...f]);
    expect(changes).toHaveLength(3);
    const bad = b.next(b.idOf(f[2]!), { stateRoot: new Uint8Array(32) });
    await expect(tc.chain.processBlock(bad)).rejects.toMatchObject({ code: 'BAD_STATE_ROOT' });
    expect(tc.chain.tip.id).toBe(b.idOf(a[2]!));
    expect(changes).toHaveLength(3); // the failed reorg was abandoned whole: no head change
    expectReplayEqual(tc, b);
    const good = b.next(b.idOf(f[2]!), { miner: keys.vpp3.address });
    expect(await tc.chain.processBlock(good)).toBe('head');
    expect(changes.at(-1)!.disconnected.length).toBe(3);
    expectReplayEqual(tc, b);
  });

  it('switches to a longer fork, and back when the first chain grows again; state equals a replay each time', async () => {
    const t1 = b.transfer(keys.vpp1, keys.vpp2, 10_000n, 0n);
    const a = [b.next(b.genesisId, { txs: [t1], miner: keys.vpp1.address })];
    a.push(...b.extend(b.idOf(a[0]!), 2, keys.vpp1.address));
    await feed(tc, a);
    expectReplayEqual(tc, b);

    const t2 = b.transfer(keys.vpp1, keys.vpp3, 20_000n, 0n);
    const c = [b.next(b.genesisId, { txs: [t2], miner: keys.vpp2.address })];
    c.push(...b.extend(b.idOf(c[0]!), 3, keys.vpp2.address));
    await feed(tc, c);
    expect(tc.chain.tip.id).toBe(b.idOf(c[3]!));
    expect(changes.at(-1)!.disconnected.length).toBe(3);
    expect(changes.at(-1)!.connected.length).toBe(4);
    expectReplayEqual(tc, b);
    expect(tc.chain.account(keys.vpp2.address).balance).toBe(1_000_010n); // it mined the fork: one fee
    expect(tc.chain.account(keys.vpp3.address).balance).toBe(1_020_000n);

    const back = b.extend(b.idOf(a[2]!), 2, keys.vpp1.address);
    await feed(tc, back);
    expect(tc.chain.tip.id).toBe(b.idOf(back[1]!));
    expectReplayEqual(tc, b);
    expect(tc.chain.account(keys.vpp2.address).balance).toBe(1_010_000n);
    expect(await tc.chain.txLocation(t2.hash)).toBeUndefined();
    expect((await tc.chain.txLocation(t1.hash))?.index).toBe(0);
  });

  it('performs a 100-block reorg with transactions on both sides', async () => {
    const mk = (miner: string, from: typeof keys.vpp1, to: string, n: number): Block[] => {
      const out: Block[] = [];
      let parent = b.genesisId;
      for (let i = 0; i < n; i++) {
        const blk = b.next(parent, {
          miner,
          txs: i % 3 === 0 ? [b.transfer(from, to, BigInt(100 + i), BigInt(i / 3))] : [],
        });
        out.push(blk);
        parent = b.idOf(blk);
      }
      return out;
    };
    const a = mk(keys.vpp1.address, keys.vpp1, keys.vpp2.address, 100);
    await feed(tc, a);
    expect(tc.chain.height).toBe(100);
    const c = mk(keys.vpp3.address, keys.vpp2, keys.vpp3.address, 101);
    await feed(tc, c);
    expect(tc.chain.height).toBe(101);
    expect(tc.chain.tip.id).toBe(b.idOf(c[100]!));
    expect(changes.at(-1)!.disconnected.length).toBe(100);
    expectReplayEqual(tc, b);
    for (const blk of [a[0]!, a[57]!])
      expect(tc.chain.isMainChain(tc.chain.getNode(b.idOf(blk))!)).toBe(false);
    expect((await tc.chain.getMainNode(57))!.id).toBe(b.idOf(c[56]!));
  });

  it('returns transactions of disconnected blocks to the mempool unless the new chain spent them', async () => {
    const pool = new Mempool({ params, headState: tc.chain.headState, verifier: tc.verifier });
    tc.chain.on('head', (c) => void pool.onHeadChange(c));
    const keep = b.transfer(keys.vpp1, keys.vpp2, 500n, 0n);
    const conflicting = b.transfer(keys.vpp2, keys.vpp3, 999_000n, 0n);
    const a = [b.next(b.genesisId, { txs: [keep, conflicting], miner: keys.vpp1.address })];
    await feed(tc, a);
    // The fork spends vpp-2's funds differently, so `conflicting` cannot come back; `keep` can.
    const spend = b.transfer(keys.vpp2, keys.vpp1, 990_000n, 0n);
    const c = [b.next(b.genesisId, { txs: [spend], miner: keys.vpp3.address })];
    c.push(b.next(b.idOf(c[0]!), { miner: keys.vpp3.address }));
    await feed(tc, c);
    await new Promise((r) => setImmediate(r));
    expect(pool.has(keep.id)).toBe(true);
    expect(pool.has(conflicting.id)).toBe(false);
    expect(pool.select(tc.chain.headState, 10, 100_000).map((t) => t.id)).toEqual([keep.id]);
  });

  it('reopens after reorgs with the same head and state', async () => {
    await feed(tc, b.extend(b.genesisId, 5, keys.vpp1.address));
    await feed(tc, b.extend(b.genesisId, 7, keys.vpp2.address));
    const head = tc.chain.tip.id;
    const root = toHex(tc.chain.stateRoot());
    await tc.chain.close();
    const reopened = await Chain.open(tc.dir, params, { verifier: tc.verifier });
    expect(reopened.tip.id).toBe(head);
    expect(toHex(reopened.stateRoot())).toBe(root);
    expect(reopened.getNode(b.idOf(b.extend(b.genesisId, 1, keys.vpp1.address)[0]!))).toBeDefined();
    await reopened.close();
    await tc.verifier.close();
    rmSync(tc.dir, { recursive: true, force: true });
    tc = await openTestChain(params);
  });

  it('refuses a data directory of another chain', async () => {
    await tc.chain.close();
    await expect(Chain.open(tc.dir, testParams({ chainId: 99 }), { verifier: tc.verifier })).rejects.toThrow(
      /another chain/,
    );
    rmSync(tc.dir, { recursive: true, force: true });
    tc = await openTestChain(params);
  });
});
