// Day-ahead market benchmark: for 10, 100 and 1,000 generated CLNR prosumers (48 half-hours, summer),
// each framework's iterations, wall time, final gap and imbalance beside the centralised HiGHS solve of
// the same problem measured in the same run. Then, at 100 prosumers, the clearing-method comparison
// behind docs/market.md (plain sub-gradient vs ADMM with fixed and adaptive ρ). The weak market runs on
// secure sums and certifies its own gap (certified column); the central solve is the reference here.
// The secure market at 10,000 prosumers and over the network: bench/market-secure.bench.ts.
// Wall times are medians over RUNS runs (one run at 1,000 prosumers to stay within the time budget).
import { solveCentral } from '../market/central.ts';
import { runDayAhead } from '../market/dayahead.ts';
import { generateScenario } from '../market/generator.ts';
import { defaultGraph } from '../market/graph.ts';
import { SIMULATION_DEADLINES, startParties } from '../market/pool/hosts.ts';
import { PoolSession } from '../market/pool/session.ts';
import { FRAMEWORKS, type FrameworkName, type FrameworkResult } from '../market/result.ts';
import { parseScenario } from '../market/scenario.ts';
import { clearWeak } from '../market/weak.ts';
import { median } from './stats.ts';

const SIZES: [number, number][] = [
  [10, 3],
  [100, 3],
  [1000, 1],
];
const CENTRAL_TIME_LIMIT = 300;

const fmtGap = (g: number | null) => (g === null ? '-' : `${(100 * g).toFixed(4)}%`);
const row = (cells: (string | number)[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');

console.log(`market bench: ${new Date().toISOString()}, node ${process.version}, 48 half-hourly periods`);
const widths = [13, 11, 9, 9, 9, 10, 9, 7, 8, 8, 6];
for (const [n, runs] of SIZES) {
  const scenario = parseScenario(generateScenario({ prosumers: n, seed: 1 }));
  const graph = defaultGraph(n);
  console.log(
    `\n${n} prosumers (${scenario.prosumers.filter((p) => p.battery).length} batteries, ` +
      `${scenario.prosumers.filter((p) => p.flexibleLoads.length).length} EVs, ` +
      `${scenario.prosumers.filter((p) => p.pvKw).length} PV), trading graph ${graph.type === 'full' ? 'full mesh' : `sparse degree ${graph.degree}`}, ${runs} run(s)`,
  );
  const seconds = new Map<FrameworkName, number[]>();
  let last: Partial<Record<FrameworkName, FrameworkResult>> = {};
  for (let r = 0; r < runs; r++) {
    const result = await runDayAhead(scenario, {
      frameworks: FRAMEWORKS,
      centralTimeLimitSeconds: CENTRAL_TIME_LIMIT,
    });
    for (const f of FRAMEWORKS) {
      const x = result.frameworks[f]!;
      seconds.set(f, [...(seconds.get(f) ?? []), x.seconds]);
    }
    last = result.frameworks;
  }
  const central = median(seconds.get('central')!);
  console.log(
    row(
      [
        'framework',
        'total cost',
        'gap',
        'certified',
        'imbalance',
        'iterations',
        'converged',
        'wall s',
        'vs HiGHS',
        'messages',
        'MB',
      ],
      widths,
    ),
  );
  for (const f of FRAMEWORKS) {
    const x = last[f]!;
    const s = median(seconds.get(f)!);
    console.log(
      row(
        [
          f,
          x.totalCost.toFixed(4),
          fmtGap(x.gap),
          fmtGap(x.certifiedGap ?? null),
          x.relativeImbalance.toExponential(1),
          x.iterations,
          x.converged ? 'yes' : 'NO',
          s.toFixed(2),
          f === 'central' ? '1' : `${(s / central).toFixed(3)}x`,
          x.messages,
          (x.bytes / 2 ** 20).toFixed(1),
        ],
        widths,
      ),
    );
  }
  if (!last.central!.converged) console.log(`  central: ${last.central!.note}`);
}

// Clearing-method comparison (weakly-centralised market, 100 prosumers).
const scenario = parseScenario(generateScenario({ prosumers: 100, seed: 1 }));
const optimum = (await solveCentral(scenario)).totalCost;
console.log('\nclearing methods, weakly-centralised market, 100 prosumers (iteration limit 300)');
const cw = [34, 10, 10, 11, 11, 9, 8];
console.log(row(['method', 'gap', 'certified', 'imbalance', 'iterations', 'converged', 'wall s'], cw));
const variants: [string, Parameters<typeof clearWeak>[2]][] = [
  ['sub-gradient a/sqrt(k), averaging', { method: 'subgradient', maxIterations: 300 }],
  ['ADMM rho 0.05 fixed', { rho: 0.05, adaptiveRho: false, maxIterations: 300 }],
  ['ADMM rho 0.5 fixed', { rho: 0.5, adaptiveRho: false, maxIterations: 300 }],
  ['ADMM rho 0.05 adaptive (default)', { rho: 0.05, adaptiveRho: true, maxIterations: 300 }],
];
for (const [name, options] of variants) {
  const parties = await startParties(scenario);
  try {
    const session = await PoolSession.open(parties.transport, {
      tariffs: scenario.tariffs,
      periodMinutes: scenario.periodMinutes,
      method: options?.method ?? 'admm',
      ...SIMULATION_DEADLINES,
    });
    const r = await clearWeak(session, scenario.tariffs, { ...options, referenceCost: optimum });
    const at = (k: number) => r.history[Math.min(k, r.history.length) - 1]!;
    console.log(
      row(
        [
          name,
          fmtGap(r.gap),
          fmtGap(r.certifiedGap ?? null),
          r.relativeImbalance.toExponential(1),
          r.iterations,
          r.converged ? 'yes' : 'NO',
          r.seconds.toFixed(2),
        ],
        cw,
      ),
      ` (at iteration 10/50/100, or the stop if earlier: gap ${[10, 50, 100].map((k) => fmtGap(at(k).gap)).join(' / ')}, imbalance ${[10, 50, 100].map((k) => at(k).relativeImbalance.toExponential(1)).join(' / ')})`,
    );
  } finally {
    await parties.close();
  }
}
