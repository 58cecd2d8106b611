import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DevnetOptions,
  type DevnetPlan,
  fetchStatus,
  type NodeStatus,
  prepareDevnet,
  spawnNode,
} from '../../../node/devnet.ts';
import { genesisToJson } from '../../../protocol/params.ts';
import { freePortRange, netParams, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-procs-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function options(dir: string, nodes: number): Promise<DevnetOptions> {
  const genesisFile = join(tmp, `${dir}-genesis.json`);
  writeFileSync(genesisFile, JSON.stringify(genesisToJson(netParams())));
  // Devnets use consecutive ports from a base: p2p ports, then API ports.
  const base = await freePortRange(2 * nodes);
  return {
    dir: join(tmp, dir),
    nodes,
    p2pBasePort: base,
    apiBasePort: base + nodes,
    fresh: true,
    mining: new Set(Array.from({ length: nodes }, (_, i) => i)),
    threads: 1,
    trafficMs: 300,
    genesisFile,
  };
}

const statuses = async (plan: DevnetPlan) => Promise.all(plan.nodes.map((n) => fetchStatus(n.api)));
const agreed = (st: (NodeStatus | undefined)[]) =>
  st.every((s) => s !== undefined) && new Set(st.map((s) => s!.headHash)).size === 1;

describe('node processes', () => {
  it(
    'a mining node killed with SIGKILL restarts, catches up and agrees with the others',
    async () => {
      const o = await options('crash', 3);
      const plan = await prepareDevnet(o);
      const procs = plan.nodes.map((n) => spawnNode(plan, n, o));
      children.push(...procs);
      await waitFor(
        'three nodes up, connected, at height 3',
        async () => {
          const st = await statuses(plan);
          return st.every((s) => s && s.height >= 3 && s.peers === 2);
        },
        90_000,
      );

      const victim = plan.nodes[1]!;
      procs[1]!.kill('SIGKILL');
      await new Promise((r) => procs[1]!.once('exit', r));
      const at = (await fetchStatus(plan.nodes[0]!.api))!.height;
      await waitFor(
        'the others mine on',
        async () => ((await fetchStatus(plan.nodes[0]!.api))?.height ?? 0) >= at + 3,
        90_000,
      );

      const again = spawnNode(plan, victim, o);
      children.push(again);
      await waitFor(
        'restarted node caught up and agrees',
        async () => {
          const st = await statuses(plan);
          return agreed(st) && st[1]!.height >= at + 3;
        },
        120_000,
      );
      const log = readFileSync(victim.logFile, 'utf8');
      expect(log.match(/\[node\] node 0x/gm)?.length).toBe(2); // it really started twice
      for (const c of [procs[0]!, procs[2]!, again]) c.kill('SIGTERM');
      await Promise.all(
        [procs[0]!, procs[2]!, again].map(
          (c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))),
        ),
      );
    },
    scaled(300_000),
  );

  it(
    'vppchain devnet starts the nodes, writes devnet.json, and stops cleanly',
    async () => {
      const o = await options('cli', 3);
      const cli = new URL('../../../bin/vppchain.js', import.meta.url).pathname;
      const r = spawnSync(
        process.execPath,
        [
          cli,
          'devnet',
          '--nodes',
          '3',
          '--dir',
          o.dir,
          '--fresh',
          '--p2p-base-port',
          String(o.p2pBasePort),
          '--api-base-port',
          String(o.apiBasePort),
          '--genesis',
          o.genesisFile,
          '--until-height',
          '3',
        ],
        { encoding: 'utf8', timeout: scaled(180_000) },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/node-0\s+grid/);
      expect(r.stdout).toMatch(/node-2\s+vpp\s+vpp-2/);
      const plan = JSON.parse(readFileSync(join(o.dir, 'devnet.json'), 'utf8')) as DevnetPlan;
      expect(plan.nodes.map((n) => n.role)).toEqual(['grid', 'vpp', 'vpp']);
      expect(
        plan.nodes.every((n) => n.peerId.startsWith('12D3KooW') && n.api.startsWith('http://127.0.0.1:')),
      ).toBe(true);
      for (const n of plan.nodes) expect(readFileSync(n.logFile, 'utf8')).toContain('stopping');
    },
    scaled(240_000),
  );
});
