// The mempool on disk: what was acknowledged survives a crash (the store's files copied while it is open
// are the disk as a crash leaves it), is admitted again against the head on start (a transaction mined
// meanwhile is removed, one the head refuses is dropped with its reason), concurrent durable admissions
// share synced batches, and a damaged entry is reported and deleted instead of stopping the node.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import { MempoolStore, MempoolStoreError } from '../../../consensus/mempool-store.ts';
import { placeBidCall } from '../../../contracts-vm/abi/calls.ts';
import { concatBytes } from '../../../protocol/bytes.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import type { ChainParams } from '../../../protocol/params.ts';
import type { TxEnvelope } from '../../../protocol/tx.ts';
import {
  ChainBuilder,
  GENESIS_TIME,
  keys,
  openTestChain,
  type TestChain,
  testParams,
} from '../../helpers/builder.ts';

const senders = Array.from({ length: 100 }, (_, i) => devKeyPair(`store-sender-${i}`));
const base = testParams();
const params: ChainParams = {
  ...base,
  accounts: [
    ...base.accounts,
    ...senders.map((k, i) => ({ name: `s${i}`, role: 'vpp' as const, address: k.address, balance: 1_000n })),
  ],
};
const steps = [{ qty: 1000, price: 250_000 }];

describe('mempool store', () => {
  let b: ChainBuilder;
  let tc: TestChain;
  let dir: string;
  const stores: MempoolStore[] = [];
  const clock = { now: 0 };

  const poolOn = (store: MempoolStore, queuedTtlMs = 60_000) => {
    const pool = new Mempool(
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
        store,
      },
      { queuedTtlMs },
    );
    tc.chain.on('head', (c) => void pool.onHeadChange(c));
    return pool;
  };
  const openStore = async (path: string) => {
    const s = await MempoolStore.open(path);
    stores.push(s);
    return s;
  };
  const isIncluded = async (env: TxEnvelope) => (await tc.chain.txLocation(env.hash)) !== undefined;

  beforeEach(async () => {
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
    dir = mkdtempSync(join(tmpdir(), 'vppchain-mempool-store-'));
    clock.now = GENESIS_TIME + 2_000;
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await tc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings back after a crash what was acknowledged: pending again in arrival order, or dropped with a reason', async () => {
    const pool = poolOn(await openStore(join(dir, 'live')));
    const mined = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const stays = b.transfer(keys.vpp2, keys.vpp1, 5n, 0n);
    const after = b.transfer(keys.vpp2, keys.vpp3, 5n, 1n);
    const bid = b.call(keys.vpp3, placeBidCall(1n, 'buy', steps), 0n); // gate at 10 s
    const gapped = b.transfer(keys.vpp1, keys.vpp3, 5n, 5n);
    const cheap = b.transfer(keys.grid, keys.vpp1, 5n, 0n, 10n);
    const dear = b.transfer(keys.grid, keys.vpp1, 5n, 0n, 20n);
    for (const t of [mined, stays, after, bid, gapped, cheap, dear]) await pool.add(t, { durable: true });
    // The crash: the disk as it is now, with nothing closed or flushed beyond what add() awaited.
    cpSync(join(dir, 'live'), join(dir, 'crashed'), { recursive: true });

    // Meanwhile the chain mined one of them, the bid's gate passed and the gapped one waited too long.
    await tc.chain.processBlock(b.next(b.genesisId, { txs: [mined] }));
    clock.now = GENESIS_TIME + 62_000;
    const reopened = poolOn(await openStore(join(dir, 'crashed')));
    const summary = await reopened.restore(isIncluded);
    expect(summary).toEqual({ restored: 3, included: 1, dropped: 2, corrupt: [] });
    expect(reopened.pendingOf(keys.vpp2.address).map((t) => t.id)).toEqual([stays.id, after.id]);
    expect(reopened.has(dear.id)).toBe(true);
    expect(reopened.has(mined.id) || reopened.dropped(mined.id) !== undefined).toBe(false);
    expect(reopened.dropped(bid.id)).toMatchObject({ reason: 'gate-closed', code: 'GATE_CLOSED' });
    expect(reopened.dropped(gapped.id)).toMatchObject({ reason: 'expired' }); // its age survived the restart
    expect(reopened.dropped(cheap.id)).toMatchObject({ reason: 'replaced', replacedBy: dear.id });
    // arrival order survived too: the template takes equal fees oldest first
    const template = reopened.select(tc.chain.headState, 10, 100_000).map((t) => t.id);
    expect(template).toEqual([dear.id, stays.id, after.id]);

    // and what the restart decided is itself stored: a second restart agrees
    await reopened.close();
    const again = poolOn(await openStore(join(dir, 'crashed')));
    expect(await again.restore(isIncluded)).toEqual({ restored: 3, included: 0, dropped: 0, corrupt: [] });
    expect(again.dropped(bid.id)?.reason).toBe('gate-closed');
  });

  it('removes what a block mined from the disk, and what the pool drops becomes a stored record', async () => {
    const pool = poolOn(await openStore(join(dir, 'live')));
    const t0 = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const t1 = b.transfer(keys.vpp2, keys.vpp3, 5n, 0n, 10n);
    await pool.add(t0, { durable: true });
    await pool.add(t1, { durable: true });
    await pool.add(b.transfer(keys.vpp2, keys.vpp3, 6n, 0n, 11n), { durable: true });
    await tc.chain.processBlock(b.next(b.genesisId, { txs: [t0] }));
    await pool.close();
    const loaded = await (await openStore(join(dir, 'live'))).load();
    expect(loaded.pending).toHaveLength(1);
    expect(loaded.dropped.map((d) => [d.id, d.reason])).toEqual([[t1.id, 'replaced']]);
  });

  it('group-commits concurrent durable admissions into a few synced batches', async () => {
    const store = await openStore(join(dir, 'live'));
    const pool = poolOn(store);
    const txs = senders.map((k) => b.transfer(k, keys.vpp1, 1n, 0n));
    await Promise.all(txs.map((t) => pool.add(t, { durable: true })));
    expect(pool.size).toBe(100);
    expect(store.batchesWritten).toBeGreaterThanOrEqual(1);
    expect(store.batchesWritten).toBeLessThanOrEqual(10);
    cpSync(join(dir, 'live'), join(dir, 'crashed'), { recursive: true });
    const loaded = await (await openStore(join(dir, 'crashed'))).load();
    expect(new Set(loaded.pending.map((s) => s.env.id))).toEqual(new Set(txs.map((t) => t.id)));
    expect(loaded.pending).toHaveLength(100);
  });

  it('reports and deletes damaged entries instead of refusing to start', async () => {
    const path = join(dir, 'live');
    const pool = poolOn(await openStore(path));
    const good = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    await pool.add(good, { durable: true });
    await pool.close();
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    await raw.open();
    const id = new Uint8Array(32).fill(7);
    await raw.put(concatBytes(Uint8Array.of(0x70), id), Uint8Array.of(1, 2, 3));
    await raw.put(concatBytes(Uint8Array.of(0x64), id), new TextEncoder().encode('{"id":"nope"}'));
    await raw.close();
    const reopened = poolOn(await openStore(path));
    const summary = await reopened.restore(isIncluded);
    expect(summary.restored).toBe(1);
    expect(summary.corrupt).toEqual([
      `pending ${'07'.repeat(32)}: truncated: seq`,
      `dropped record ${'07'.repeat(32)}: bad id`,
    ]);
    await reopened.close();
    expect((await (await openStore(path)).load()).corrupt).toEqual([]);
  });

  it('does not acknowledge what it could not store: MempoolStoreError, and the transaction is not pending', async () => {
    const store = await openStore(join(dir, 'live'));
    const pool = poolOn(store);
    await (store as unknown as { db: Level<Uint8Array, Uint8Array> }).db.close(); // the disk goes away
    const t = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    await expect(pool.add(t, { durable: true })).rejects.toBeInstanceOf(MempoolStoreError);
    expect(pool.has(t.id)).toBe(false);
    expect(pool.dropped(t.id)).toBeUndefined();
  });
});
