// Range sync benchmark (issue 15): a fresh node fetches 1,000 blocks of 20 transfers from one peer,
// beside a raw import of the same blocks and the ceiling full signature verification puts on both (every
// core verifying with the node's verifier, libsecp256k1 where it loads; OpenSSL's ceiling, the issue's
// reference, beside it), all measured in the same run.
// Both nodes run in this one process (real libp2p over loopback, real LevelDB), so they share one event
// loop: the figures include that contention.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir, VppNode } from '../node/node.ts';
import { signatureBackend, verifyFast, verifyOpenssl } from '../protocol/keys.ts';
import { sighashPreimage } from '../protocol/tx.ts';
import { waitFor } from '../test/helpers/net.ts';
import { builder as b, fmt, load, makeChain, params, rawImport } from './chain-fixtures.ts';
import { median } from './stats.ts';

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
const syncRates: number[] = [];
for (let run = 0; run < 3; run++) {
  const raw = await rawImport(syncBlocks, cores);
  rawRates.push(SYNC_BLOCKS / (raw.reduce((a, x) => a + x, 0) / 1000));
  const dirs = [
    mkdtempSync(join(tmpdir(), 'vppchain-bench-')),
    mkdtempSync(join(tmpdir(), 'vppchain-bench-')),
  ];
  for (const d of dirs) await initDataDir(d, params);
  const source = await VppNode.open({
    dataDir: dirs[0]!,
    mine: false,
    verifierThreads: 1,
    p2p: { port: 0, bootstrap: [] },
  });
  await source.start();
  for (const blk of syncBlocks) await source.chain.processBlock(blk);
  const fresh = await VppNode.open({
    dataDir: dirs[1]!,
    mine: false,
    verifierThreads: cores,
    p2p: { port: 0, bootstrap: [source.network!.multiaddrs[0]!] },
  });
  const t0 = performance.now();
  await fresh.start();
  await waitFor('synced', () => fresh.chain.height === SYNC_BLOCKS, 300_000);
  syncRates.push(SYNC_BLOCKS / ((performance.now() - t0) / 1000));
  await fresh.stop();
  await source.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
console.log(
  `\nSync: a fresh node (${cores} signature workers) fetches ${SYNC_BLOCKS} blocks of ${SYNC_TXS} transfers from one peer (batches of 64)`,
);
console.log(`  sync                    ${fmt(median(syncRates), 0)} blocks/s`);
console.log(`  raw import, no network  ${fmt(median(rawRates), 0)} blocks/s`);
console.log(
  `  verify ceiling          ${fmt(ceiling, 0)} blocks/s (${cores} cores x ${fmt(fastVerifies, 0)} ${signatureBackend} verifies/s / ${SYNC_TXS}); with OpenSSL ${fmt(opensslCeiling, 0)} blocks/s (${fmt(opensslVerifies, 0)} verifies/s)`,
);
console.log(
  `  ratio                   sync ${fmt(median(syncRates) / median(rawRates), 2)} of raw import; sync ${fmt(median(syncRates) / ceiling, 2)}, raw import ${fmt(median(rawRates) / ceiling, 2)} of the verify ceiling (load average ${load()})`,
);
