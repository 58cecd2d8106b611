import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import { Miner } from '../../../consensus/miner.ts';
import type { PowReply } from '../../../consensus/pow-worker.ts';
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
  afterEach(() => tc.close());

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
