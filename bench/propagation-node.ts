// One node of the multi-process propagation bench (bench/network.bench.ts): its own process, so its event
// loop and signature worker compete for the cores as a node on its own machine would, not on a shared
// event loop. Driven over IPC (advanced serialisation); reports the times of its events on the
// monotonic clock (process.hrtime, the same clock in every process of the machine).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir, VppNode } from '../node/node.ts';
import { decodeBlock } from '../protocol/block.ts';
import { blocksGossipPeers, builder, params } from './chain-fixtures.ts';

export type ToNode =
  | { kind: 'link'; addrs: string[] }
  | { kind: 'gossip-peers' }
  | { kind: 'cpu' }
  | { kind: 'publish'; block: Uint8Array }
  | { kind: 'stop' };
export type FromNode =
  | { kind: 'ready'; addr: string }
  | { kind: 'gossip-peers'; count: number }
  /** CPU time of the whole process (all its threads) so far, ms. */
  | { kind: 'cpu'; ms: number }
  /**
   * A block became (part of) the head; `arrived`: when it reached the chain from a peer (gossip
   * validation calls processBlock), absent for the node's own blocks. One message per head, not one per
   * arrival and one per head: the bench's messages compete for the cores with the nodes it measures.
   */
  | { kind: 'head'; id: string; at: number; arrived?: number }
  | { kind: 'published'; id: string; importStart: number; importEnd: number; publishEnd: number }
  | { kind: 'failed'; error: string };

const now = () => Number(process.hrtime.bigint()) / 1e6;
const send = (m: FromNode) => process.send!(m);

const dir = mkdtempSync(join(tmpdir(), 'vppchain-prop-'));
await initDataDir(dir, params);
const node = await VppNode.open({
  dataDir: dir,
  mine: false,
  verifierThreads: 1,
  p2p: { port: 0, bootstrap: [] },
});
await node.start();
const processBlock = node.chain.processBlock.bind(node.chain);
let publishing = false;
/** Arrival times of blocks from peers not yet reported with their head, by id. */
const arrivals = new Map<string, number>();
node.chain.processBlock = (block, ...rest) => {
  if (!publishing) arrivals.set(builder.idOf(block), now());
  return processBlock(block, ...rest);
};
node.chain.on('head', (c) => {
  const at = now();
  for (const blk of c.connected) {
    const id = builder.idOf(blk);
    send({ kind: 'head', id, at, arrived: arrivals.get(id) });
    arrivals.delete(id);
  }
});

process.on('message', (m: ToNode) => {
  void (async () => {
    if (m.kind === 'link') for (const a of m.addrs) node.network!.addBootstrap(a);
    else if (m.kind === 'gossip-peers') send({ kind: 'gossip-peers', count: blocksGossipPeers(node) });
    else if (m.kind === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ kind: 'cpu', ms: (user + system) / 1000 });
    } else if (m.kind === 'publish') {
      const block = decodeBlock(m.block, params);
      const importStart = now();
      publishing = true;
      await node.chain.processBlock(block).finally(() => {
        publishing = false;
      });
      const importEnd = now();
      await node.network!.publishBlock(block);
      send({ kind: 'published', id: builder.idOf(block), importStart, importEnd, publishEnd: now() });
    } else if (m.kind === 'stop') {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
      process.disconnect();
    }
  })().catch((err: unknown) => send({ kind: 'failed', error: String(err) }));
});
send({ kind: 'ready', addr: node.network!.multiaddrs[0]! });
