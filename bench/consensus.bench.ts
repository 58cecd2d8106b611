// Consensus benchmarks, each beside a reference measured in the same run (medians of repeated runs):
//  1. mining hash rate per worker vs this machine's SHA-256 limit (openssl speed, one core), for the
//     WebAssembly SIMD search and the JS reference, with one worker and one per core;
//  2. signed transactions admitted to the mempool per second vs the raw signature verification rate;
//  3. blocks imported per second, signatures cold and already cached by the mempool.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Chain } from '../consensus/chain.ts';
import { genesisBlock } from '../consensus/genesis.ts';
import { Mempool } from '../consensus/mempool.ts';
import { simdAvailable } from '../consensus/pow-simd.ts';
import type { PowEngine, PowJob, PowReply } from '../consensus/pow-worker.ts';
import { SignatureVerifier } from '../consensus/sigverify.ts';
import type { Block } from '../protocol/block.ts';
import { devKeyPair, signatureBackend, verifyFast, verifyNoble, verifyOpenssl } from '../protocol/keys.ts';
import { sighashPreimage, type TxEnvelope } from '../protocol/tx.ts';
import { GENESIS_TIME } from '../test/helpers/builder.ts';
import { fundedSenders } from './fixtures.ts';
import { median } from './stats.ts';

const RUNS = 5;
const cores = availableParallelism();
const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });

// ---- 1. hash rate ---------------------------------------------------------------------------------
// openssl speed divides by its CPU time unless given -elapsed, so it is run both ways and each of our
// figures is compared with the one measured on the same clock: hashes per wall second (what a miner gets,
// load included) and hashes per CPU second of a worker thread (the inner loop, whatever the load).
function opensslSha256PerSecond(clock: 'cpu' | 'wall'): number | undefined {
  const args = ['speed', ...(clock === 'wall' ? ['-elapsed'] : []), '-evp', 'sha256', '-seconds', '1'];
  try {
    const out = execFileSync('openssl', [...args, '-bytes', '64'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = /sha256\s+([\d.]+)k/.exec(out);
    return m ? (Number(m[1]) * 1000) / 64 : undefined;
  } catch {
    return undefined;
  }
}

interface PowRate {
  wall: number; // hashes per second, all workers
  cpuPerWorker: number; // hashes per CPU second of one worker thread
  coresUsed: number; // CPU seconds the workers got per second: what the scheduler gave them
}

/**
 * Runs `workers` PoW workers on the `engine` with an unreachable target. Each worker's replies say how
 * many hashes it did in how much wall and thread CPU time; replies in the first quarter second after every
 * worker has reported once (start-up, kernel tier-up) are left out, then `seconds` are measured.
 */
async function powRate(engine: PowEngine, workers: number, seconds: number): Promise<PowRate> {
  const stop = new SharedArrayBuffer(4);
  const ws = Array.from(
    { length: workers },
    () => new Worker(new URL('../consensus/pow-worker.ts', import.meta.url)),
  );
  const kept = ws.map(() => ({ hashes: 0, wallMs: 0, cpuMs: 0 }));
  const reported = new Set<number>();
  let measuring = false;
  let allReported: () => void = () => {};
  const ready = new Promise<void>((resolve) => (allReported = resolve));
  const done = ws.map(
    (w, i) =>
      new Promise<void>((resolve) =>
        w.on('message', (m: PowReply) => {
          if (m.engine !== engine)
            throw new Error(`asked for the ${engine} search, the worker ran ${m.engine}`);
          if (measuring) {
            kept[i]!.hashes += m.hashes;
            kept[i]!.wallMs += m.wallMs;
            kept[i]!.cpuMs += m.cpuMs;
          }
          reported.add(i);
          if (reported.size === workers) allReported();
          if (m.kind !== 'progress') resolve();
        }),
      ),
  );
  for (const [i, w] of ws.entries()) {
    const job: PowJob = {
      header: new Uint8Array(118).fill(i + 1),
      target: '0',
      start: 0,
      end: 2 ** 32,
      stop,
      engine,
    };
    w.postMessage(job);
  }
  await ready;
  await new Promise((r) => setTimeout(r, 250));
  measuring = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  Atomics.store(new Int32Array(stop), 0, 1);
  await Promise.all(done);
  await Promise.all(ws.map((w) => w.terminate()));
  const sum = (f: (k: (typeof kept)[number]) => number) => kept.reduce((a, k) => a + f(k), 0);
  return {
    wall: sum((k) => k.hashes / (k.wallMs / 1000)),
    cpuPerWorker: sum((k) => k.hashes) / (sum((k) => k.cpuMs) / 1000),
    coresUsed: sum((k) => k.cpuMs / k.wallMs),
  };
}

const load = () =>
  loadavg()
    .map((x) => fmt(x, 2))
    .join(' ');
const loadBefore = load();
const engines: PowEngine[] = simdAvailable() ? ['simd', 'js'] : ['js'];
const workerCounts = [...new Set([1, cores])];
const rates = new Map<string, PowRate[]>();
const refCpu: number[] = [];
const refWall: number[] = [];
for (let r = 0; r < 3; r++) {
  const cpu = opensslSha256PerSecond('cpu');
  const wall = opensslSha256PerSecond('wall');
  if (cpu && wall) {
    refCpu.push(cpu);
    refWall.push(wall);
  }
  for (const engine of engines)
    for (const n of workerCounts) {
      const key = `${engine}/${n}`;
      rates.set(key, [...(rates.get(key) ?? []), await powRate(engine, n, 1.5)]);
    }
}
const rate = (engine: PowEngine, n: number): PowRate => {
  const runs = rates.get(`${engine}/${n}`)!;
  const of = (f: (x: PowRate) => number) => median(runs.map(f));
  return {
    wall: of((x) => x.wall),
    cpuPerWorker: of((x) => x.cpuPerWorker),
    coresUsed: of((x) => x.coresUsed),
  };
};
const ENGINE_NAME: Record<PowEngine, string> = { simd: 'wasm SIMD', js: 'JS (reference)' };
console.log(
  `Mining (SHA-256d of the 118-byte header, midstate; one try = 2 SHA-256 compressions; ${cores} cores; ` +
    `load average ${loadBefore} before, ${load()} after)`,
);
if (!simdAvailable()) console.log('  WebAssembly SIMD not available: only the JS search is measured');
if (refCpu.length) {
  const [rc, rw] = [median(refCpu), median(refWall)];
  console.log(
    `  reference: openssl speed sha256, 64-byte messages (also 2 compressions) on one core: ` +
      `${fmt(rc / 1e6, 2)} M/CPU-s, ${fmt(rw / 1e6, 2)} M/s wall`,
  );
  console.log(
    '  search           workers   MH/s wall  per worker/openssl  cores used   per worker M/CPU-s  /openssl',
  );
  for (const engine of engines)
    for (const n of workerCounts) {
      const x = rate(engine, n);
      console.log(
        `  ${ENGINE_NAME[engine].padEnd(16)} ${String(n).padStart(7)} ${fmt(x.wall / 1e6, 2).padStart(11)}` +
          `${fmt(x.wall / n / rw, 3).padStart(20)} ${fmt(x.coresUsed, 2).padStart(11)}` +
          `${fmt(x.cpuPerWorker / 1e6, 2).padStart(21)}` +
          `${fmt(x.cpuPerWorker / rc, 3).padStart(10)}`,
      );
    }
} else console.log('  openssl not found: no reference figure');
// Scaling: the wall figure needs the cores to be free; under load the scheduler shares CPU per session
// (autogroup), so "cores used" shows what the workers were given, and per CPU-s whether they slowed
// each other down.
if (cores > 1)
  for (const engine of engines) {
    const [one, all] = [rate(engine, 1), rate(engine, cores)];
    console.log(
      `  ${ENGINE_NAME[engine]}, ${cores} workers / 1: ${fmt(all.wall / one.wall, 2)}x hashes/s wall, ` +
        `${fmt(all.coresUsed / one.coresUsed, 2)}x cores used, ${fmt(all.cpuPerWorker / one.cpuPerWorker, 2)}x ` +
        'per worker per CPU-s',
    );
  }
if (engines.length > 1)
  console.log(
    `  wasm SIMD / JS, one worker per CPU-s: ${fmt(rate('simd', 1).cpuPerWorker / rate('js', 1).cpuPerWorker, 2)}x`,
  );

// ---- 2. mempool admission ---------------------------------------------------------------------------
const SENDERS = 400;
const PER_SENDER = 15;
const { senders, params, builder: b } = fundedSenders('bench', SENDERS);
const recipient = devKeyPair('grid');
const txs: TxEnvelope[] = [];
for (let n = 0; n < PER_SENDER; n++)
  for (const k of senders) txs.push(b.transfer(k, recipient, 1n, BigInt(n), 10n));

const domain = { chainId: params.chainId, genesisHash: genesisBlock(params).hash };
const sample = txs.slice(0, 400);
const rawRate = (verify: typeof verifyFast) => {
  const pre = sample.map((t) => sighashPreimage(t.tx, domain));
  const t0 = performance.now();
  for (let i = 0; i < sample.length; i++)
    verify(sample[i]!.tx.signature, pre[i]!, sample[i]!.tx.senderPubKey);
  return sample.length / ((performance.now() - t0) / 1000);
};
const nobleRates: number[] = [];
const opensslRates: number[] = [];
const fastRates: number[] = [];
for (let r = 0; r < 3; r++) {
  nobleRates.push(rawRate(verifyNoble));
  opensslRates.push(rawRate(verifyOpenssl));
  fastRates.push(rawRate(verifyFast));
}

async function admit(threads: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-'));
  const verifier = new SignatureVerifier(domain, threads);
  const chain = await Chain.open(dir, params, { verifier, now: () => GENESIS_TIME + 86_400_000 });
  const pool = new Mempool(
    { params, headState: chain.headState, verifier },
    { maxSize: txs.length, maxNonceGap: PER_SENDER + 1 },
  );
  const t0 = performance.now();
  // Clients submit concurrently; admission is asynchronous, so they overlap in the verifier pool.
  for (let i = 0; i < txs.length; i += 500) await Promise.all(txs.slice(i, i + 500).map((t) => pool.add(t)));
  const rate = txs.length / ((performance.now() - t0) / 1000);
  if (pool.size !== txs.length) throw new Error(`only ${pool.size} of ${txs.length} admitted`);
  await chain.close();
  await verifier.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}
const admitted: number[] = [];
for (let r = 0; r < RUNS; r++) admitted.push(await admit(cores));
console.log(
  `\nMempool admission (${fmt(txs.length)} signed transfers from ${SENDERS} senders, ${cores} verifier threads)`,
);
console.log(`  raw verify, noble (pure JS)     ${fmt(median(nobleRates))} signatures/s on one core`);
console.log(`  raw verify, OpenSSL (node:crypto) ${fmt(median(opensslRates))} signatures/s on one core`);
console.log(
  `  raw verify, the node's verifier (${signatureBackend}) ${fmt(median(fastRates))} signatures/s on one core`,
);
console.log(
  `  admitted                        ${fmt(median(admitted))} transactions/s (${fmt(median(admitted) / median(opensslRates), 2)}x one core of OpenSSL, ${fmt(median(admitted) / median(fastRates), 2)}x one core of ${signatureBackend})`,
);

// ---- 3. block import -------------------------------------------------------------------------------
const BLOCK_TXS = 600;
const blocks: Block[] = [];
let parent = b.genesisId;
for (let i = 0; i < txs.length / BLOCK_TXS; i++) {
  // Senders in nonce order: block i holds nonces of consecutive rounds.
  const blk = b.next(parent, { txs: txs.slice(i * BLOCK_TXS, (i + 1) * BLOCK_TXS) });
  blocks.push(blk);
  parent = b.idOf(blk);
}
async function importAll(warm: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-'));
  const verifier = new SignatureVerifier(domain, cores);
  if (warm) await verifier.verifyTxs(txs);
  const chain = await Chain.open(dir, params, { verifier, now: () => GENESIS_TIME + 86_400_000 });
  const t0 = performance.now();
  for (const blk of blocks) await chain.processBlock(blk);
  const rate = blocks.length / ((performance.now() - t0) / 1000);
  await chain.close();
  await verifier.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}
const cold: number[] = [];
const warm: number[] = [];
for (let r = 0; r < RUNS; r++) {
  cold.push(await importAll(false));
  warm.push(await importAll(true));
}
console.log(
  `\nBlock import (${blocks.length} blocks of ${BLOCK_TXS} transfers, LevelDB, one atomic batch each)`,
);
console.log(
  `  signatures not yet verified   ${fmt(median(cold), 1)} blocks/s = ${fmt(median(cold) * BLOCK_TXS)} tx/s`,
);
console.log(
  `  signatures cached by mempool  ${fmt(median(warm), 1)} blocks/s = ${fmt(median(warm) * BLOCK_TXS)} tx/s`,
);
// The goal's reference: what the cores can verify, every core running OpenSSL's verifier (one core's rate
// measured above, in this run, times the cores). The node verifies with libsecp256k1 where it loads, so
// its own ceiling (every core running that verifier) is printed too: cold import cannot beat that one.
const verifyCeiling = median(opensslRates) * cores;
const ownCeiling = median(fastRates) * cores;
console.log(
  `  cold import / (${cores} cores x ${fmt(median(opensslRates))} OpenSSL verifies/s = ${fmt(verifyCeiling)}/s)  ${fmt((median(cold) * BLOCK_TXS) / verifyCeiling, 2)}   (load average ${load()})`,
);
console.log(
  `  cold import / (${cores} cores x ${fmt(median(fastRates))} ${signatureBackend} verifies/s = ${fmt(ownCeiling)}/s)  ${fmt((median(cold) * BLOCK_TXS) / ownCeiling, 2)}`,
);
