// `vppchain devnet` as a person runs it, supervising real node processes on a low-difficulty genesis:
// a node that dies is said and restarted with backoff (the reason a node failed is quoted from its log);
// with --on-node-exit stop everything stops and the devnet exits 1; a supervisor killed with SIGKILL takes
// its nodes with it; SIGTERM, and Ctrl-C to the whole process group, stop everything within a few
// seconds with nothing restarted meanwhile; a node port answered by another devnet's node is named and
// never reported as its own. Every wait is for a condition.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevnetOptions, type DevnetPlan, prepareDevnet, STOP_GRACE_MS } from '../../../node/devnet.ts';
import { DevnetSupervisor, probeNode } from '../../../node/supervisor.ts';
import { genesisToJson } from '../../../protocol/params.ts';
import { freePortRange, netParams, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const cli = new URL('../../../node/cli.ts', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'vppchain-supervisor-'));
const started: ChildProcess[] = [];
const nodePids: number[] = [];

/** Alive and not a zombie (an orphan's exit is reaped by whoever adopted it, maybe late). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of nodePids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Devnet {
  proc: ChildProcess;
  dir: string;
  /** Everything it printed so far, stdout and stderr. */
  output: () => string;
  exited: Promise<number | null>;
  plan: DevnetPlan;
  pids: number[];
}

/**
 * Starts `vppchain devnet` with two mining nodes and waits until both are up and past height 2. With
 * `group`, in a process group of its own, as a terminal runs it (Ctrl-C reaches the whole group).
 */
async function startDevnet(name: string, extra: string[] = [], group = false): Promise<Devnet> {
  const dir = join(tmp, name);
  const genesis = join(tmp, `${name}-genesis.json`);
  writeFileSync(genesis, JSON.stringify(genesisToJson(netParams())));
  const base = await freePortRange(4);
  const proc = spawn(
    process.execPath,
    [
      cli,
      'devnet',
      '--nodes',
      '2',
      '--dir',
      dir,
      '--fresh',
      '--genesis',
      genesis,
      '--p2p-base-port',
      String(base),
      '--api-base-port',
      String(base + 2),
      '--traffic-ms',
      '0',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: group },
  );
  started.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  // The plan: a table for people, or with --log-format json one record with every node and its pid.
  const planRecord = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { nodes?: { pid: number }[] })
      .find((r) => Array.isArray(r.nodes) && r.nodes.every((n) => 'pid' in n));
  await waitFor(
    'the devnet to list its nodes',
    () => /node-1 .* pid \d+/.test(out) || !!planRecord(),
    60_000,
  );
  const pids =
    planRecord()?.nodes?.map((n) => n.pid) ??
    [...out.matchAll(/^ {2}node-\d .* pid (\d+)$/gm)].map((m) => Number(m[1]));
  nodePids.push(...pids);
  const plan = JSON.parse(readFileSync(join(dir, 'devnet.json'), 'utf8')) as DevnetPlan;
  await waitFor(
    'both nodes up and past height 2',
    async () => {
      const views = await Promise.all(plan.nodes.map((n) => probeNode(plan, n)));
      return views.every((v) => v.state === 'up' && v.status.height >= 2 && v.status.peers >= 1);
    },
    120_000,
  );
  return { proc, dir, output: () => out, exited, plan, pids };
}

const gone = (pids: number[]) => pids.every((p) => !alive(p));

describe('the devnet supervisor', () => {
  it('says a node that dies and restarts it with backoff, quoting why a restart failed; a killed supervisor takes its nodes along', {
    timeout: scaled(480_000),
  }, async () => {
    const d = await startDevnet('restart');
    expect(d.pids).toHaveLength(2);
    // The supervisor reads each node's GET /readyz and says when it becomes ready.
    await waitFor('both nodes said ready', () =>
      [
        /\[supervisor\] node-0 \(grid\) ready: height \d+, 1 peer\n/,
        /\[supervisor\] node-1 \(vpp-1\) ready: /,
      ].every((re) => re.test(d.output())),
    );
    const [, victim] = d.pids as [number, number];
    const node1 = d.plan.nodes[1]!;

    // Its data dir loses genesis.json (the running node read it at start): the first restart fails.
    renameSync(join(node1.dataDir, 'genesis.json'), join(node1.dataDir, 'genesis.json.away'));
    process.kill(victim, 'SIGKILL');
    await waitFor(
      'the exit said, with a restart',
      () =>
        d.output().includes(`node-1 (vpp-1, pid ${victim}) exited (signal SIGKILL); restarting it in 1.0 s`),
      30_000,
    );
    await waitFor(
      'the failed restart said with the reason from its log, and the next delay doubled',
      () =>
        /node-1 \(vpp-1, pid \d+\) exited \(code 2\): vppchain: .* is not a vppchain data directory.*; restarting it in 2\.0 s/.test(
          d.output(),
        ),
      60_000,
    );
    renameSync(join(node1.dataDir, 'genesis.json.away'), join(node1.dataDir, 'genesis.json'));
    const before = await probeNode(d.plan, d.plan.nodes[0]!);
    const height = before.state === 'up' ? before.status.height : 0;
    await waitFor(
      'node-1 back, caught up with node-0',
      async () => {
        const [a, b] = await Promise.all(d.plan.nodes.map((n) => probeNode(d.plan, n)));
        return (
          a?.state === 'up' &&
          b?.state === 'up' &&
          b.status.height > height &&
          b.status.headHash === a.status.headHash
        );
      },
      120_000,
    );
    const restarted = [...d.output().matchAll(/node-1 \(vpp-1\) restarted, pid (\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(restarted.length).toBeGreaterThanOrEqual(2);
    nodePids.push(...restarted);
    const running = [d.pids[0]!, restarted.at(-1)!];
    expect(running.every(alive)).toBe(true);
    expect(readFileSync(node1.logFile, 'utf8').match(/\[node\] node 0x/gm)).toHaveLength(2); // started twice

    // A second plan on the same API ports (another genesis, other peer ids) sees another devnet's
    // nodes there: it names them and does not report them as its own.
    const foreignGenesis = join(tmp, 'foreign-genesis.json');
    writeFileSync(foreignGenesis, JSON.stringify(genesisToJson(netParams({ name: 'another-devnet' }))));
    const foreign = await prepareDevnet({
      dir: join(tmp, 'foreign'),
      nodes: 2,
      p2pBasePort: Number(/\/tcp\/(\d+)\//.exec(d.plan.nodes[0]!.p2p)![1]),
      apiBasePort: Number(new URL(d.plan.nodes[0]!.api).port),
      fresh: true,
      mining: new Set(),
      threads: 1,
      trafficMs: 0,
      genesisFile: foreignGenesis,
    });
    expect(foreign.genesisHash).not.toBe(d.plan.genesisHash);
    const said: string[] = [];
    const views = await new DevnetSupervisor(foreign, {} as DevnetOptions, {
      onNodeExit: 'restart',
      log: (line) => said.push(line),
    }).views();
    expect(views.map((v) => v.state)).toEqual(['foreign', 'foreign']);
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(
      /^node-0: http:\/\/127\.0\.0\.1:\d+ answers as another node .*another process owns that port/,
    );

    // The supervisor is killed outright: its nodes see their stdin end and stop.
    d.proc.kill('SIGKILL');
    await d.exited;
    await waitFor('the nodes to stop with their supervisor', () => gone(running), 60_000);
    for (const n of d.plan.nodes)
      expect(readFileSync(n.logFile, 'utf8')).toContain(
        'stopping (stdin closed: the parent process is gone)',
      );
  });

  it('--on-node-exit stop: a node that dies stops every node and the devnet exits 1 saying why; JSON logs', {
    timeout: scaled(240_000),
  }, async () => {
    const d = await startDevnet('stop', ['--on-node-exit', 'stop', '--log-format', 'json']);
    // The status as JSON records, one object per node; the nodes log JSON lines too.
    await waitFor('a status record with both nodes up', () =>
      d
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map(
          (l) =>
            JSON.parse(l) as { msg: string; component: string; nodes?: { state: string; height: number }[] },
        )
        .some(
          (r) =>
            r.msg === 'status' &&
            r.component === 'devnet' &&
            r.nodes?.every((n) => n.state === 'up' && n.height >= 1),
        ),
    );
    for (const n of d.plan.nodes) {
      const lines = readFileSync(n.logFile, 'utf8').trimEnd().split('\n');
      expect(lines.map((l) => JSON.parse(l).component)).toContain('node');
    }
    process.kill(d.pids[1]!, 'SIGKILL');
    expect(await d.exited).toBe(1);
    expect(d.output()).toContain(
      `vppchain: node-1 (vpp-1, pid ${d.pids[1]}) exited (signal SIGKILL); stopped every node (--on-node-exit stop)`,
    );
    expect(d.output()).toContain('all nodes stopped');
    expect(gone(d.pids)).toBe(true); // the devnet waited for them before it exited
  });

  it('SIGTERM stops every node cleanly within a few seconds, nothing left behind', {
    timeout: scaled(240_000),
  }, async () => {
    const d = await startDevnet('sigterm');
    const asked = Date.now();
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    const tookMs = Date.now() - asked;
    expect(gone(d.pids)).toBe(true);
    // Each node stopped on SIGTERM and finished its stop (ledger closed), before any SIGKILL of the grace period.
    for (const n of d.plan.nodes)
      expect(readFileSync(n.logFile, 'utf8')).toMatch(/stopping \(SIGTERM\)…\n(.*\n)*.*\[node\] stopped\n$/);
    expect(tookMs).toBeLessThan(scaled(STOP_GRACE_MS + 5000));
    expect(existsSync(join(d.dir, 'devnet.json'))).toBe(true);
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group): everything stops, nothing is restarted', {
    timeout: scaled(240_000),
  }, async () => {
    const d = await startDevnet('ctrl-c', [], true);
    process.kill(-d.proc.pid!, 'SIGINT');
    expect(await d.exited).toBe(0);
    expect(gone(d.pids)).toBe(true);
    // The nodes stopped on their own SIGINT; the supervisor expected it: no exit said, no restart.
    expect(d.output()).not.toMatch(/exited|restart/);
    for (const n of d.plan.nodes)
      expect(readFileSync(n.logFile, 'utf8')).toMatch(
        /stopping \(SIG(INT|TERM)\)…\n(.*\n)*.*\[node\] stopped\n$/,
      );
  });
});
