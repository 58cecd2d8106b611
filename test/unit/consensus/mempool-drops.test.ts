// Terminal states: every admitted transaction ends in a main-chain block or on record as dropped with its
// reason (replaced, evicted, expired, gate-closed, nonce-used, invalid), announced by a 'dropped' event;
// never silently gone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mempool, type MempoolOptions, SWEEP_GRACE_MS } from '../../../consensus/mempool.ts';
import type { DroppedTx } from '../../../consensus/mempool-drops.ts';
import { placeBidCall } from '../../../contracts-vm/abi/calls.ts';
import type { Block } from '../../../protocol/block.ts';
import type { TxEnvelope } from '../../../protocol/tx.ts';
import {
  ChainBuilder,
  GENESIS_TIME,
  keys,
  openTestChain,
  type TestChain,
  testParams,
} from '../../helpers/builder.ts';

const params = testParams(); // 10 s intervals
const steps = [{ qty: 1000, price: 250_000 }];

describe('mempool terminal states', () => {
  let b: ChainBuilder;
  let tc: TestChain;
  let pool: Mempool;
  let drops: DroppedTx[];
  const clock = { now: 0 };

  function open(opts: Partial<MempoolOptions> = {}): void {
    pool = new Mempool(
      {
        params,
        headState: tc.chain.headState,
        verifier: tc.verifier,
        now: () => clock.now,
        nextBlockContext: () => ({
          height: tc.chain.height + 1,
          timestamp: Math.max(clock.now, tc.chain.medianTimePast(tc.chain.tip) + 1),
          miner: keys.miner.address,
          params,
        }),
      },
      opts,
    );
    drops = [];
    pool.on('dropped', (d) => drops.push(d));
    tc.chain.on('head', (c) => void pool.onHeadChange(c));
  }

  beforeEach(async () => {
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
    clock.now = GENESIS_TIME + 2_000;
    open();
  });
  afterEach(() => tc.close());

  /** Feeds blocks on `parent` to the chain; returns the last id. */
  async function grow(parent: string, blocks: Block[]): Promise<string> {
    for (const blk of blocks) {
      await tc.chain.processBlock(blk);
      parent = b.idOf(blk);
    }
    return parent;
  }

  const only = (env: TxEnvelope) => {
    expect(pool.has(env.id)).toBe(false);
    const d = pool.dropped(env.id)!;
    expect(drops.filter((x) => x.id === env.id)).toEqual([d]);
    return d;
  };

  it('replaced: names the transaction that took its place', async () => {
    const cheap = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n, 10n);
    const dear = b.transfer(keys.vpp1, keys.vpp3, 5n, 0n, 11n);
    await pool.add(cheap);
    await pool.add(dear);
    expect(only(cheap)).toMatchObject({
      reason: 'replaced',
      replacedBy: dear.id,
      sender: keys.vpp1.address,
      nonce: 0n,
      time: clock.now,
    });
    expect(pool.dropped(cheap.id)!.message).toContain(`replaced by ${dear.id}`);
    expect(pool.dropped(dear.id)).toBeUndefined();
  });

  it('evicted: a full pool gives the cheapest place to a better payer, and says so', async () => {
    open({ maxSize: 2 });
    const low = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n, 10n);
    await pool.add(low);
    await pool.add(b.transfer(keys.vpp2, keys.vpp1, 5n, 0n, 12n));
    const rich = b.transfer(keys.vpp3, keys.vpp1, 5n, 0n, 20n);
    await pool.add(rich);
    expect(only(low)).toMatchObject({ reason: 'evicted', replacedBy: rich.id });
    expect(pool.dropped(low.id)!.message).toContain('full mempool (2 transactions)');
  });

  it('expired: a transaction behind a nonce gap past the queue limit; one that can run next never expires', async () => {
    open({ queuedTtlMs: 60_000 });
    const runnable = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const gapped = b.transfer(keys.vpp2, keys.vpp1, 5n, 3n);
    await pool.add(runnable);
    await pool.add(gapped);
    pool.expire(clock.now + 59_999);
    expect(pool.size).toBe(2);
    pool.expire(clock.now + 60_000);
    expect(pool.has(runnable.id)).toBe(true);
    const d = only(gapped);
    expect(d.reason).toBe('expired');
    expect(d.message).toBe(
      "waited 1 min 0 s behind a nonce gap (the sender's next nonce is 0, this one is 3); queued transactions expire after 1 min 0 s",
    );
  });

  it('gate-closed: calls whose gate closes while they wait are dropped when the head moves', async () => {
    // vpp1: a bid for interval 1 behind a nonce gap; vpp2: a bid for interval 1 behind a pending transfer
    const gapped = b.call(keys.vpp1, placeBidCall(1n, 'buy', steps), 1n);
    const transfer = b.transfer(keys.vpp2, keys.vpp3, 5n, 0n);
    const queued = b.call(keys.vpp2, placeBidCall(1n, 'sell', steps), 1n);
    const later = b.call(keys.vpp3, placeBidCall(2n, 'sell', steps), 0n);
    for (const t of [gapped, transfer, queued, later]) await pool.add(t);
    clock.now = GENESIS_TIME + 10_500; // interval 1's gate passed; the next head drops at once
    expect(pool.size).toBe(4);
    await grow(b.genesisId, b.extend(b.genesisId, 1));
    for (const t of [gapped, queued]) {
      const d = only(t);
      expect(d).toMatchObject({ reason: 'gate-closed', code: 'GATE_CLOSED' });
      expect(d.message).toContain('the gate of interval 1 closed at 2026-01-01T00:00:10.000Z, 500 ms ago');
    }
    expect(pool.has(transfer.id) && pool.has(later.id)).toBe(true);
  });

  it('gate-closed: without a block, the one-second sweep drops them once the gate is SWEEP_GRACE_MS past', async () => {
    const closing = b.call(keys.vpp1, placeBidCall(1n, 'buy', steps), 0n);
    const open = b.call(keys.vpp2, placeBidCall(2n, 'sell', steps), 0n);
    for (const t of [closing, open]) await pool.add(t);
    clock.now = GENESIS_TIME + 10_000 + SWEEP_GRACE_MS - 100; // within the grace: a block may still hold it
    // A bid for the interval whose window opened just now: too far ahead only by the grace's clock.
    const justOpen = b.call(
      keys.vpp3,
      placeBidCall(1n + BigInt(params.market.maxIntervalsAhead), 'buy', steps),
      0n,
    );
    await pool.add(justOpen);
    pool.sweep();
    expect(pool.size).toBe(3);
    clock.now = GENESIS_TIME + 10_000 + SWEEP_GRACE_MS;
    pool.sweep();
    expect(only(closing)).toMatchObject({
      reason: 'gate-closed',
      code: 'GATE_CLOSED',
      message: expect.stringContaining(
        `the gate of interval 1 closed at 2026-01-01T00:00:10.000Z, ${SWEEP_GRACE_MS / 1000} s ago`,
      ),
    });
    expect(pool.has(open.id) && pool.has(justOpen.id)).toBe(true);
  });

  it('nonce-used and invalid: the chain took the nonce, or the funds, of a pending transaction', async () => {
    const mine = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const next = b.transfer(keys.vpp1, keys.vpp2, 900_000n, 1n);
    await pool.add(mine);
    await pool.add(next);
    // another transaction with nonce 0, unseen by this pool, spends most of vpp1's tokens
    const elsewhere = b.transfer(keys.vpp1, keys.vpp3, 500_000n, 0n, 50n);
    await grow(b.genesisId, [b.next(b.genesisId, { txs: [elsewhere] })]);
    expect(only(mine)).toMatchObject({ reason: 'nonce-used', code: 'NONCE_TOO_LOW' });
    const d = only(next);
    expect(d).toMatchObject({ reason: 'invalid', code: 'INSUFFICIENT_FUNDS' });
    expect(d.message).toContain('the sender can no longer pay for it');
    expect(pool.dropped(elsewhere.id)).toBeUndefined();
  });

  it('a reorg offers disconnected transactions again; one the new branch refuses is dropped, one it mines is not', async () => {
    const x = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const y = b.transfer(keys.vpp1, keys.vpp3, 6n, 0n, 11n);
    const z = b.transfer(keys.vpp2, keys.vpp3, 7n, 0n);
    await pool.add(x);
    await pool.add(z);
    await grow(b.genesisId, [b.next(b.genesisId, { txs: [x, z] })]);
    expect(pool.size).toBe(0);
    expect(drops).toEqual([]);
    // a heavier branch mines y (vpp1's nonce 0) and z again
    const fork = b.next(b.genesisId, { txs: [y], timestamp: GENESIS_TIME + 1500 });
    await grow(b.genesisId, [fork, b.next(b.idOf(fork), { txs: [z] })]);
    expect(only(x)).toMatchObject({ reason: 'nonce-used', code: 'NONCE_TOO_LOW' });
    expect(pool.dropped(z.id)).toBeUndefined();
    expect(pool.has(z.id)).toBe(false);
  });

  it('keeps a bounded record, forgetting the oldest first; a mined transaction loses its drop record', async () => {
    open({ maxDropRecords: 2 });
    const first = b.transfer(keys.vpp1, keys.vpp2, 1n, 0n, 10n);
    const second = b.transfer(keys.vpp1, keys.vpp2, 1n, 0n, 11n);
    const third = b.transfer(keys.vpp1, keys.vpp2, 1n, 0n, 12n);
    const fourth = b.transfer(keys.vpp1, keys.vpp2, 1n, 0n, 13n);
    for (const t of [first, second, third, fourth]) await pool.add(t);
    expect(drops.map((d) => d.id)).toEqual([first.id, second.id, third.id]);
    expect(pool.dropped(first.id)).toBeUndefined();
    expect(pool.dropped(second.id)?.reason).toBe('replaced');
    // third was dropped here, yet another node mined it: the chain has the last word
    await grow(b.genesisId, [b.next(b.genesisId, { txs: [third] })]);
    expect(pool.dropped(third.id)).toBeUndefined();
    expect(only(fourth)).toMatchObject({ reason: 'nonce-used' });
  });
});
