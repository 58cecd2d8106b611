// docs/operations.md's "Several machines" walkthrough, run on three emulated machines (Linux network
// namespaces with addresses of their own, test/helpers/netns.ts) with the CLI as an operator runs it:
// (0) the repository's week-old genesis is refused for mining, with the way out in the message;
// (1) `vppchain genesis` makes one fresh genesis file and prints its hash; (2) `vppchain init` from that
// file on every machine prints the same hash, the peer id and the multiaddr; (3) the firewall of the doc
// (its nft ruleset, read from docs/operations.md) on every machine: libp2p open, the API only to the
// administrator's address; (4) `vppchain node --p2p-host 0.0.0.0 --api-host 0.0.0.0`, machine 0 with no
// bootstrap and the others with machine 0's address only: discovery makes a mesh, so every node ends with
// more than one peer, on one head. Then a fourth machine initialised from another genesis file
// bootstraps to machine 0: both log the other chain with both genesis hashes, and machine 0 never counts
// it as a peer. Needs root and `ip netns` (and nft for the firewall step): elsewhere skipped, loudly.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { targetToBits } from '../../../protocol/difficulty.ts';
import { waitFor } from '../../helpers/net.ts';
import { createLab, type NetnsLab, netnsSupport } from '../../helpers/netns.ts';
import { scaled } from '../../helpers/time.ts';

const unsupported = netnsSupport();
if (unsupported)
  console.warn(
    `\n*** SKIPPED test/integration/netns/walkthrough.test.ts: ${unsupported}. It needs root and \`ip netns\` ` +
      "(as on CI); run it as root to test docs/operations.md's several-machines walkthrough. ***\n",
  );
const hasNft = spawnSync('nft', ['--version']).status === 0;
if (!unsupported && !hasNft)
  console.warn(
    '\n*** walkthrough.test.ts: the firewall step is SKIPPED: nft is not installed (apt-get install nftables). ***\n',
  );

const CLI = new URL('../../../node/cli.ts', import.meta.url).pathname;
const DOC = new URL('../../../docs/operations.md', import.meta.url);
const P2P_PORT = 30300;
const API_PORT = 8545;

interface Status {
  height: number;
  headHash: string;
  genesisHash: string;
  peers: number;
}

/** The doc's nft ruleset (its ```nft block), for the administrator's address. */
function docFirewall(adminIp: string): string {
  const block = /```nft\n([\s\S]*?)```/.exec(readFileSync(DOC, 'utf8'))?.[1];
  if (!block) throw new Error('docs/operations.md has no ```nft block');
  return block.replaceAll('ADMIN_IP', adminIp);
}

describe.skipIf(unsupported !== undefined)(
  'docs/operations.md: several machines (network namespaces)',
  () => {
    let lab: NetnsLab | undefined;
    const tmp = mkdtempSync(join(tmpdir(), 'vppchain-walkthrough-'));
    afterAll(async () => {
      await lab?.destroy();
      rmSync(tmp, { recursive: true, force: true });
    });

    it(
      'genesis, init, firewall, nodes with one bootstrap address: a mesh; another chain kept out',
      async () => {
        lab = createLab(4);
        const hosts = lab.hosts;
        const began = performance.now();
        const progress = (what: string) =>
          console.log(`walkthrough +${((performance.now() - began) / 1000).toFixed(1)} s: ${what}`);

        /** Runs the CLI on machine `i` to its end. */
        const cli = async (i: number, args: string[]) => run(i, [CLI, ...args]);
        /** Runs Node with `args` on machine `i` to its end. */
        const run = async (i: number, args: string[]) => {
          const child = lab!.spawn(i, [process.execPath, ...args]);
          let out = '';
          let err = '';
          child.stdout!.on('data', (d) => {
            out += d;
          });
          child.stderr!.on('data', (d) => {
            err += d;
          });
          const timer = setTimeout(() => child.kill('SIGKILL'), scaled(60_000));
          const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
            child.once('exit', (c, s) => resolve([c, s])),
          );
          clearTimeout(timer);
          return { code, signal, out, err };
        };
        const dir = (i: number) => join(tmp, `machine-${i}`);

        // (0) The repository's genesis.json is a week old: mining on it is refused, with what to do instead.
        const old = await cli(0, ['init', '--datadir', join(tmp, 'old')]);
        expect(old.code, old.err).toBe(0);
        expect(old.err).toContain('note: the genesis of vppchain-devnet');
        const refused = await cli(0, [
          'node',
          '--datadir',
          join(tmp, 'old'),
          '--mine',
          '--p2p-port',
          '0',
          '--api-port',
          '0',
        ]);
        expect(refused.code, `signal ${refused.signal}; stderr: ${refused.err}`).toBe(2);
        expect(refused.err).toContain('refusing to mine');
        expect(refused.err).toContain('vppchain genesis --out FILE');
        expect(refused.err).toContain('--allow-old-genesis');
        progress('old genesis refused');

        // (1) One fresh genesis for the network (low difficulty for a test machine), its hash printed.
        const bits = `0x${targetToBits((1n << 256n) / 400_000n)
          .toString(16)
          .padStart(8, '0')}`;
        const genesisFile = join(tmp, 'network.json');
        const made = await cli(0, [
          'genesis',
          '--out',
          genesisFile,
          '--chain-id',
          '4711',
          '--name',
          'walkthrough',
          '--param',
          `initialBits=${bits}`,
          '--param',
          'blockTimeMs=1000',
          '--param',
          'halfLifeMs=20000',
        ]);
        expect(made.code, made.err).toBe(0);
        const genesisHash = /^genesis ([0-9a-f]{64})$/m.exec(made.out)?.[1];
        expect(genesisHash, made.out).toBeDefined();

        // (2) The file copied to every machine; init there prints the same hash, a peer id and a multiaddr.
        const inits: { genesisHash: string; peerId: string; multiaddrs: string[] }[] = [];
        for (const h of hosts.slice(0, 3)) {
          const copy = join(tmp, `network-${h.index}.json`);
          copyFileSync(genesisFile, copy);
          const r = await cli(h.index, ['init', '--datadir', dir(h.index), '--genesis', copy, '--json']);
          expect(r.code, r.err).toBe(0);
          expect(r.err).toBe(''); // a fresh genesis: no note
          inits.push(JSON.parse(r.out));
        }
        expect(inits.map((x) => x.genesisHash)).toEqual([genesisHash, genesisHash, genesisHash]);
        for (const [i, x] of inits.entries())
          expect(x.multiaddrs).toEqual([`/ip4/${hosts[i]!.ip}/tcp/${P2P_PORT}/p2p/${x.peerId}`]);
        const bootstrap = inits[0]!.multiaddrs[0]!;
        progress('genesis made, three machines initialised');

        // (3) The firewall of the doc on every machine: the API answers the administrator (this process,
        // at the bridge's address) only.
        if (hasNft)
          for (const h of hosts) {
            const nft = spawnSync('ip', ['netns', 'exec', h.ns, 'nft', '-f', '-'], {
              input: docFirewall(lab.gateway),
              encoding: 'utf8',
            });
            expect(nft.status, nft.stderr).toBe(0);
          }

        // (4) The nodes: machine 0 without bootstrap, the others with machine 0's address only.
        const logs: string[][] = hosts.map(() => []);
        const nodes = new Map<number, ChildProcess>();
        const startNode = (i: number, extra: string[]) => {
          const child = lab!.spawn(i, [
            process.execPath,
            CLI,
            'node',
            '--datadir',
            dir(i),
            '--p2p-host',
            '0.0.0.0',
            '--p2p-port',
            String(P2P_PORT),
            '--api-host',
            '0.0.0.0',
            '--api-port',
            String(API_PORT),
            '--threads',
            '1',
            ...extra,
          ]);
          for (const stream of [child.stdout!, child.stderr!])
            createInterface({ input: stream }).on('line', (l) => logs[i]!.push(l));
          nodes.set(i, child);
        };
        const failIfExited = () => {
          for (const [i, c] of nodes)
            if (c.exitCode !== null || c.signalCode !== null)
              throw new Error(
                `node ${i} exited (${c.exitCode ?? c.signalCode}):\n${logs[i]!.slice(-30).join('\n')}`,
              );
        };
        const status = async (i: number): Promise<Status | undefined> => {
          try {
            const r = await fetch(`http://${hosts[i]!.ip}:${API_PORT}/v1/status`, {
              signal: AbortSignal.timeout(2000),
            });
            return r.ok ? ((await r.json()) as Status) : undefined;
          } catch {
            return undefined;
          }
        };
        startNode(0, ['--mine']);
        startNode(1, ['--bootstrap', bootstrap]);
        startNode(2, ['--bootstrap', bootstrap, '--mine']);
        await waitFor(
          'three machines on one head at height 3 or more, each with more than one peer',
          async () => {
            failIfExited();
            const st = await Promise.all([0, 1, 2].map(status));
            return (
              st.every(
                (s) => s !== undefined && s.peers > 1 && s.height >= 3 && s.genesisHash === genesisHash,
              ) && new Set(st.map((s) => s!.headHash)).size === 1
            );
          },
          180_000,
        );
        progress('a mesh from one bootstrap address');
        // Machines 1 and 2 found each other by discovery; it is in their logs.
        expect([...logs[1]!, ...logs[2]!].some((l) => /peer connected.*via=discovered/.test(l))).toBe(true);
        if (hasNft) {
          // The API is closed to the other machines (only the administrator's address may reach it).
          const probe = await run(1, [
            '-e',
            `fetch('http://${hosts[0]!.ip}:${API_PORT}/v1/status', { signal: AbortSignal.timeout(3000) })` +
              '.then(() => process.exit(0), () => process.exit(3))',
          ]);
          expect(probe.code).toBe(3);
        }

        // A fourth machine initialised from another genesis file bootstraps to machine 0.
        const otherFile = join(tmp, 'other-network.json');
        const other = await cli(3, [
          'genesis',
          '--out',
          otherFile,
          '--chain-id',
          '4712',
          '--param',
          `initialBits=${bits}`,
        ]);
        expect(other.code, other.err).toBe(0);
        const otherHash = /^genesis ([0-9a-f]{64})$/m.exec(other.out)![1]!;
        const init3 = await cli(3, ['init', '--datadir', dir(3), '--genesis', otherFile]);
        expect(init3.code, init3.err).toBe(0);
        let maxPeersOf0 = 0;
        const watch = setInterval(() => {
          void status(0).then((s) => {
            if (s) maxPeersOf0 = Math.max(maxPeersOf0, s.peers);
          });
        }, scaled(100));
        const linesBefore = logs.map((l) => l.length);
        startNode(3, ['--bootstrap', bootstrap]);
        const otherChainLine = (i: number, theirs: string) =>
          logs[i]!.slice(linesBefore[i]).find((l) => l.includes('is on another chain') && l.includes(theirs));
        await waitFor('both machines logged the other chain', () => {
          failIfExited();
          return otherChainLine(0, otherHash) !== undefined && otherChainLine(3, genesisHash!) !== undefined;
        });
        // Both hashes and both chain ids on each side's line.
        expect(otherChainLine(0, otherHash)).toContain(genesisHash);
        expect(otherChainLine(0, otherHash)).toMatch(/chain id 4712.*chain id 4711/);
        expect(otherChainLine(3, genesisHash!)).toContain(otherHash);
        await waitFor('machine 3 counts no peer', async () => (await status(3))?.peers === 0);
        clearInterval(watch);
        expect(maxPeersOf0).toBe(2);
        progress('another chain kept out');
      },
      scaled(600_000),
    );
  },
);
