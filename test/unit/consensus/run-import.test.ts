// Range sync's import of a run of blocks (chain.ts processBlocks): consecutive blocks connected in one
// switch and written in one LevelDB batch, with the outcomes, the head, the state and the ledger that
// importing them one by one gives — including a known prefix, an invalid block and its descendants, and
// a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Chain, type ProcessStatus } from '../../../consensus/chain.ts';
import { LedgerDb } from '../../../consensus/db.ts';
import { genesisBlock } from '../../../consensus/genesis.ts';
import { SignatureVerifier } from '../../../consensus/sigverify.ts';
import { getAccount } from '../../../contracts-vm/accounts.ts';
import type { Block } from '../../../protocol/block.ts';
import { BlockError, BlockErrorCode } from '../../../protocol/errors.ts';
import { ChainBuilder, GENESIS_TIME, keys, testParams } from '../../helpers/builder.ts';

const params = testParams({ maxBlockTxs: 100 });
const b = new ChainBuilder(params);
const domain = { chainId: params.chainId, genesisHash: genesisBlock(params).hash };

/** 10 blocks of 3 transfers; block 6 carries a wrong state root, so 6..9 can never be connected. */
function fixture(): { good: Block[]; bad: Block[] } {
  const good = b.transferChain(b.genesisId, 10, 3);
  const bad = good.slice(0, 6);
  let parent = b.idOf(good[5]!);
  for (let i = 6; i < 10; i++) {
    const blk =
      i === 6
        ? b.next(parent, { txs: good[i]!.txs, stateRoot: new Uint8Array(32) })
        : b.next(parent, { txs: good[i]!.txs, skipExecution: true });
    bad.push(blk);
    parent = b.idOf(blk);
  }
  return { good, bad };
}

const settle = (p: Promise<ProcessStatus>): Promise<PromiseSettledResult<ProcessStatus>> =>
  p.then(
    (value) => ({ status: 'fulfilled', value }) as const,
    (reason: unknown) => ({ status: 'rejected', reason }) as const,
  );
const summary = (outcomes: PromiseSettledResult<ProcessStatus>[]) =>
  outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as BlockError).code));

describe('importing a run of blocks (range sync)', () => {
  const dirs: string[] = [];
  const open: { chain: Chain; verifier: SignatureVerifier }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.chain.close();
      await o.verifier.close();
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  async function fresh(dir = mkdtempSync(join(tmpdir(), 'vppchain-run-'))) {
    if (!dirs.includes(dir)) dirs.push(dir);
    const verifier = new SignatureVerifier(domain, 1);
    const chain = await Chain.open(dir, params, { verifier, now: () => GENESIS_TIME + 365 * 86_400_000 });
    open.push({ chain, verifier });
    return { chain, dir };
  }
  async function closeLast() {
    const o = open.pop()!;
    await o.chain.close();
    await o.verifier.close();
  }

  it('gives the outcomes, head and state of one-by-one import, in one ledger write per stretch', async () => {
    const { good, bad } = fixture();
    for (const blocks of [good, bad]) {
      const one = await fresh();
      const byOne = [];
      for (const blk of blocks) byOne.push(await settle(one.chain.processBlock(blk)));
      const run = await fresh();
      const writes = countWrites();
      const together = await run.chain.processBlocks(blocks);
      expect(writes.count()).toBe(1);
      writes.restore();
      expect(summary(together)).toEqual(summary(byOne));
      expect(run.chain.tip.id).toBe(one.chain.tip.id);
      expect(run.chain.height).toBe(one.chain.height);
      expect(run.chain.headState.root()).toEqual(one.chain.headState.root());
    }
    const { chain } = await fresh();
    expect(summary(await chain.processBlocks(bad))).toEqual([
      ...Array(6).fill('head'),
      BlockErrorCode.BAD_STATE_ROOT,
      ...Array(3).fill(BlockErrorCode.PARENT_INVALID),
    ]);
  });

  it('skips a known prefix, then connects the rest; the ledger reopens at the same head', async () => {
    const { good } = fixture();
    const { chain, dir } = await fresh();
    for (const blk of good.slice(0, 4)) await chain.processBlock(blk);
    const outcomes = await chain.processBlocks(good);
    expect(summary(outcomes)).toEqual([
      ...Array(4).fill(BlockErrorCode.ALREADY_KNOWN),
      ...Array(6).fill('head'),
    ]);
    const tip = chain.tip.id;
    const root = chain.headState.root();
    const received = getAccount(chain.headState, keys.vpp2.address).balance;
    expect(root).toEqual(chain.tip.header.stateRoot);
    await closeLast();
    const again = await fresh(dir);
    expect(again.chain.tip.id).toBe(tip);
    expect(again.chain.height).toBe(10);
    expect(again.chain.headState.root()).toEqual(root);
    expect(getAccount(again.chain.headState, keys.vpp2.address).balance).toBe(received);
    for (let h = 1; h <= 10; h++) expect((await again.chain.getMainNode(h))?.id).toBe(b.idOf(good[h - 1]!));
  });

  it('connects a run longer than the block cache in several switches (no body evicted before its write)', async () => {
    const blocks = b.extend(b.genesisId, 300, keys.vpp1.address);
    const { chain, dir } = await fresh();
    const writes = countWrites();
    const outcomes = await chain.processBlocks(blocks);
    const count = writes.count();
    writes.restore();
    expect(summary(outcomes)).toEqual(Array(300).fill('head'));
    expect(count).toBeGreaterThan(1);
    expect(count).toBeLessThan(10);
    expect(chain.tip.id).toBe(b.idOf(blocks[299]!));
    await closeLast();
    const again = await fresh(dir);
    expect(again.chain.height).toBe(300);
    for (const h of [1, 150, 300])
      expect(await again.chain.getBlockBytes(b.idOf(blocks[h - 1]!))).toBeDefined();
  });

  it("answers a just-written block's receipts from memory exactly as the disk does after a reopen", async () => {
    const { good } = fixture();
    const { chain, dir } = await fresh();
    await chain.processBlocks(good);
    const recent = [];
    for (const blk of good) recent.push(await chain.getReceipts(b.idOf(blk)));
    expect(recent[0]!.txs).toHaveLength(3);
    // A fresh object on every read, as a read from the disk gives: a reader may keep or change its copy.
    expect(await chain.getReceipts(b.idOf(good[0]!))).not.toBe(recent[0]);
    await closeLast();
    const again = await fresh(dir);
    for (const [i, blk] of good.entries())
      expect(await again.chain.getReceipts(b.idOf(blk))).toEqual(recent[i]);
  });

  it('a run whose first block is an orphan holds it and imports nothing', async () => {
    const { good } = fixture();
    const { chain } = await fresh();
    const outcomes = await chain.processBlocks(good.slice(3));
    expect(summary(outcomes)[0]).toBe(BlockErrorCode.ORPHAN);
    expect(chain.height).toBe(0);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof BlockError)).toBe(true);
  });
});

/** Counts LedgerDb writes that carry something (all instances) until restored. */
function countWrites(): { count: () => number; restore: () => void } {
  const original = LedgerDb.prototype.write;
  let n = 0;
  LedgerDb.prototype.write = async function (this: LedgerDb, batch) {
    if (batch.ops.length > 0) n++;
    return original.call(this, batch);
  };
  return { count: () => n, restore: () => (LedgerDb.prototype.write = original) };
}
