// Block propagation benchmark (issue 15): latency of a block from one node to 7 others over gossipsub,
// validation at every hop, against a raw import of the same blocks measured in the same run. Range sync is
// bench/network-sync.bench.ts (`npm run bench network` runs both).
// Two harnesses, same blocks, same figures:
//  - 8 node processes (bench/propagation-node.ts): each node has its own event loop and signature worker,
//    as on its own machine, but all share this machine's cores; the bench prints the CPU time all the
//    processes spent per block, which bounds the latency from below on these cores;
//  - 8 nodes in this one process (real libp2p over loopback, real LevelDB), sharing one event loop: the
//    figure the issue first quoted, kept for comparison.
// Latency is measured two ways: from the publish (the source has imported the block and hands it to
// gossip: propagation proper), and from the start of the source's own import (what the first
// figures measured; a miner imports its block before publishing it, though with its transactions'
// signatures already verified at admission, where these blocks arrive cold everywhere). Figures are of
// the blocks after WARMUP unmeasured ones, for the propagation and the raw import alike.
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Block } from '../protocol/block.ts';
import { encodeBlock } from '../protocol/block.ts';
import { startNet, waitFor } from '../test/helpers/net.ts';
import {
  builder as b,
  blocksGossipPeers,
  fmt,
  load,
  makeChain,
  params,
  rawImport,
} from './chain-fixtures.ts';
import type { FromNode, ToNode } from './propagation-node.ts';
import { median, quantile } from './stats.ts';

const NODES = 8;
const PROPAGATED = 60;
// Blocks propagated (and imported raw) before the measured ones: a node runs for days, so what counts is
// its steady state, not the first seconds of a fresh process, when V8 compiles the hot paths on
// background threads that compete for the same cores.
const WARMUP = 40;

console.log(`load average ${load()} at the start; ${availableParallelism()} cores`);

interface Samples {
  /** publish → each other node's head event, ms */
  fromPublish: number[];
  /** start of the source's import → each other node's head event, ms */
  fromImport: number[];
  /** publish → the block reaching each other node's chain (gossip and its validation queue), ms */
  toArrival: number[];
  /** arrival at each other node's chain → its head event (that node's import), ms */
  importAtPeer: number[];
  /** CPU time of all the nodes (every thread) per propagated block, ms; measured across processes only */
  cpuPerBlock?: number;
}

function report(title: string, s: Samples, raw: number[]): void {
  const r50 = median(raw);
  const r99 = quantile(raw, 0.99);
  console.log(title);
  for (const [label, xs] of [
    ['from publish       ', s.fromPublish],
    ['from source import ', s.fromImport],
  ] as const) {
    const p50 = median(xs);
    const p99 = quantile(xs, 0.99);
    console.log(
      `  ${label} p50 ${fmt(p50)} ms = ${fmt(p50 / r50)}x   p99 ${fmt(p99)} ms = ${fmt(p99 / r99)}x raw import`,
    );
  }
  console.log(
    `  of which: publish -> arrival at each peer's chain p50 ${fmt(median(s.toArrival))} ms, its import there p50 ${fmt(median(s.importAtPeer))} ms`,
  );
  if (s.cpuPerBlock !== undefined)
    console.log(
      `  CPU of all the node processes per block ${fmt(s.cpuPerBlock)} ms = ${fmt(s.cpuPerBlock / availableParallelism())} ms on ${availableParallelism()} cores (the publish-to-last-peer floor, without waits)`,
    );
  console.log(`  raw import, no network p50 ${fmt(r50)} ms   p99 ${fmt(r99)} ms   (load average ${load()})`);
}

// ---- 8 node processes ---------------------------------------------------------------------------------
async function acrossProcesses(nodes: number, warm: Block[], measured: Block[]): Promise<Samples> {
  const children: ChildProcess[] = [];
  const stderr: string[] = [];
  const listeners = new Set<(i: number, m: FromNode) => void>();
  let stopping = false;
  for (let i = 0; i < nodes; i++) {
    const child = fork(new URL('./propagation-node.ts', import.meta.url), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr[i] = ((stderr[i] ?? '') + d.toString()).slice(-4000);
    });
    child.on('message', (m: FromNode) => {
      if (m.kind === 'failed') throw new Error(`node ${i} failed: ${m.error}`);
      for (const l of listeners) l(i, m);
    });
    child.on('exit', (code, signal) => {
      if (stopping && code === 0) return;
      // A node that dies mid-measurement leaves nothing to wait for: the bench fails with its stderr.
      console.error(`node ${i} exited with ${code ?? signal}: ${stderr[i] ?? ''}`);
      process.exit(1);
    });
    children.push(child);
  }
  const next = <K extends FromNode['kind']>(i: number, kind: K) =>
    new Promise<Extract<FromNode, { kind: K }>>((resolve) => {
      const l = (from: number, m: FromNode) => {
        if (from !== i || m.kind !== kind) return;
        listeners.delete(l);
        resolve(m as Extract<FromNode, { kind: K }>);
      };
      listeners.add(l);
    });
  const tell = (i: number, m: ToNode) => children[i]!.send(m);
  try {
    const addrs = (await Promise.all(children.map((_, i) => next(i, 'ready')))).map((r) => r.addr);
    for (const [i] of children.entries()) tell(i, { kind: 'link', addrs: addrs.filter((_, j) => j !== i) });
    await waitFor(
      'every node process gossips blocks to every other',
      async () => {
        const counts = await Promise.all(
          children.map((_, i) => {
            const reply = next(i, 'gossip-peers');
            tell(i, { kind: 'gossip-peers' });
            return reply;
          }),
        );
        return counts.every((c) => c.count >= nodes - 1);
      },
      120_000,
    );
    const heads = new Map<string, { node: number; at: number }[]>();
    const arrivals = new Map<string, number>();
    listeners.add((node, m) => {
      if (m.kind !== 'head') return;
      heads.set(m.id, [...(heads.get(m.id) ?? []), { node, at: m.at }]);
      if (m.arrived !== undefined) arrivals.set(`${node} ${m.id}`, m.arrived);
    });
    const cpu = async () => {
      const all = await Promise.all(
        children.map((_, i) => {
          const reply = next(i, 'cpu');
          tell(i, { kind: 'cpu' });
          return reply;
        }),
      );
      return all.reduce((sum, c) => sum + c.ms, 0);
    };
    const out: Samples = { fromPublish: [], fromImport: [], toArrival: [], importAtPeer: [] };
    let cpuBefore = 0;
    for (const [k, blk] of [...warm, ...measured].entries()) {
      if (k === warm.length) cpuBefore = await cpu();
      const id = b.idOf(blk);
      const published = next(0, 'published');
      tell(0, { kind: 'publish', block: encodeBlock(blk) });
      const p = await published;
      // The source's own head event is in `heads` too: the other nodes - 1 are the propagation.
      await waitFor('block reached every node process', () => (heads.get(id)?.length ?? 0) >= nodes, 30_000);
      if (k < warm.length) continue;
      for (const { node, at } of heads.get(id)!) {
        if (node === 0) continue;
        out.fromPublish.push(at - p.importEnd);
        out.fromImport.push(at - p.importStart);
        const arrived = arrivals.get(`${node} ${id}`);
        if (arrived !== undefined) {
          out.toArrival.push(arrived - p.importEnd);
          out.importAtPeer.push(at - arrived);
        }
      }
    }
    out.cpuPerBlock = ((await cpu()) - cpuBefore) / measured.length;
    return out;
  } finally {
    stopping = true;
    await Promise.all(
      children.map(
        (c, i) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            tell(i, { kind: 'stop' });
            setTimeout(() => c.kill(), 20_000).unref();
          }),
      ),
    );
  }
}

// ---- 8 nodes in this process ----------------------------------------------------------------------------
async function inOneProcess(warm: Block[], measured: Block[]): Promise<Samples> {
  const net = await startNet(
    params,
    Array.from({ length: NODES }, () => ({})),
  );
  try {
    await waitFor('mesh formed', () => net.nodes.every((n) => n.network!.peerCount >= NODES - 1), 60_000);
    // startNet configures the nodes as each other's peers, which gossipsub makes direct peers (sent every
    // message, never in the mesh), so the mesh alone would stay empty; wait until every node sends the
    // blocks topic to every other (mesh or direct).
    await waitFor(
      'every node gossips blocks to every other',
      () => net.nodes.every((n) => blocksGossipPeers(n) >= NODES - 1),
      60_000,
    );
    const seen = new Map<string, { node: number; at: number }[]>();
    const arrivals = new Map<string, number>();
    for (const [i, node] of net.nodes.entries()) {
      if (i === 0) continue;
      const processBlock = node.chain.processBlock.bind(node.chain);
      node.chain.processBlock = (blk, ...rest) => {
        arrivals.set(`${i} ${b.idOf(blk)}`, performance.now());
        return processBlock(blk, ...rest);
      };
      node.chain.on('head', (c) => {
        const at = performance.now();
        for (const blk of c.connected)
          seen.set(b.idOf(blk), [...(seen.get(b.idOf(blk)) ?? []), { node: i, at }]);
      });
    }
    const out: Samples = { fromPublish: [], fromImport: [], toArrival: [], importAtPeer: [] };
    for (const [k, blk] of [...warm, ...measured].entries()) {
      const t0 = performance.now();
      await net.nodes[0]!.chain.processBlock(blk);
      const t1 = performance.now();
      await net.nodes[0]!.network!.publishBlock(blk);
      const id = b.idOf(blk);
      await waitFor('block reached every node', () => (seen.get(id)?.length ?? 0) >= NODES - 1, 30_000);
      if (k < warm.length) continue;
      for (const { node, at } of seen.get(id)!) {
        out.fromPublish.push(at - t1);
        out.fromImport.push(at - t0);
        const arrived = arrivals.get(`${node} ${id}`);
        if (arrived !== undefined) {
          out.toArrival.push(arrived - t1);
          out.importAtPeer.push(at - arrived);
        }
      }
    }
    return out;
  } finally {
    await net.close();
  }
}

const all = makeChain(WARMUP + PROPAGATED, 20);
const warm = all.slice(0, WARMUP);
const measured = all.slice(WARMUP);
// Every node has one signature worker: so has the raw import it is compared with. Its figures are the
// measured blocks' imports, after the same warm-up blocks.
const rawOf = async () => (await rawImport(all, 1)).slice(WARMUP);
const what = `${PROPAGATED} blocks of 20 transfers from one node to ${NODES - 1} others (gossipsub, validation at every hop), after ${WARMUP} warm-up blocks`;
const raw = await rawOf();
report(
  `Block propagation, ${NODES} node processes: ${what}`,
  await acrossProcesses(NODES, warm, measured),
  raw,
);
// One hop with no other node competing for the cores: what the network itself adds to an import.
report(
  `Block propagation, 2 node processes (one receiver, no contention for the cores): ${PROPAGATED} blocks, after ${WARMUP} warm-up blocks`,
  await acrossProcesses(2, warm, measured),
  raw,
);
const rawAgain = await rawOf();
report(
  `Block propagation, ${NODES} nodes in one process: ${what}`,
  await inOneProcess(warm, measured),
  rawAgain,
);
