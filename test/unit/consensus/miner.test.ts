import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import { MIN_REFRESH_MS, Miner, type MinerFailure, refreshDelay } from '../../../consensus/miner.ts';
import type { PowReply } from '../../../consensus/pow-worker.ts';
import { CONTRACTS } from '../../../contracts-vm/contracts/index.ts';
import type { Block } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { BlockError, BlockErrorCode } from '../../../protocol/errors.ts';
import { ChainBuilder, keys, openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

const until = (pred: () => boolean, ms = 30_000) =>
  new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (pred()) resolve();
      else if (Date.now() - started > ms) reject(new Error('timed out'));
      else setTimeout(tick, 20);
    };
    tick();
  });

describe('miner', () => {
  const params = testParams();
  let tc: TestChain;
  let pool: Mempool;
  beforeEach(async () => {
    tc = await openTestChain(params);
    pool = new Mempool({ params, headState: tc.chain.headState, verifier: tc.verifier });
    tc.chain.on('head', (c) => void pool.onHeadChange(c));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await tc.close();
  });

  it('mines blocks in worker threads that include pending transactions and pay the fees', async () => {
    const b = new ChainBuilder(params);
    const txs = [0n, 1n, 2n].map((n) => b.transfer(keys.vpp1, keys.vpp2, 100n + n, n, 20n));
    for (const t of txs) await pool.add(t);
    const miner = new Miner(tc.chain, pool, {
      address: keys.miner.address,
      threads: 2,
      now: () => tc.clock.now,
    });
    let mined = 0;
    miner.on('mined', () => mined++);
    miner.start();
    try {
      await until(() => tc.chain.height >= 3);
    } finally {
      await miner.stop();
    }
    expect(mined).toBeGreaterThanOrEqual(3);
    for (const t of txs) expect(await tc.chain.txLocation(t.hash)).toBeDefined();
    expect(pool.size).toBe(0);
    expect(tc.chain.account(keys.miner.address).balance).toBe(60n);
    expect(tc.chain.account(keys.vpp2.address).balance).toBe(1_000_303n);
    expect(miner.totalHashes).toBeGreaterThan(0);
  });

  it('continues on a block that arrived from elsewhere', async () => {
    const b = new ChainBuilder(params);
    const miner = new Miner(tc.chain, pool, {
      address: keys.miner.address,
      threads: 1,
      now: () => tc.clock.now,
    });
    await tc.chain.processBlock(b.next(b.genesisId, { miner: keys.vpp3.address }));
    miner.start();
    try {
      await until(() => tc.chain.height >= 2);
    } finally {
      await miner.stop();
    }
    expect((await tc.chain.getMainNode(1))!.id).toBe(b.idOf(b.extend(b.genesisId, 1, keys.vpp3.address)[0]!));
  });
});

describe('miner templates', () => {
  const params = testParams();
  let tc: TestChain;
  beforeEach(async () => {
    tc = await openTestChain(params);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await tc.close();
  });

  it('leaves out a pending transaction that fails on the tip, and executes the rest as validation would', () => {
    const b = new ChainBuilder(params);
    const good = b.transfer(keys.vpp1, keys.vpp2, 100n, 0n);
    const spent = b.transfer(keys.vpp2, keys.vpp3, 2_000_000n, 0n); // more than vpp-2 has
    const pool = { select: () => [spent, good] } as unknown as Mempool;
    const miner = new Miner(tc.chain, pool, { address: keys.miner.address, now: () => tc.clock.now });
    const template = miner.buildTemplate();
    expect(template.txs.map((t) => t.id)).toEqual([good.id]);
    const same = b.next(b.genesisId, { txs: [good], timestamp: template.header.timestamp });
    expect(toHex(template.header.stateRoot)).toBe(toHex(same.header.stateRoot));
    expect(toHex(template.header.txRoot)).toBe(toHex(same.header.txRoot));
  });

  it('reports a tip on which no template can be built, retries after a pause, and mines once it can', async () => {
    const hooked = CONTRACTS.all.find((c) => c.endBlock)!;
    const hook = vi.spyOn(hooked, 'endBlock').mockImplementation(() => {
      throw new Error('clearing bug');
    });
    const pool = new Mempool({ params, headState: tc.chain.headState, verifier: tc.verifier });
    const retryMs = 100;
    const miner = new Miner(tc.chain, pool, {
      address: keys.miner.address,
      threads: 1,
      now: () => tc.clock.now,
      retryMs,
    });
    const failures: MinerFailure[] = [];
    miner.on('failed', (f) => failures.push(f));
    const started = Date.now();
    miner.start();
    try {
      await until(() => failures.length >= 3);
      const elapsed = Date.now() - started;
      // Paced by the pause, not spinning: at most one attempt per pause (plus the first).
      expect(failures.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / retryMs));
      expect(tc.chain.height).toBe(0);
      const failure = failures[0]!;
      expect(failure).toMatchObject({ stage: 'template', parent: tc.chain.tip.id, height: 1 });
      expect(failure.error).toBeInstanceOf(BlockError);
      expect((failure.error as BlockError).code).toBe(BlockErrorCode.HOOK_FAILED);
      hook.mockRestore();
      await until(() => tc.chain.height >= 1);
    } finally {
      await miner.stop();
    }
  });
});

describe('template refresh at the gates', () => {
  const params = testParams(); // intervals of 10 s from GENESIS_TIME
  const gate = (k: number) => params.timestamp + k * params.market.intervalMs;

  it('waits for the periodic refresh, or until just past the next gate after the timestamp if sooner', () => {
    expect(refreshDelay(gate(5) + 3_000, gate(5) + 3_000, params, 2_000)).toBe(2_000);
    expect(refreshDelay(gate(5) + 9_500, gate(5) + 9_500, params, 2_000)).toBe(501);
    // A template stamped at a gate is past it: the next one is an interval later.
    expect(refreshDelay(gate(6), gate(6), params, 60_000)).toBe(10_001);
    // Stamped ahead of the clock (median time past): the gate after the timestamp counts.
    expect(refreshDelay(gate(6) + 200, gate(6) - 100, params, 60_000)).toBe(10_101);
    // A clock standing just before a gate never makes the loop spin.
    expect(refreshDelay(gate(7) - 1, gate(7) - 1, params, 2_000)).toBe(MIN_REFRESH_MS);
    expect(refreshDelay(gate(7) - 1, gate(7) - 1, params, 5)).toBe(5);
  });

  /**
   * A miner on a chain whose difficulty no worker meets in a test's time (~2^40 hashes a block), with a
   * periodic refresh (60 s) longer than any wait here (30 s): only what a test is about ends a search.
   * `templates` records every template it builds.
   */
  async function searchingMiner(o: { intervalMs?: number; txRefreshMs?: number } = {}) {
    const base = testParams();
    const hard = testParams({
      initialBits: 0x1c00ffff,
      powLimitBits: 0x1c00ffff,
      market: { ...base.market, intervalMs: o.intervalMs ?? base.market.intervalMs },
    });
    const tc = await openTestChain(hard);
    const pool = new Mempool({ params: hard, headState: tc.chain.headState, verifier: tc.verifier });
    const miner = new Miner(tc.chain, pool, {
      address: keys.miner.address,
      threads: 1,
      now: () => tc.clock.now,
      refreshMs: 60_000,
      txRefreshMs: o.txRefreshMs,
    });
    const templates: Block[] = [];
    const build = miner.buildTemplate.bind(miner);
    vi.spyOn(miner, 'buildTemplate').mockImplementation(() => {
      const t = build();
      templates.push(t);
      return t;
    });
    const stop = async () => {
      await miner.stop();
      await tc.close();
    };
    return { hard, tc, pool, miner, templates, stop };
  }

  it('rebuilds the template stamped past the gate as soon as the clock passes it, not at the next refresh', async () => {
    const { hard, tc, miner, templates, stop } = await searchingMiner();
    const k = Math.floor((tc.clock.now - hard.timestamp) / hard.market.intervalMs) + 1;
    const nextGate = hard.timestamp + k * hard.market.intervalMs;
    tc.clock.now = nextGate - 200;
    miner.start();
    try {
      await until(() => templates.length >= 1);
      tc.clock.now = nextGate + 5; // the wall clock passes the gate while the first template is mined
      await until(() => templates.length >= 2);
      expect(templates[0]!.header.timestamp).toBeLessThan(nextGate);
      expect(templates[1]!.header.timestamp).toBeGreaterThanOrEqual(nextGate);
      expect(tc.chain.height).toBe(0);
    } finally {
      await stop();
    }
  });

  it('rebuilds the template soon after a transaction arrives, not at the next refresh', async () => {
    // No gate within the test either.
    const { hard, pool, miner, templates, stop } = await searchingMiner({
      intervalMs: 3_600_000,
      txRefreshMs: 100,
    });
    const ids = () => templates.map((t) => t.txs.map((x) => x.id));
    miner.start();
    try {
      await until(() => templates.length >= 1);
      const b = new ChainBuilder(hard);
      const txs = [0n, 1n, 2n].map((n) => b.transfer(keys.vpp1, keys.vpp2, 100n + n, n, 20n));
      for (const t of txs) await pool.add(t); // a burst: one rebuild for it, not one per transaction
      await until(() => templates.some((t) => t.txs.length === txs.length));
      expect(ids()[0]).toEqual([]);
      expect(ids().at(-1)).toEqual(txs.map((t) => t.id));
      expect(templates.length).toBeLessThanOrEqual(3);
    } finally {
      await stop();
    }
  });
});

describe('PoW worker', () => {
  it('abandons a search as soon as the stop flag is raised', async () => {
    const w = new Worker(new URL('../../../consensus/pow-worker.ts', import.meta.url));
    const stop = new SharedArrayBuffer(4);
    try {
      const replies: PowReply[] = [];
      const done = new Promise<PowReply>((resolve) =>
        w.on('message', (m: PowReply) => {
          replies.push(m);
          if (m.kind !== 'progress') resolve(m);
        }),
      );
      // Target 0: no hash can meet it, so only the stop flag ends the search.
      w.postMessage({ header: new Uint8Array(118), target: '0', start: 0, end: 0x1_0000_0000, stop });
      await until(() => replies.length > 0, 10_000);
      const raised = Date.now();
      Atomics.store(new Int32Array(stop), 0, 1);
      const last = await done;
      expect(last.kind).toBe('stopped');
      expect(Date.now() - raised).toBeLessThan(2000);
    } finally {
      await w.terminate();
    }
  });
});
