// Consensus benchmarks, each beside a reference measured in the same run (medians of repeated runs):
//  1. mining hash rate per worker vs this machine's SHA-256 limit (openssl speed, one core);
//  2. signed transactions admitted to the mempool per second vs the raw signature verification rate;
//  3. blocks imported per second, signatures cold and already cached by the mempool.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Chain } from '../consensus/chain.ts';
import { genesisBlock } from '../consensus/genesis.ts';
import { Mempool } from '../consensus/mempool.ts';
import type { PowReply } from '../consensus/pow-worker.ts';
import { SignatureVerifier } from '../consensus/sigverify.ts';
import type { Block } from '../protocol/block.ts';
import { devKeyPair, verifyFast, verifyNoble } from '../protocol/keys.ts';
import { sighashPreimage, type TxEnvelope } from '../protocol/tx.ts';
import { GENESIS_TIME } from '../test/helpers/builder.ts';
import { fundedSenders } from './fixtures.ts';
import { median } from './stats.ts';

const RUNS = 5;
const cores = availableParallelism();
const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });

// ---- 1. hash rate ---------------------------------------------------------------------------------
function opensslSha256PerSecond(): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-evp', 'sha256', '-seconds', '1', '-bytes', '64'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = /sha256\s+([\d.]+)k/.exec(out);
    return m ? (Number(m[1]) * 1000) / 64 : undefined;
  } catch {
    return undefined;
  }
}

async function powRate(workers: number, seconds: number): Promise<number> {
  const stop = new SharedArrayBuffer(4);
  const ws = Array.from(
    { length: workers },
    () => new Worker(new URL('../consensus/pow-worker.ts', import.meta.url)),
  );
  let hashes = 0;
  const started = performance.now();
  const done = ws.map(
    (w) =>
      new Promise<void>((resolve) =>
        w.on('message', (m: PowReply) => {
          hashes += m.hashes;
          if (m.kind !== 'progress') resolve();
        }),
      ),
  );
  for (const [i, w] of ws.entries()) {
    w.postMessage({ header: new Uint8Array(118).fill(i), target: '0', start: 0, end: 0x1_0000_0000, stop });
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  Atomics.store(new Int32Array(stop), 0, 1);
  await Promise.all(done);
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(ws.map((w) => w.terminate()));
  return hashes / elapsed;
}

const ref: number[] = [];
const one: number[] = [];
const all: number[] = [];
for (let r = 0; r < 3; r++) {
  const o = opensslSha256PerSecond();
  if (o) ref.push(o);
  one.push(await powRate(1, 2));
  all.push(await powRate(cores, 2));
}
console.log('Mining (SHA-256d of the 118-byte header, midstate; one try = 2 SHA-256 compressions)');
console.log(`  1 worker              ${fmt(median(one) / 1e6, 2)} MH/s`);
console.log(`  ${cores} workers             ${fmt(median(all) / 1e6, 2)} MH/s`);
if (ref.length) {
  const r = median(ref);
  console.log(
    `  openssl speed sha256  ${fmt(r / 1e6, 2)} M 64-byte messages/s on one core (also 2 compressions each)`,
  );
  console.log(`  ratio per worker      ${fmt(median(one) / r, 3)} of the openssl limit`);
} else console.log('  openssl not found: no reference figure');

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
for (let r = 0; r < 3; r++) {
  nobleRates.push(rawRate(verifyNoble));
  opensslRates.push(rawRate(verifyFast));
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
  `  admitted                        ${fmt(median(admitted))} transactions/s (${fmt(median(admitted) / median(opensslRates), 2)}x one core of OpenSSL)`,
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
