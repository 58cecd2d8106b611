// Range sync benchmark (issue 15): a fresh node fetches 1,000 blocks of 20 transfers from one peer,
// beside a raw import of the same blocks and the ceiling full signature verification puts on both (every
// core verifying with the node's verifier, libsecp256k1 where it loads; OpenSSL's ceiling, the issue's
// reference, beside it), all measured in the same run.
// Real libp2p over loopback and real LevelDB, twice: both nodes in this one process (they share one event
// loop, and the figure includes that contention), and the serving peer in its own process
// (bench/sync-source.ts), as a peer on another machine would be (but on the same two cores).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir, VppNode } from '../node/node.ts';
import { encodeBlock } from '../protocol/block.ts';
import { signatureBackend, verifyFast, verifyOpenssl } from '../protocol/keys.ts';
import { sighashPreimage } from '../protocol/tx.ts';
import { waitFor } from '../test/helpers/net.ts';
import { builder as b, fmt, importInRuns, load, makeChain, params, rawImport } from './chain-fixtures.ts';
import { median } from './stats.ts';
import type { FromSource, ToSource } from './sync-source.ts';

const cores = availableParallelism();
console.log(`load average ${load()} at the start; ${cores} cores`);

// ---- sync ------------------------------------------------------------------------------------------
const SYNC_BLOCKS = 1000;
const SYNC_TXS = 20;
const syncBlocks = makeChain(SYNC_BLOCKS, SYNC_TXS);
// The ceiling: every signature verified once, by the node's verifier on every core (one core's rate,
// measured here, times the cores), with nothing else to do; and the same with OpenSSL's verifier.
const verifyRate = (verify: typeof verifyFast): number => {
  const rates: number[] = [];
  const sample = syncBlocks.slice(0, 20).flatMap((blk) => blk.txs);
  const pre = sample.map((t) => sighashPreimage(t.tx, b.domain));
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < sample.length; i++)
      verify(sample[i]!.tx.signature, pre[i]!, sample[i]!.tx.senderPubKey);
    rates.push(sample.length / ((performance.now() - t0) / 1000));
  }
  return median(rates);
};
const fastVerifies = verifyRate(verifyFast);
const opensslVerifies = verifyRate(verifyOpenssl);
const ceiling = (fastVerifies * cores) / SYNC_TXS;
const opensslCeiling = (opensslVerifies * cores) / SYNC_TXS;
const rawRates: number[] = [];
const inProcess: SyncRun[] = [];
const separate: SyncRun[] = [];
const encoded = syncBlocks.map(encodeBlock);
for (let run = 0; run < 3; run++) {
  const raw = await rawImport(syncBlocks, cores);
  rawRates.push(SYNC_BLOCKS / (raw.reduce((a, x) => a + x, 0) / 1000));
  inProcess.push(await syncInProcess());
  separate.push(await syncFromOwnProcess());
}

interface SyncRun {
  blocksPerSecond: number;
  /** CPU time per block of the syncing node's process (all its threads), and of the serving peer's. */
  freshCpuMs: number;
  sourceCpuMs: number;
}

/** Starts a fresh node that syncs from `addr`; resolves when it has the whole chain. */
async function syncFrom(addr: string): Promise<{ ms: number; cpuMs: number; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-'));
  await initDataDir(dir, params);
  const fresh = await VppNode.open({
    dataDir: dir,
    mine: false,
    verifierThreads: cores,
    p2p: { port: 0, bootstrap: [addr] },
  });
  // Timed to the head event that completes the chain, not to a 25 ms poll of the height.
  const synced = new Promise<void>((resolve) => {
    const onHead = () => {
      if (fresh.chain.height !== SYNC_BLOCKS) return;
      fresh.chain.off('head', onHead);
      resolve();
    };
    fresh.chain.on('head', onHead);
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fresh.start();
  await Promise.race([synced, waitFor('synced', () => fresh.chain.height === SYNC_BLOCKS, 300_000)]);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    stop: async () => {
      await fresh.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Both nodes in this process: one event loop serves and imports. */
async function syncInProcess(): Promise<SyncRun> {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-'));
  await initDataDir(dir, params);
  const source = await VppNode.open({
    dataDir: dir,
    mine: false,
    verifierThreads: 1,
    p2p: { port: 0, bootstrap: [] },
  });
  await source.start();
  await importInRuns(source.chain, syncBlocks);
  const synced = await syncFrom(source.network!.multiaddrs[0]!);
  await synced.stop();
  await source.stop();
  rmSync(dir, { recursive: true, force: true });
  // One process: its CPU is both nodes'; not split.
  return {
    blocksPerSecond: SYNC_BLOCKS / (synced.ms / 1000),
    freshCpuMs: synced.cpuMs / SYNC_BLOCKS,
    sourceCpuMs: 0,
  };
}

/** The serving peer in its own process (bench/sync-source.ts), as a peer on another machine. */
async function syncFromOwnProcess(): Promise<SyncRun> {
  const child = fork(new URL('./sync-source.ts', import.meta.url), [], {
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = <K extends FromSource['kind']>(kind: K) =>
    new Promise<Extract<FromSource, { kind: K }>>((resolve, reject) => {
      const onMessage = (m: FromSource) => {
        if (m.kind === 'failed') reject(new Error(`sync source failed: ${m.error}`));
        else if (m.kind === kind) {
          child.off('message', onMessage);
          resolve(m as Extract<FromSource, { kind: K }>);
        }
      };
      child.on('message', onMessage);
    });
  const tell = (m: ToSource) => child.send(m);
  const ready = next('ready');
  tell({ kind: 'serve', blocks: encoded });
  const { addr, height } = await ready;
  if (height !== SYNC_BLOCKS) throw new Error(`sync source at height ${height}, not ${SYNC_BLOCKS}`);
  const cpuBefore = next('cpu');
  tell({ kind: 'cpu' });
  const before = (await cpuBefore).ms;
  const synced = await syncFrom(addr);
  const cpuAfter = next('cpu');
  tell({ kind: 'cpu' });
  const after = (await cpuAfter).ms;
  await synced.stop();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  tell({ kind: 'stop' });
  await exited;
  return {
    blocksPerSecond: SYNC_BLOCKS / (synced.ms / 1000),
    freshCpuMs: synced.cpuMs / SYNC_BLOCKS,
    sourceCpuMs: (after - before) / SYNC_BLOCKS,
  };
}

const medianOf = (runs: SyncRun[], key: keyof SyncRun) => median(runs.map((r) => r[key]));
const sync = medianOf(inProcess, 'blocksPerSecond');
const syncSeparate = medianOf(separate, 'blocksPerSecond');
console.log(
  `\nSync: a fresh node (${cores} signature workers) fetches ${SYNC_BLOCKS} blocks of ${SYNC_TXS} transfers from one peer (batches of 64); medians of 3 runs`,
);
console.log(
  `  sync, peer in this process   ${fmt(sync, 0)} blocks/s (${fmt(medianOf(inProcess, 'freshCpuMs'), 2)} ms CPU per block, both nodes)   runs ${inProcess.map((r) => fmt(r.blocksPerSecond, 0)).join(', ')}`,
);
console.log(
  `  sync, peer in its own process ${fmt(syncSeparate, 0)} blocks/s (${fmt(medianOf(separate, 'freshCpuMs'), 2)} ms CPU per block syncing, ${fmt(medianOf(separate, 'sourceCpuMs'), 2)} serving)   runs ${separate.map((r) => fmt(r.blocksPerSecond, 0)).join(', ')}`,
);
console.log(
  `  raw import, no network       ${fmt(median(rawRates), 0)} blocks/s   runs ${rawRates.map((r) => fmt(r, 0)).join(', ')}`,
);
console.log(
  `  verify ceiling               ${fmt(ceiling, 0)} blocks/s (${cores} cores x ${fmt(fastVerifies, 0)} ${signatureBackend} verifies/s / ${SYNC_TXS}); with OpenSSL ${fmt(opensslCeiling, 0)} blocks/s (${fmt(opensslVerifies, 0)} verifies/s)`,
);
console.log(
  `  ratio                        sync ${fmt(sync / median(rawRates), 2)} (own process ${fmt(syncSeparate / median(rawRates), 2)}) of raw import; sync ${fmt(sync / ceiling, 2)}, raw import ${fmt(median(rawRates) / ceiling, 2)} of the verify ceiling (load average ${load()})`,
);
