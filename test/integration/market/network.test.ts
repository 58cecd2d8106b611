// The weak market with prosumers as separate processes: a VPP coordinator (`vppchain dayahead --vpp`)
// and 20 prosumer processes (`vppchain prosumer run`) clear the bundled CLNR day over libp2p, on
// localhost and across two Linux network namespaces (as root; skipped loudly otherwise). The result
// equals the same market run in one process within 1e-9; each prosumer computes its own bill from the
// pool totals in FINISH, equal to the in-process bill, and the bills add up to the framework's total;
// the VPP's output holds aggregates only.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDayAhead } from '../../../market/dayahead.ts';
import type { PartyOutcome } from '../../../market/pool/party.ts';
import type { DayAheadResult, FrameworkResult } from '../../../market/result.ts';
import { loadScenario } from '../../../market/scenario.ts';
import { BUNDLED_SCENARIO } from '../../../node/commands/dayahead.ts';
import { CLI as cli, runCli } from '../../helpers/cli.ts';
import { scaled } from '../../helpers/time.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-market-net-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs a command to its end (under `ip netns exec NS` when given). */
function start(args: string[], ns?: string): ChildProcess & { out: string; err: string } {
  const [cmd, argv] = ns
    ? ['ip', ['netns', 'exec', ns, process.execPath, cli, ...args]]
    : [process.execPath, [cli, ...args]];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & {
    out: string;
    err: string;
  };
  child.out = '';
  child.err = '';
  child.stdout!.on('data', (d) => {
    child.out += d;
  });
  child.stderr!.on('data', (d) => {
    child.err += d;
  });
  children.push(child);
  return child;
}

const exited = (c: ChildProcess, what: string, ms: number) =>
  new Promise<number>((resolve, reject) => {
    if (c.exitCode !== null) return resolve(c.exitCode);
    const timer = setTimeout(() => reject(new Error(`${what} still running after ${ms} ms`)), ms);
    c.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });

async function listening(c: ChildProcess & { err: string }, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = /vpp listening on (\S+)/.exec(c.err);
    if (m) return m[1]!;
    if (c.exitCode !== null) throw new Error(`the coordinator exited: ${c.err}`);
    if (Date.now() > deadline) throw new Error(`the coordinator did not listen within ${ms} ms: ${c.err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface NetworkRun {
  result: DayAheadResult;
  outcomes: Map<string, PartyOutcome>;
  hostLogs: string[];
}

/** Splits the bundled day, starts the coordinator and `hosts` prosumer processes, returns what they produced. */
async function clearOverProcesses(
  name: string,
  hosts: number,
  net?: { vppNs: string; prosumerNs: string; ip: string },
): Promise<NetworkRun> {
  const dir = join(tmp, name);
  const split = await runCli(['prosumer', 'split', '--scenario', BUNDLED_SCENARIO, '--out', dir]);
  expect(split.code, split.err).toBe(0);
  const roster = JSON.parse(readFileSync(join(dir, 'vpp.json'), 'utf8')) as { members: { id: string }[] };
  const ids = roster.members.map((m) => m.id);
  const coordinator = start(
    [
      'dayahead',
      '--vpp',
      join(dir, 'vpp.json'),
      '--json',
      '--wait',
      '300',
      '--listen',
      `/ip4/${net?.ip ?? '127.0.0.1'}/tcp/0`,
    ],
    net?.vppNs,
  );
  const address = await listening(coordinator, scaled(60_000));
  // Each process holds only its own prosumers' directories (one or two homes here).
  const groups = Array.from({ length: hosts }, (_, h) => ids.filter((_, i) => i % hosts === h));
  const procs = groups.map((g) =>
    start(
      ['prosumer', 'run', '--vpp', address, '--once', ...g.flatMap((id) => ['--data', join(dir, id)])],
      net?.prosumerNs,
    ),
  );
  const code = await exited(coordinator, 'the coordinator', scaled(600_000));
  expect(code, coordinator.err).toBe(0);
  const hostCodes = await Promise.all(procs.map((p, h) => exited(p, `prosumer host ${h}`, scaled(60_000))));
  expect(hostCodes, procs.map((p) => p.err).join('\n')).toEqual(procs.map(() => 0));
  const outcomes = new Map<string, PartyOutcome>();
  for (const id of ids) outcomes.set(id, JSON.parse(readFileSync(join(dir, id, 'outcome.json'), 'utf8')));
  return { result: JSON.parse(coordinator.out), outcomes, hostLogs: procs.map((p) => p.out) };
}

function expectSameMarket(networked: FrameworkResult, local: FrameworkResult) {
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  expect(networked.iterations).toBe(local.iterations);
  expect(networked.converged).toBe(true);
  expect(rel(networked.totalCost, local.totalCost)).toBeLessThanOrEqual(1e-9);
  expect(rel(networked.certifiedGap!, local.certifiedGap!)).toBeLessThanOrEqual(1e-9);
  networked.prices.forEach((p, t) => {
    expect(rel(p, local.prices[t]!)).toBeLessThanOrEqual(1e-9);
  });
  networked.netPositionKwh.forEach((x, t) => {
    expect(Math.abs(x - local.netPositionKwh[t]!)).toBeLessThanOrEqual(
      1e-9 * Math.max(1, Math.abs(local.netPositionKwh[t]!)),
    );
  });
}

function expectPrivateOutcomes(run: NetworkRun, local: FrameworkResult) {
  const weak = run.result.frameworks.weak!;
  // The VPP learnt aggregates only; every prosumer kept its own schedule and bill.
  expect(weak.disclosure).toBe('aggregates');
  expect(weak.prosumers).toEqual([]);
  expect(weak.participants).toBe(30);
  expect(JSON.stringify(run.result)).not.toMatch(/"p2pPayment":|"ownCost":/);
  const bills = local.bills!;
  let own = 0;
  let billed = 0;
  for (const [id, o] of run.outcomes) {
    expect(o.status, id).toBe('market');
    const mine = local.prosumers.find((p) => p.id === id)!;
    const line = bills.prosumers.find((l) => l.id === id)!;
    // Its own bill, computed alone from the pool totals FINISH carried, is the in-process bill by the
    // same rule (market/bills.ts poolLines), and so is each line of it.
    expect(Math.abs(o.cost - mine.cost), id).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(mine.cost)));
    expect(o.cost, id).toBe(o.bill.total * 1e-9);
    for (const f of ['ownCost', 'p2p', 'imbalance', 'total'] as const)
      expect(Math.abs(o.bill[f] - line[f]), `${id} ${f}`).toBeLessThanOrEqual(
        Math.max(1, 1e-9 * Math.abs(line[f])),
      );
    expect(o.bill.total, id).toBe(o.bill.ownCost + o.bill.p2p + o.bill.imbalance);
    expect(Math.abs(o.ownCost - mine.ownCost)).toBeLessThanOrEqual(
      1e-9 * Math.max(1, Math.abs(mine.ownCost)),
    );
    own += o.ownCost;
    billed += o.bill.total;
  }
  expect(own + weak.settlementCost).toBeCloseTo(weak.totalCost, 8);
  // The prosumers' bills add up to the framework's total: up to the VPP's rounding residual (at most
  // about one unit of 1e-9 per prosumer) and the fixed-point rounding of the sums.
  const n = run.outcomes.size;
  expect(Math.abs(billed - bills.total)).toBeLessThanOrEqual(n);
  expect(Math.abs(bills.residual)).toBeLessThanOrEqual(n + 1);
  expect(Math.abs(billed * 1e-9 - weak.totalCost)).toBeLessThanOrEqual(2 * (n + 1) * 1e-9 + 1e-6);
}

let local: FrameworkResult;
beforeAll(async () => {
  // The same market in one process (parties in this thread, schedules revealed to compare each bill).
  const r = await runDayAhead(loadScenario(BUNDLED_SCENARIO), {
    frameworks: ['weak'],
    threads: 0,
    revealSchedules: true,
  });
  local = r.frameworks.weak!;
}, scaled(300_000));

describe('prosumer processes on localhost', () => {
  it(
    'a VPP and 20 prosumer processes clear the bundled day as one process does',
    async () => {
      const run = await clearOverProcesses('localhost', 20);
      expectSameMarket(run.result.frameworks.weak!, local);
      expectPrivateOutcomes(run, local);
      expect(run.hostLogs.join('')).toMatch(/cleared in the market; bill/);
    },
    scaled(900_000),
  );
});

// Network namespaces need root (CAP_SYS_ADMIN); elsewhere this variant is skipped, and says so.
const ns = `vmk${process.pid % 100_000}`;
const permitted = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = spawnSync('ip', ['netns', 'add', `${ns}probe`], { encoding: 'utf8' });
  if (probe.status !== 0) return `ip netns add failed: ${probe.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', `${ns}probe`]);
  return true;
})();
if (permitted !== true) console.warn(`SKIPPING the network-namespace market test: ${permitted}`);

describe.skipIf(permitted !== true)('prosumer processes in another network namespace', () => {
  const vppNs = `${ns}v`;
  const prosumerNs = `${ns}p`;
  const sh = (...args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  beforeAll(() => {
    sh('netns', 'add', vppNs);
    sh('netns', 'add', prosumerNs);
    sh('link', 'add', `${ns}a`, 'type', 'veth', 'peer', 'name', `${ns}b`);
    sh('link', 'set', `${ns}a`, 'netns', vppNs);
    sh('link', 'set', `${ns}b`, 'netns', prosumerNs);
    sh('-n', vppNs, 'addr', 'add', '10.77.0.1/24', 'dev', `${ns}a`);
    sh('-n', prosumerNs, 'addr', 'add', '10.77.0.2/24', 'dev', `${ns}b`);
    for (const [n, dev] of [
      [vppNs, `${ns}a`],
      [prosumerNs, `${ns}b`],
    ] as const) {
      sh('-n', n, 'link', 'set', dev, 'up');
      sh('-n', n, 'link', 'set', 'lo', 'up');
    }
  });
  afterAll(() => {
    for (const n of [vppNs, prosumerNs]) spawnSync('ip', ['netns', 'del', n]);
  });

  it(
    'the VPP in one namespace, 6 prosumer processes in another, same result',
    async () => {
      const run = await clearOverProcesses('netns', 6, { vppNs, prosumerNs, ip: '10.77.0.1' });
      expectSameMarket(run.result.frameworks.weak!, local);
      expectPrivateOutcomes(run, local);
    },
    scaled(900_000),
  );
});
