// The mempool runs a pending contract call next in line again at a new head only when its verdict may have
// changed (consensus/mempool-dryrun.ts): a block wrote a state key its last dry-run read, its body reads
// the time, or the pool missed a head change. Calls a block made invalid are still dropped with their
// reason at that head change; calls a block did not touch are not run again (counted); reorgs re-check.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import type { DroppedTx } from '../../../consensus/mempool-drops.ts';
import {
  commitScheduleCall,
  meterReportCall,
  placeBidCall,
  registryCall,
} from '../../../contracts-vm/abi/calls.ts';
import { NodeMetrics } from '../../../node/metrics.ts';
import type { Block } from '../../../protocol/block.ts';
import type { TxEnvelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

const params = testParams(); // 10 s intervals, 1 s blocks, bids up to 4 intervals ahead
const buy = [{ qty: 1000, price: 250_000 }]; // locks 250,000 of a VPP's 1,000,000
const schedule = (first: bigint) => commitScheduleCall(first, [-3000n, -2500n, 1200n, 0n]);

describe('mempool dry-runs follow what each call read', () => {
  let b: ChainBuilder;
  let tc: TestChain;
  let pool: Mempool;
  let drops: DroppedTx[];
  let tip: string;
  let following: boolean;

  beforeEach(async () => {
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
    tip = b.genesisId;
    following = true;
    pool = new Mempool({
      params,
      headState: tc.chain.headState,
      verifier: tc.verifier,
      // As a node: the next block one block time after the tip, credited to the genesis miner.
      nextBlockContext: tc.nextBlockContext,
    });
    drops = [];
    pool.on('dropped', (d) => drops.push(d));
    tc.chain.on('head', (c) => {
      if (following) pool.onHeadChange(c);
    });
  });
  afterEach(() => tc.close());

  async function feed(blocks: Block[]): Promise<void> {
    for (const blk of blocks) {
      expect(await tc.chain.processBlock(blk)).toBe('head');
      tip = b.idOf(blk);
    }
  }
  /** One block on the tip carrying `txs`. */
  const mine = (...txs: TxEnvelope[]) => feed([b.next(tip, { txs })]);
  const runs = () => pool.dryRunCounts.admission.run + pool.dryRunCounts.head.run;
  const counted = (admission: [number, number], head: [number, number]) => ({
    admission: { run: admission[0], reused: admission[1] },
    head: { run: head[0], reused: head[1] },
  });
  const droppedAs = (env: TxEnvelope) => {
    expect(pool.has(env.id)).toBe(false);
    return drops.find((d) => d.id === env.id);
  };

  it('runs a call once at admission, and not again at heads that wrote nothing it read', async () => {
    const calls = [keys.vpp1, keys.vpp2, keys.vpp3].map((k) => b.call(k, schedule(10n), 0n));
    for (const c of calls) await pool.add(c);
    // The check after the signature reuses the one before it: the head did not move meanwhile.
    expect(pool.dryRunCounts).toEqual(counted([3, 3], [0, 0]));

    await feed(b.extend(tip, 3)); // empty blocks
    expect(pool.dryRunCounts).toEqual(counted([3, 3], [0, 3 * 3]));
    await mine(b.transfer(keys.grid, keys.miner, 5n, 0n)); // accounts no call read
    await mine(calls[1]!); // vpp2's own call is mined; the others read none of its keys
    expect(runs()).toBe(3);
    expect(pool.size).toBe(2);
    expect(drops).toEqual([]);

    await mine(b.transfer(keys.grid, keys.vpp1, 5n, 1n)); // vpp1's account changed: its call runs again
    expect(pool.dryRunCounts).toEqual(counted([3, 3], [1, 3 * 3 + 3 + 2 + 1]));
    expect(pool.has(calls[0]!.id) && pool.has(calls[2]!.id)).toBe(true);
  });

  it('drops, each with its reason, the calls a block made invalid, running again only those it touched', async () => {
    await feed(b.extend(tip, 10)); // interval 0 has ended (10 s)
    const bid = b.call(keys.vpp1, placeBidCall(3n, 'buy', buy), 0n);
    const commit = b.call(keys.vpp2, schedule(10n), 0n);
    const sell = b.call(keys.vpp3, placeBidCall(4n, 'sell', buy), 0n);
    for (const c of [bid, commit, sell]) await pool.add(c);
    expect(runs()).toBe(3);

    // One block: the grid meters vpp1 2,000 Wh short (900,000 at the imbalance price, leaving 100,000
    // spendable, less than its bid locks) and removes vpp2; vpp3 spends its nonce 0 elsewhere.
    const report = b.call(
      keys.grid,
      meterReportCall(0n, [{ vpp: keys.vpp1.address, meteredWh: -2000n }]),
      0n,
    );
    const remove = b.call(keys.grid, registryCall('remove', keys.vpp2.address), 1n);
    const elsewhere = b.transfer(keys.vpp3, keys.miner, 5n, 0n);
    await mine(report, remove, elsewhere);

    expect(droppedAs(bid)).toMatchObject({ reason: 'invalid', code: 'INSUFFICIENT_FUNDS' });
    // 1,000,000 - 900,000 - the bid's own fee of 20
    expect(droppedAs(bid)!.message).toContain('needs 250000 base units to lock, spendable 99980');
    expect(droppedAs(commit)).toMatchObject({ reason: 'invalid', code: 'NOT_REGISTERED' });
    expect(droppedAs(sell)).toMatchObject({ reason: 'nonce-used', code: 'NONCE_TOO_LOW' });
    expect(runs()).toBe(5); // vpp1's and vpp2's calls ran again; vpp3's fell to the nonce check first
    expect(pool.size).toBe(0);
  });

  it('drops a call whose gate closed although no block touched what it read', async () => {
    await feed(b.extend(tip, 8)); // the next block is at 9 s
    const commit = b.call(keys.vpp1, schedule(5n), 0n); // interval 5's schedule closes at 10 s
    const later = b.call(keys.vpp2, schedule(6n), 0n); // closes at 20 s
    await pool.add(commit);
    await pool.add(later);
    expect(runs()).toBe(2);
    await feed(b.extend(tip, 1)); // the next block is at 10 s
    expect(droppedAs(commit)).toMatchObject({ reason: 'gate-closed', code: 'GATE_CLOSED' });
    expect(pool.has(later.id)).toBe(true);
    expect(runs()).toBe(2); // the admission rule refused it; nothing ran again
  });

  it('runs a call again when a reorg undoes what it read, and only that call', async () => {
    const a1 = b.next(tip, { txs: [b.call(keys.grid, registryCall('suspend', keys.vpp2.address), 0n)] });
    const resume = b.call(keys.grid, registryCall('resume', keys.vpp2.address), 1n);
    const a2 = b.next(b.idOf(a1), { txs: [resume] });
    await feed([a1, a2]);
    const bid = b.call(keys.vpp2, placeBidCall(3n, 'sell', buy), 0n); // vpp2 is active again
    const commit = b.call(keys.vpp1, schedule(10n), 0n);
    await pool.add(bid);
    await pool.add(commit);
    expect(runs()).toBe(2);

    // A heavier branch from a1 without the resumption: vpp2 is suspended on the new main chain.
    const b2 = b.next(b.idOf(a1), { timestamp: a2.header.timestamp + 500 });
    expect(await tc.chain.processBlock(b2)).toBe('side-chain');
    expect(runs()).toBe(2);
    tip = b.idOf(b2);
    await feed([b.next(tip)]);
    expect(droppedAs(bid)).toMatchObject({ reason: 'invalid', code: 'NOT_REGISTERED' });
    expect(droppedAs(bid)!.message).toContain('is suspended');
    expect(pool.has(commit.id)).toBe(true);
    expect(pool.has(resume.id)).toBe(true); // offered again from the disconnected block, and admitted
    // The bid again at the new head, and the resumption at its re-admission; not vpp1's schedule.
    const { admission, head } = pool.dryRunCounts;
    expect([admission.run, head.run]).toEqual([3, 1]);
  });

  it('runs again, at every head, a call whose body reads the time', async () => {
    await feed(b.extend(tip, 10));
    const report = b.call(keys.grid, meterReportCall(0n, [{ vpp: keys.vpp1.address, meteredWh: 0n }]), 0n);
    const commit = b.call(keys.vpp1, schedule(10n), 0n);
    await pool.add(report);
    await pool.add(commit);
    expect(pool.dryRunCounts).toEqual(counted([3, 1], [0, 0])); // the report twice: its body read the time
    await feed(b.extend(tip, 2));
    expect(runs()).toBe(5);
    expect(pool.size).toBe(2);
  });

  it("exports the counts as the node's Prometheus counters, by occasion, at each scrape", async () => {
    const idle = { peers: 0, peerId: null, syncing: false, mining: false, hashRate: 0 };
    const metrics = new NodeMetrics({ chain: tc.chain, mempool: pool, activity: () => idle });
    const scrape = async () => {
      const text = await metrics.text();
      const sample = (name: string, at: string) =>
        Number(new RegExp(`^${name}\\{at="${at}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      const at = (occasion: string): [number, number] => [
        sample('vpp_mempool_dry_runs_total', occasion),
        sample('vpp_mempool_dry_runs_skipped_total', occasion),
      ];
      return counted(at('admission'), at('head'));
    };
    expect(await scrape()).toEqual(counted([0, 0], [0, 0]));

    for (const k of [keys.vpp1, keys.vpp2]) await pool.add(b.call(k, schedule(10n), 0n));
    expect(await scrape()).toEqual(counted([2, 2], [0, 0])); // each run once, reused after its signature
    await feed(b.extend(tip, 2)); // wrote nothing either call read: both skipped at each head
    expect(await scrape()).toEqual(counted([2, 2], [0, 2 * 2]));
    await mine(b.transfer(keys.grid, keys.vpp1, 5n, 0n)); // wrote vpp1's account: its call runs again
    expect(await scrape()).toEqual(counted([2, 2], [1, 2 * 2 + 1]));
    expect(await scrape()).toEqual(pool.dryRunCounts);
  });

  it('keeps no pass across a head change it was not told about', async () => {
    const commit = b.call(keys.vpp1, schedule(10n), 0n);
    await pool.add(commit);
    following = false;
    await mine(b.transfer(keys.grid, keys.vpp1, 5n, 0n)); // wrote vpp1's account, unseen by the pool
    following = true;
    await feed(b.extend(tip, 1));
    expect(runs()).toBe(2);
    expect(pool.has(commit.id)).toBe(true);
  });
});
