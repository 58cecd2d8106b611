// Several real nodes (libp2p on loopback, LevelDB in temp dirs) in one process, on a low-difficulty
// genesis whose clock starts now, plus an event-driven wait helper (no fixed sleeps).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir, VppNode } from '../../node/node.ts';
import { targetToBits } from '../../protocol/difficulty.ts';
import type { ChainParams } from '../../protocol/params.ts';
import { testParams } from './builder.ts';
import { scaled } from './time.ts';

/** Blocks every ~300 ms for one mining thread at ~1.5 MH/s; aserti keeps it there. */
export function netParams(overrides: Partial<ChainParams> = {}): ChainParams {
  return testParams({
    timestamp: Date.now(),
    blockTimeMs: 300,
    halfLifeMs: 20_000,
    initialBits: targetToBits((1n << 256n) / 400_000n),
    maxBlockTxs: 2000,
    maxBlockBytes: 1024 * 1024,
    ...overrides,
  });
}

/** Polls `pred` until it holds; on timeout the error names `what` and, if given, what `state` says then. */
export async function waitFor(
  what: string,
  pred: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  state?: () => string,
): Promise<void> {
  const started = Date.now();
  timeoutMs = scaled(timeoutMs); // VPPCHAIN_TEST_TIME_FACTOR (test/helpers/time.ts)
  for (;;) {
    if (await pred()) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for: ${what}${state ? `\nstate then: ${state()}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface TestNet {
  nodes: VppNode[];
  dirs: string[];
  addrs: string[];
  /** Configures node j as a peer of node i: i keeps connected to j and makes it a direct gossip peer. */
  link(i: number, j: number): void;
  close(): Promise<void>;
}

export interface NodeSpec {
  mine?: boolean;
  denyPeer?: (peerId: string) => boolean;
  /** Serve the HTTP API on a free port (node.apiUrl). */
  api?: boolean;
}

export async function startNet(
  params: ChainParams,
  specs: NodeSpec[],
  opts: { mesh?: boolean } = {},
): Promise<TestNet> {
  const nodes: VppNode[] = [];
  const dirs: string[] = [];
  for (const spec of specs) {
    const dir = mkdtempSync(join(tmpdir(), 'vppchain-net-'));
    await initDataDir(dir, params);
    const node = await VppNode.open({
      dataDir: dir,
      mine: spec.mine ?? false,
      minerThreads: 1,
      verifierThreads: 1,
      p2p: { port: 0, bootstrap: [], denyPeer: spec.denyPeer },
      api: spec.api ? { port: 0, docs: false } : undefined,
    });
    await node.start();
    nodes.push(node);
    dirs.push(dir);
  }
  const addrs = nodes.map((n) => n.network!.multiaddrs[0]!);
  const net: TestNet = {
    nodes,
    dirs,
    addrs,
    link: (i, j) => nodes[i]!.network!.addBootstrap(addrs[j]!),
    close: async () => {
      await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  // As in a devnet, every node is configured with every other one, both ways (direct gossip peers are
  // meant to be reciprocal).
  if (opts.mesh !== false)
    for (let i = 0; i < nodes.length; i++) for (let j = 0; j < nodes.length; j++) if (i !== j) net.link(i, j);
  return net;
}

/** Each node's peers, chain and bans, for a timed-out wait's message (waitFor's `state`). */
export const netState = (nodes: VppNode[]) => (): string =>
  nodes
    .map((n, i) => {
      const net = n.network;
      const scores = net ? net.libp2p.getPeers().map((p) => net.scores.score(p.toString()).toFixed(0)) : [];
      return (
        `node ${i}: ${net?.peerCount ?? 0} peers (scores ${scores.join(' ') || '-'}), ` +
        `${net?.scores.bannedPeers().length ?? 0} banned, height ${n.chain.height} ` +
        `tip ${n.chain.tip.id.slice(0, 12)}, syncing ${net?.sync.syncing ?? false}, ` +
        `sync stopped by a moved chain ${net?.sync.chainMoves ?? 0}`
      );
    })
    .join('\n');

export const sameHead = (nodes: VppNode[]): boolean =>
  nodes.every((n) => n.chain.tip.id === nodes[0]!.chain.tip.id);

/** A base port such that base .. base + n - 1 are all free on 127.0.0.1 (bound once, then released). */
export async function freePortRange(n: number): Promise<number> {
  const { createServer } = await import('node:net');
  const tryBind = (port: number) =>
    new Promise<import('node:net').Server | undefined>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const bound: import('node:net').Server[] = [];
    for (let p = base; p < base + n; p++) {
      const s = await tryBind(p);
      if (!s) break;
      bound.push(s);
    }
    await Promise.all(bound.map((s) => new Promise((r) => s.close(r))));
    if (bound.length === n) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}
