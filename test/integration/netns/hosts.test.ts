// Nodes on hosts of their own: four node processes, each in a Linux network namespace with its own IP
// address (test/helpers/netns.ts), joined by a bridge, configured with each other as a devnet is. Host 0
// and host 2 mine. (1) Cutting host 2's link partitions the network: both sides mine apart; healing the
// link makes them converge on one head. (2) A Sybil attacker with 20 identities runs on host 3, beside an
// honest node, so both have the same address: the attacker is banned, its address with it, and the honest
// node behind that address keeps its connections and receives blocks by gossip within a second (p99).
// Needs root and `ip netns`: elsewhere the test is skipped, loudly.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { VppClient } from '../../../client/index.ts';
import { genesisBlock } from '../../../consensus/genesis.ts';
import { initDataDir, p2pKeyPath } from '../../../node/node.ts';
import { loadOrCreatePeerKey, peerIdOfKey } from '../../../p2p/identity.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { netParams, waitFor } from '../../helpers/net.ts';
import { createLab, type NetnsLab, netnsSupport } from '../../helpers/netns.ts';
import type { SybilEvent } from '../../helpers/sybils.ts';
import { scaled } from '../../helpers/time.ts';

const unsupported = netnsSupport();
if (unsupported)
  console.warn(
    `\n*** SKIPPED test/integration/netns/hosts.test.ts: ${unsupported}. It needs root and \`ip netns\` ` +
      '(as on CI); run it as root to test nodes on hosts with addresses of their own. ***\n',
  );

const CLI = new URL('../../../node/cli.ts', import.meta.url).pathname;
const SYBIL_SCRIPT = new URL('../../helpers/sybil-process.ts', import.meta.url).pathname;
const P2P_PORT = 30300;
const API_PORT = 8545;
const MINERS = new Set([0, 2]);

interface StatusWithClock {
  height: number;
  headHash: string;
  peers: number;
  clock?: { offsetMs: number | null; skewed: boolean };
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
};

describe.skipIf(unsupported !== undefined)('nodes on hosts of their own (network namespaces)', () => {
  let lab: NetnsLab | undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'vppchain-netns-'));
  afterAll(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it(
    'partition by a cut link, heal, converge; a node behind the attacker’s address keeps gossip',
    async () => {
      lab = createLab(4);
      const hosts = lab.hosts;
      const began = performance.now();
      const progress = (what: string) =>
        console.log(`netns +${((performance.now() - began) / 1000).toFixed(1)} s: ${what}`);
      const params = netParams();
      const genesisHash = toHex(genesisBlock(params).hash);
      const addrs: string[] = [];
      const dirs: string[] = [];
      for (const h of hosts) {
        const dir = join(tmp, `node-${h.index}`);
        await initDataDir(dir, params);
        const peerId = peerIdOfKey(await loadOrCreatePeerKey(p2pKeyPath(dir)));
        dirs.push(dir);
        addrs.push(`/ip4/${h.ip}/tcp/${P2P_PORT}/p2p/${peerId}`);
      }
      const logs: string[][] = hosts.map(() => []);
      const nodes: ChildProcess[] = hosts.map((h) => {
        const args = [
          process.execPath,
          CLI,
          'node',
          '--datadir',
          dirs[h.index]!,
          '--p2p-host',
          h.ip,
          '--p2p-port',
          String(P2P_PORT),
          '--api-host',
          h.ip,
          '--api-port',
          String(API_PORT),
          '--bootstrap',
          addrs.filter((_, j) => j !== h.index).join(','),
          '--threads',
          '1',
          ...(MINERS.has(h.index) ? ['--mine'] : []),
        ];
        const child = lab!.spawn(h.index, args);
        for (const stream of [child.stdout!, child.stderr!])
          createInterface({ input: stream }).on('line', (l) => logs[h.index]!.push(l));
        return child;
      });
      const failIfExited = () => {
        for (const [i, c] of nodes.entries())
          if (c.exitCode !== null || c.signalCode !== null)
            throw new Error(
              `node ${i} exited (${c.exitCode ?? c.signalCode}):\n${logs[i]!.slice(-30).join('\n')}`,
            );
      };
      const api = hosts.map((h) => `http://${h.ip}:${API_PORT}`);
      const status = async (i: number): Promise<StatusWithClock | undefined> => {
        try {
          const r = await fetch(`${api[i]}/v1/status`, { signal: AbortSignal.timeout(2000) });
          return r.ok ? ((await r.json()) as StatusWithClock) : undefined;
        } catch {
          return undefined;
        }
      };
      const all = async () => {
        failIfExited();
        return Promise.all(hosts.map((h) => status(h.index)));
      };

      await waitFor(
        'four hosts up, fully connected, one head at height 3',
        async () => {
          const st = await all();
          return (
            st.every((s) => s !== undefined && s.peers === 3 && s.height >= 3) &&
            new Set(st.map((s) => s!.headHash)).size === 1
          );
        },
        120_000,
      );

      progress('four hosts connected');
      // (1) Partition: host 2 loses its link; it mines alone, the others mine on without it.
      lab.setLink(2, false);
      const cut = await all();
      const cutHeight = Math.max(...cut.map((s) => s?.height ?? 0));
      const reachable = [0, 1, 3];
      let isolated: StatusWithClock | undefined;
      await waitFor(
        'both sides mined three blocks apart',
        async () => {
          failIfExited();
          // Host 2's API is unreachable while cut: its progress is read once the link is back.
          const st = await Promise.all(reachable.map(status));
          return (
            st.every((s) => s !== undefined && s.height >= cutHeight + 3) &&
            new Set(st.map((s) => s!.headHash)).size === 1
          );
        },
        120_000,
      );
      progress('both sides mined apart');
      const mainSide = (await status(0))!;
      const logLinesAtHeal = logs.map((l) => l.length);
      lab.setLink(2, true);
      await waitFor('host 2 reachable again', async () => (isolated = await status(2)) !== undefined, 60_000);
      expect(isolated!.height).toBeGreaterThanOrEqual(cutHeight + 1); // it mined while cut off
      await waitFor(
        'healed: one head everywhere, above both sides',
        async () => {
          const st = await all();
          return (
            st.every((s) => s !== undefined && s.height >= Math.max(mainSide.height, isolated!.height)) &&
            new Set(st.map((s) => s!.headHash)).size === 1
          );
        },
        120_000,
      );
      progress('healed and converged');
      // The two sides had forked: one of them switched branches.
      expect(
        logs.some((l, i) => l.slice(logLinesAtHeal[i]).some((line) => line.includes('[chain] reorg:'))),
      ).toBe(true);

      // (2) Sybils on host 3, beside the honest node there: same address. Block arrival is timed from the
      // nodes' event streams (the first node to report a block is its source).
      const seen = new Map<string, Map<number, number>>();
      const stop = new AbortController();
      const streams = hosts.map(async (h) => {
        try {
          for await (const e of new VppClient(api[h.index]!).subscribe({
            kinds: ['head'],
            signal: stop.signal,
          })) {
            const t = performance.now();
            for (const c of (e.data as { connected: { hash: string }[] }).connected) {
              const m = seen.get(c.hash) ?? new Map<number, number>();
              if (!m.has(h.index)) m.set(h.index, t);
              seen.set(c.hash, m);
            }
          }
        } catch {
          // the stream ends with the test
        }
      });
      const attackFrom = performance.now();
      /** Runs the attacker process on host 3 to its end; returns its events. */
      const runAttack = async (count: number, extra: string[] = []): Promise<SybilEvent[]> => {
        const events: SybilEvent[] = [];
        const attack = lab!.spawn(3, [
          process.execPath,
          SYBIL_SCRIPT,
          '--genesis',
          genesisHash,
          '--target',
          addrs.slice(0, 3).join(','),
          '--count',
          String(count),
          '--host',
          hosts[3]!.ip,
          ...extra,
        ]);
        let stderr = '';
        attack.stderr!.on('data', (d) => {
          stderr += d;
        });
        createInterface({ input: attack.stdout! }).on('line', (l) => {
          const e = JSON.parse(l) as SybilEvent;
          events.push(e);
          if (e.event === 'refused' || e.event === 'error') progress(`attacker ${l}`);
        });
        const code = await new Promise<number | null>((resolve) => attack.once('exit', resolve));
        expect(code, stderr).toBe(0);
        return events;
      };
      let honestLostPeers = false;
      const watch = setInterval(() => {
        void status(3).then((s) => {
          if (s && s.peers < 3) honestLostPeers = true;
        });
      }, scaled(500));
      // Twenty identities; one that never gets in gives up after 10 refused dials.
      const events = await runAttack(20, ['--give-up-unreached', '10']);
      const attackUntil = performance.now();
      progress('attack over');
      // Its address is banned now: fresh identities from there are refused by every node.
      const late = await runAttack(3, ['--give-up-unreached', '5']);
      clearInterval(watch);
      // Ten more blocks on every host after the attack (waited for, not slept for).
      const afterAttack = performance.now();
      await waitFor(
        'ten blocks on all four hosts after the attack',
        () =>
          [...seen.values()].filter((times) => times.size >= 4 && Math.min(...times.values()) >= afterAttack)
            .length >= 10,
        120_000,
      );
      stop.abort();
      await Promise.all(streams);

      const refusedOf = (evs: SybilEvent[]) =>
        evs.filter((e): e is Extract<SybilEvent, { event: 'refused' }> => e.event === 'refused');
      const refused = refusedOf(events);
      expect(events.filter((e) => e.event === 'started')).toHaveLength(20);
      expect(refused).toHaveLength(20);
      expect(refused.some((e) => e.everConnected)).toBe(true);
      expect(refusedOf(late).map((e) => e.everConnected)).toEqual([false, false, false]);

      // The honest node on the attacker's address kept its three peers and got blocks by gossip.
      expect(honestLostPeers).toBe(false);
      const latencies: number[] = [];
      for (const times of seen.values()) {
        if (times.size < 4) continue; // a block some node never had on its main chain (a lost race)
        const first = Math.min(...times.values());
        if (first < attackFrom) continue;
        latencies.push(times.get(3)! - first);
      }
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      console.log(
        `netns: attack ${((attackUntil - attackFrom) / 1000).toFixed(1)} s, ${refused.filter((e) => e.everConnected).length} identities banned after connecting, ` +
          `${refused.filter((e) => !e.everConnected).length} kept out, 3 late ones kept out by the address ban; host 3 (same address) got ${latencies.length} blocks: ` +
          `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms after the first node`,
      );
      expect(latencies.length).toBeGreaterThanOrEqual(10);
      expect(p99).toBeLessThan(1000);
      await waitFor('one head everywhere', async () => {
        const st = await all();
        return st.every((x) => x !== undefined) && new Set(st.map((x) => x!.headHash)).size === 1;
      });
    },
    scaled(600_000),
  );
});
