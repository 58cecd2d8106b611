// Network benchmarks, each beside the same figure without networking, measured in the same run:
//  1. block propagation latency across 8 nodes (p50, p99) vs raw block import latency;
//  2. sync throughput of a fresh node (blocks/s) vs raw import of the same blocks, and both against the
//     ceiling full signature verification puts on them (every core verifying with the node's verifier,
//     libsecp256k1 where it loads; OpenSSL's ceiling, the reference, beside it).
// Nodes run in this one process (real libp2p over loopback, real LevelDB), so they share one event
// loop: the figures include that contention.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain } from '../consensus/chain.ts';
import { SignatureVerifier } from '../consensus/sigverify.ts';
import { initDataDir, VppNode } from '../node/node.ts';
import type { Block } from '../protocol/block.ts';
import { signatureBackend, verifyFast, verifyOpenssl } from '../protocol/keys.ts';
import { sighashPreimage } from '../protocol/tx.ts';
import { ChainBuilder, GENESIS_TIME, keys, testParams } from '../test/helpers/builder.ts';
import { startNet, waitFor } from '../test/helpers/net.ts';
import { median, quantile } from './stats.ts';

const params = testParams({ maxBlockTxs: 2000, maxBlockBytes: 1024 * 1024 });
const b = new ChainBuilder(params);
const fmt = (n: number, d = 1) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });

function makeChain(n: number, txsPerBlock: number): Block[] {
  const out: Block[] = [];
  let parent = b.genesisId;
  let nonce = 0n;
  for (let i = 0; i < n; i++) {
    const txs = Array.from({ length: txsPerBlock }, () => b.transfer(keys.vpp1, keys.vpp2, 1n, nonce++));
    const blk = b.next(parent, { txs });
    out.push(blk);
    parent = b.idOf(blk);
  }
  return out;
}

const cores = availableParallelism();
const load = () =>
  loadavg()
    .map((x) => fmt(x, 2))
    .join(' ');
console.log(`load average ${load()} at the start; ${cores} cores`);

/** Imports `blocks` into a fresh ledger one by one (as a node does), `threads` signature workers. */
async function rawImport(blocks: Block[], threads: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-'));
  const verifier = new SignatureVerifier(b.domain, threads);
  const chain = await Chain.open(dir, params, { verifier, now: () => GENESIS_TIME + 86_400_000 * 365 });
  const times: number[] = [];
  for (const blk of blocks) {
    const t0 = performance.now();
    await chain.processBlock(blk);
    times.push(performance.now() - t0);
  }
  await chain.close();
  await verifier.close();
  rmSync(dir, { recursive: true, force: true });
  return times;
}

// ---- 1. propagation ---------------------------------------------------------------------------------
// BENCH_NETWORK=sync runs only section 2 (for profiling it).
if (process.env.BENCH_NETWORK !== 'sync') {
  const NODES = 8;
  const PROPAGATED = 60;
  const propBlocks = makeChain(PROPAGATED, 20);
  // The nodes of startNet have one signature worker each: so has the raw import it is compared with.
  const rawLatency = await rawImport(propBlocks, 1);
  const net = await startNet(
    params,
    Array.from({ length: NODES }, () => ({})),
  );
  await waitFor('mesh formed', () => net.nodes.every((n) => n.network!.peerCount >= NODES - 1), 60_000);
  // Measure once every node sends the blocks topic to every other node: startNet configures the nodes as each
  // other's peers, which gossipsub makes direct peers (sent every message, never in the mesh), so the mesh
  // alone would stay empty; a subscribed peer that is neither direct nor grafted only hears of it by IHAVE.
  const gossipPeers = (n: VppNode) => {
    const ps = n.network!.libp2p.services.pubsub as unknown as {
      getMeshPeers(t: string): string[];
      getSubscribers(t: string): { toString(): string }[];
      direct: Set<string>;
    };
    const topic = n.network!.names.blocksTopic;
    const sendTo = new Set(ps.getMeshPeers(topic));
    for (const p of ps.getSubscribers(topic)) if (ps.direct.has(p.toString())) sendTo.add(p.toString());
    return sendTo.size;
  };
  await waitFor(
    'every node gossips blocks to every other',
    () => net.nodes.every((n) => gossipPeers(n) >= NODES - 1),
    60_000,
  );
  const seen = new Map<string, number[]>();
  for (const node of net.nodes.slice(1)) {
    node.chain.on('head', (c) => {
      const t = performance.now();
      for (const blk of c.connected) {
        const list = seen.get(b.idOf(blk)) ?? [];
        list.push(t);
        seen.set(b.idOf(blk), list);
      }
    });
  }
  const latencies: number[] = [];
  for (const blk of propBlocks) {
    const t0 = performance.now();
    await net.nodes[0]!.chain.processBlock(blk);
    await net.nodes[0]!.network!.publishBlock(blk);
    const id = b.idOf(blk);
    await waitFor('block reached every node', () => (seen.get(id)?.length ?? 0) >= NODES - 1, 30_000);
    for (const t of seen.get(id)!) latencies.push(t - t0);
  }
  await net.close();
  console.log(
    `Block propagation: ${PROPAGATED} blocks of 20 transfers from one node to ${NODES - 1} others (gossipsub, validation at every hop)`,
  );
  console.log(
    `  latency to each node   p50 ${fmt(median(latencies))} ms   p99 ${fmt(quantile(latencies, 0.99))} ms`,
  );
  console.log(
    `  raw import, no network p50 ${fmt(median(rawLatency))} ms   p99 ${fmt(quantile(rawLatency, 0.99))} ms`,
  );
  console.log(
    `  ratio                  p50 ${fmt(median(latencies) / median(rawLatency))}x   p99 ${fmt(quantile(latencies, 0.99) / quantile(rawLatency, 0.99))}x   (load average ${load()})`,
  );
}

// ---- 2. sync ------------------------------------------------------------------------------------------
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
