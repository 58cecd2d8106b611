// `vppchain dayahead` end to end, as a user runs it (child processes with scaled deadlines).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { scaled } from '../../helpers/time.ts';

// The optimisers can take a while on a busy machine: each run has 120 s, each test longer.
const run = async (...args: string[]) => {
  const r = await runCli(['dayahead', ...args], { timeoutMs: 120_000 });
  return { status: r.code, stdout: r.out, stderr: r.err };
};
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('vppchain dayahead', { timeout: scaled(150_000) }, () => {
  it('prints the documented JSON for a generated scenario', async () => {
    const r = await run('--prosumers', '8', '--seed', '3', '--periods', '24', '--json', '--threads', '0');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.scenario).toMatchObject({ prosumers: 8, periods: 24, periodMinutes: 60, currency: 'GBP' });
    expect(Object.keys(json.frameworks).sort()).toEqual(['central', 'decentralized', 'traditional', 'weak']);
    for (const f of Object.values(json.frameworks) as Record<string, unknown>[]) {
      for (const key of [
        'totalCost',
        'gap',
        'imbalance',
        'iterations',
        'converged',
        'seconds',
        'netPositionKwh',
        'prosumers',
        'prices',
        'history',
      ]) {
        expect(f).toHaveProperty(key);
      }
      expect(f.netPositionKwh).toHaveLength(24);
    }
    expect(json.frameworks.central.gap).toBe(0);
    expect(json.frameworks.weak.converged).toBe(true);
    // The weak market certifies its own gap; by default the VPP learns aggregates only.
    expect(json.frameworks.weak.certifiedGap).toBeLessThanOrEqual(1e-3);
    expect(json.frameworks.weak.dualBound).toBeLessThanOrEqual(json.optimum + 1e-9);
    expect(json.frameworks.weak.disclosure).toBe('aggregates');
    expect(json.frameworks.weak.prosumers).toEqual([]);
    expect(json.frameworks.weak.aggregateSchedule.gridBuy).toHaveLength(24);
    expect(json.optimum).toBeCloseTo(json.frameworks.central.totalCost, 9);
    expect(json.baseline).toBeCloseTo(json.frameworks.traditional.totalCost, 9);
  });

  it('runs the weak market without any central solve: no optimum, a certified gap', async () => {
    const r = await run('--prosumers', '6', '--seed', '4', '--framework', 'weak', '--json', '--threads', '0');
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.optimum).toBeNull();
    expect(Object.keys(json.frameworks)).toEqual(['weak']);
    expect(json.frameworks.weak.gap).toBeNull();
    expect(json.frameworks.weak.converged).toBe(true);
    expect(json.frameworks.weak.certifiedGap).toBeLessThanOrEqual(1e-3);
    expect(json.frameworks.weak.certifiedGap).toBeGreaterThanOrEqual(0);
  });

  it('runs one framework on a scenario file and writes CSVs and an HTML report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dayahead-'));
    dirs.push(dir);
    const scenario = join(dir, 'two.json');
    writeFileSync(
      scenario,
      JSON.stringify({
        name: 'two homes',
        periods: 24,
        tariffs: {
          retail: new Array(24).fill(0.3),
          feedIn: new Array(24).fill(0.05),
          source: 'flat test tariff',
        },
        prosumers: [
          {
            id: 'sunny',
            load: new Array(24).fill(0.2),
            pv: new Array(24).fill(0).map((_, t) => (t >= 8 && t < 16 ? 2 : 0)),
          },
          { id: 'dark', load: new Array(24).fill(0.5) },
        ],
      }),
    );
    const out = join(dir, 'out');
    // Research mode: the central optimum as a reference, and the schedules revealed (labelled).
    const r = await run(
      '--scenario',
      scenario,
      '--framework',
      'weak',
      '--out',
      out,
      '--threads',
      '0',
      '--reference',
      '--reveal-schedules',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/two homes: 2 prosumers, 24 periods of 60 min/);
    // Only the requested framework is listed; its saving refers to the traditional market, its gap to
    // the central optimum (--reference), beside its certified gap.
    expect(r.stdout).toMatch(/^weak\s+[\d.]+\s+\d+\.\d+%\s+\d+\.\d+%\s+\d+\.\d+%/m);
    expect(r.stdout).not.toMatch(/^central/m);
    expect(r.stdout).toMatch(/sunny/);
    expect(r.stdout).toMatch(/research mode: schedules revealed/);
    for (const f of [
      'summary.csv',
      'prices.csv',
      'net_position.csv',
      'schedule_weak.csv',
      'vpp_schedule_weak.csv',
      'convergence_weak.csv',
      'report.html',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // Without research mode no per-prosumer output: the VPP has aggregates only.
    const plain = join(dir, 'plain');
    const p = await run('--scenario', scenario, '--framework', 'weak', '--out', plain, '--threads', '0');
    expect(p.status).toBe(0);
    expect(p.stdout).not.toMatch(/sunny/);
    expect(p.stdout).toMatch(/the VPP learnt sums only/);
    expect(existsSync(join(plain, 'schedule_weak.csv'))).toBe(false);
    expect(existsSync(join(plain, 'vpp_schedule_weak.csv'))).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(
      /<svg[\s\S]*Convergence of the weak market/,
    );
    expect(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0]).toMatch(
      /^framework,total_cost,gap/,
    );
  });

  it('rejects bad flags and bad scenarios with exit code 2 and a message', async () => {
    const cases: [string[], RegExp][] = [
      [['--framework', 'auction'], /--framework must be one of/],
      [['--rho=-1'], /--rho must be a positive number/],
      [['--prosumers', '0'], /--prosumers must be between 1/],
      [['--seed', '4'], /--seed needs --prosumers/],
      [['--scenario', 'x.json', '--prosumers', '3'], /cannot be combined/],
      [['--degree', '4'], /--degree needs --graph sparse/],
      [['--periods', '30', '--prosumers', '3'], /--periods must be one of 24\|48\|96/],
      [['--scenario', '/nonexistent/file.json'], /invalid scenario/],
      [['--bogus'], /Unknown option/],
      [['--listen', '/ip4/127.0.0.1/tcp/0'], /--listen needs --vpp FILE/],
      [['--vpp', 'vpp.json', '--prosumers', '3'], /--prosumers cannot be combined with --vpp/],
      [['--vpp', '/nonexistent/vpp.json'], /invalid scenario/],
      [['--mask-degree', '0'], /--mask-degree must be between 1/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(...args)));
    cases.forEach(([args, message], i) => {
      expect(results[i]!.status, args.join(' ')).toBe(2);
      expect(results[i]!.stderr, args.join(' ')).toMatch(message);
    });
  });

  it('a networked market with nobody connected says so and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dayahead-vpp-'));
    dirs.push(dir);
    const split = await runCli(['prosumer', 'split', '--prosumers', '2', '--out', dir], {
      timeoutMs: 60_000,
    });
    expect(split.code, split.err).toBe(0);
    const r = await run('--vpp', join(dir, 'vpp.json'), '--wait', '1', '--json');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/vpp listening on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
    expect(r.stderr).toMatch(/no prosumer of the roster connected within 1 s/);
    expect(r.stdout).toBe('');
  });

  it('vppchain prosumer rejects bad use with exit code 2 and a message', async () => {
    const cases: [string[], RegExp][] = [
      [['prosumer'], /needs a subcommand: run or split/],
      [['prosumer', 'run', '--vpp', '/ip4/127.0.0.1/tcp/1'], /--data DIR is required/],
      [['prosumer', 'run', '--data', '/nonexistent'], /--vpp MULTIADDR is required/],
      [['prosumer', 'run', '--data', '/nonexistent', '--vpp', '/ip4/127.0.0.1/tcp/1'], /prosumer\.json/],
      [['prosumer', 'split', '--prosumers', '2'], /--out DIR is required/],
      [['prosumer', 'split', '--out', '/tmp/x'], /either --scenario FILE or --prosumers N/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { timeoutMs: 60_000 })));
    cases.forEach(([args, message], i) => {
      expect(results[i]!.code, args.join(' ')).toBe(2);
      expect(results[i]!.err, args.join(' ')).toMatch(message);
    });
  });
});
