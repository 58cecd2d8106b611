// Network benchmarks, each beside the same figure without networking, measured in the same run:
//  1. block propagation latency across 8 nodes (p50, p99) vs raw block import latency;
//  2. sync throughput of a fresh node (blocks/s) vs raw import of the same blocks.
// Nodes run in this one process (real libp2p over loopback, real LevelDB), so they share one event
// loop: the figures include that contention.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain } from '../consensus/chain.ts';
import { SignatureVerifier } from '../consensus/sigverify.ts';
import { initDataDir, VppNode } from '../node/node.ts';
import type { Block } from '../protocol/block.ts';
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

async function rawImport(blocks: Block[]): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-'));
  const verifier = new SignatureVerifier(b.domain, 1);
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
const NODES = 8;
const PROPAGATED = 60;
const propBlocks = makeChain(PROPAGATED, 20);
const rawLatency = await rawImport(propBlocks);
const net = await startNet(
  params,
  Array.from({ length: NODES }, () => ({})),
);
await waitFor('mesh formed', () => net.nodes.every((n) => n.network!.peerCount >= NODES - 1), 60_000);
// Measure once gossipsub has grafted its mesh (a few heartbeats after connecting).
const meshOf = (n: VppNode) =>
  (n.network!.libp2p.services.pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(
    n.network!.names.blocksTopic,
  ).length;
await waitFor('gossip mesh grafted', () => net.nodes.every((n) => meshOf(n) >= 4), 60_000);
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
console.log(`  ratio (p50)            ${fmt(median(latencies) / median(rawLatency))}x`);

// ---- 2. sync ------------------------------------------------------------------------------------------
const SYNC_BLOCKS = 2000;
const syncBlocks = makeChain(SYNC_BLOCKS, 5);
const rawRates: number[] = [];
const syncRates: number[] = [];
for (let run = 0; run < 3; run++) {
  const raw = await rawImport(syncBlocks);
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
    verifierThreads: 1,
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
  `\nSync: a fresh node fetches ${SYNC_BLOCKS} blocks of 5 transfers from one peer (batches of 64)`,
);
console.log(`  sync                    ${fmt(median(syncRates), 0)} blocks/s`);
console.log(`  raw import, no network  ${fmt(median(rawRates), 0)} blocks/s`);
console.log(`  ratio                   ${fmt(median(syncRates) / median(rawRates), 2)} of raw import`);
