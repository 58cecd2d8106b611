// Held blocks are bounded: HeldPool by count, by bytes and by each source's share; and the chain's orphan
// pool, fed by a flooding peer, keeps its share away from the blocks an honest peer sent.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeldPool } from '../../../consensus/bounded-map.ts';
import { ORPHAN_LIMITS } from '../../../consensus/chain.ts';
import { BlockErrorCode } from '../../../protocol/errors.ts';
import { ChainBuilder, keys, openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

describe('HeldPool', () => {
  it('gives each source at most its share of the count: a source over it loses its own oldest', () => {
    const pool = new HeldPool<string>({ maxCount: 8, maxBytes: 1_000, sourceShare: 1 / 4 });
    expect(pool.perSource).toEqual({ count: 2, bytes: 250 });
    pool.add('honest-1', 'h1', 10, 'honest');
    for (let i = 0; i < 5; i++) pool.add(`flood-${i}`, 'f', 10, 'flood');
    expect(pool.usageOf('flood')).toEqual({ count: 2, bytes: 20 });
    expect(pool.has('flood-3') && pool.has('flood-4')).toBe(true);
    expect(pool.has('flood-0')).toBe(false);
    expect(pool.has('honest-1')).toBe(true);
    expect(pool.size).toBe(3);
  });

  it('bounds bytes per source and in total; the oldest entries of the pool go first when it is full', () => {
    const pool = new HeldPool<number>({ maxCount: 100, maxBytes: 1_000, sourceShare: 1 / 2 });
    pool.add('a1', 1, 300, 'a');
    pool.add('a2', 2, 300, 'a'); // a's share is 500 bytes: a1 goes
    expect(pool.has('a1')).toBe(false);
    expect(pool.usageOf('a')).toEqual({ count: 1, bytes: 300 });
    pool.add('b1', 3, 400, 'b');
    pool.add('c1', 4, 400, 'c'); // 300 + 400 + 400 > 1,000: the pool's oldest (a2) goes
    expect(pool.has('a2')).toBe(false);
    expect(pool.bytes).toBe(800);
    expect(pool.size).toBe(2);
    // An entry larger than a source's share is not held, and nothing is dropped for it.
    expect(pool.add('huge', 5, 501, 'd')).toBe(false);
    expect(pool.size).toBe(2);
    expect(pool.bytes).toBe(800);
  });

  it('keeps usage exact through replacement and deletion', () => {
    const pool = new HeldPool<number>({ maxCount: 10, maxBytes: 100, sourceShare: 1 });
    pool.add('x', 1, 40, 's');
    pool.add('x', 2, 10, 's');
    expect(pool.usageOf('s')).toEqual({ count: 1, bytes: 10 });
    expect(pool.get('x')?.value).toBe(2);
    expect(pool.delete('x')).toBe(true);
    expect(pool.delete('x')).toBe(false);
    expect(pool.usageOf('s')).toEqual({ count: 0, bytes: 0 });
    expect(pool.bytes).toBe(0);
  });
});

describe('the chain’s orphan pool', () => {
  const params = testParams();
  let tc: TestChain;
  beforeEach(async () => {
    tc = await openTestChain(params);
  });
  afterEach(() => tc.close());

  it('a peer flooding orphans fills only its share; an honest peer’s orphan is kept and connects', async () => {
    const b = new ChainBuilder(params);
    const share = Math.floor(ORPHAN_LIMITS.maxCount * ORPHAN_LIMITS.sourceShare);
    const flood = b.extend(b.genesisId, share + 40, keys.vpp3.address);
    const [honestParent, honestChild] = b.extend(b.genesisId, 2);
    const expectOrphan = async (p: Promise<unknown>) =>
      expect(
        await p.then(
          () => 'imported',
          (e: { code: string }) => e.code,
        ),
      ).toBe(BlockErrorCode.ORPHAN);

    await expectOrphan(tc.chain.processBlock(honestChild!, 'honest-peer'));
    // Every flood block but the first: none has a known parent.
    for (const blk of flood.slice(1)) await expectOrphan(tc.chain.processBlock(blk, 'flooder'));
    const held = tc.chain.heldBlocks().orphans;
    expect(held.count).toBe(share + 1);
    expect(held.bytes).toBeLessThanOrEqual(ORPHAN_LIMITS.maxBytes);

    expect(await tc.chain.processBlock(honestParent!, 'honest-peer')).toBe('head');
    expect(tc.chain.tip.id).toBe(b.idOf(honestChild!));
    expect(tc.chain.orphanCount).toBe(share);
  });
});
