// Block propagation benchmark (issue 15): latency of a block from one node to 7 others over gossipsub,
// validation at every hop, against a raw import of the same block measured in the same run. Range sync is
// bench/network-sync.bench.ts (`npm run bench network` runs both).
// Nodes run in this one process (real libp2p over loopback, real LevelDB), so they share one event
// loop: the figures include that contention.
import { availableParallelism } from 'node:os';
import type { VppNode } from '../node/node.ts';
import { startNet, waitFor } from '../test/helpers/net.ts';
import { builder as b, fmt, load, makeChain, params, rawImport } from './chain-fixtures.ts';
import { median, quantile } from './stats.ts';

console.log(`load average ${load()} at the start; ${availableParallelism()} cores`);

// ---- propagation ---------------------------------------------------------------------------------
{
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
