// Day-ahead for every VPP of the system before the day: VPPS VPPs of PROSUMERS prosumers (the demo's
// VPPs, 100 × 100 = 10,000 prosumers by default) each clear their weak market (secure sums, certified
// gap, no oracle) on the day-ahead worker pool (agent/dayahead-pool.ts, one worker per core), beside the
// reference measured in the same run: the centralised HiGHS solve of the same VPPs on the same pool.
// Both include the traditional market each VPP runs as its savings baseline (one solve per prosumer).
// Wall time, CPU time (all threads) and the cores they used; per VPP the iterations, the certified gap
// and the true gap against the central optimum. Goal (issue 15): the weak markets of 10,000 prosumers in
// 100 VPPs within 60 s on 2 cores.
// BENCH_SYSTEM_VPPS and BENCH_SYSTEM_PROSUMERS scale it.
import { availableParallelism, loadavg } from 'node:os';
import { runVppDayAheads } from '../agent/dayahead-pool.ts';
import type { VppDayAhead } from '../agent/scenarios.ts';
import type { FrameworkName } from '../market/result.ts';
import { systemVpps } from './fixtures.ts';
import { median } from './stats.ts';

const VPPS = Number(process.env.BENCH_SYSTEM_VPPS ?? 100);
const PROSUMERS = Number(process.env.BENCH_SYSTEM_PROSUMERS ?? 100);
const GOAL_SECONDS = 60;

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
console.log(
  `Day-ahead for every VPP: ${VPPS} VPPs × ${PROSUMERS} prosumers, ${availableParallelism()} cores, load average ${load()}`,
);
const built = performance.now();
const vpps = systemVpps(VPPS, PROSUMERS);
console.log(`  scenarios generated in ${((performance.now() - built) / 1000).toFixed(1)} s`);

interface Run {
  wall: number;
  cpu: number;
  perVpp: number[];
  results: VppDayAhead[];
}
async function run(framework: FrameworkName): Promise<Run> {
  const perVpp: number[] = new Array(VPPS).fill(0);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const results = await runVppDayAheads(
    vpps.map((v) => v.scenario),
    framework,
    { onDone: (i, _r, seconds) => (perVpp[i] = seconds) },
  );
  const cpu = process.cpuUsage(cpu0);
  return { wall: (performance.now() - started) / 1000, cpu: (cpu.user + cpu.system) / 1e6, perVpp, results };
}

const weak = await run('weak');
const central = await run('central');
const s = (x: number) => `${x.toFixed(1)} s`;
const line = (name: string, r: Run) =>
  console.log(
    `  ${name.padEnd(28)} ${s(r.wall).padStart(8)} wall (${(r.wall / central.wall).toFixed(2)}x central), ${s(r.cpu).padStart(8)} CPU (${(r.cpu / central.cpu).toFixed(2)}x), ${(r.cpu / r.wall).toFixed(2)} cores used; per VPP median ${s(median(r.perVpp))}, worst ${s(Math.max(...r.perVpp))}`,
  );
console.log(
  `\nwall and CPU time for all ${VPPS * PROSUMERS} prosumers (traditional baseline included in both):`,
);
line('weak market (secure sums)', weak);
line('central HiGHS (reference)', central);
const optimum = central.results.map((r) => r.result.totalCost);
const trueGaps = weak.results.map((r, i) => (r.result.totalCost - optimum[i]!) / Math.abs(optimum[i]!));
const certified = weak.results.map((r) => r.result.certifiedGap ?? Number.POSITIVE_INFINITY);
const its = weak.results.map((r) => r.result.iterations);
console.log(
  `  weak: ${weak.results.filter((r) => r.result.converged).length}/${VPPS} converged; iterations median ${median(its)}, worst ${Math.max(...its)}; certified gap median ${(100 * median(certified)).toFixed(4)}%, worst ${(100 * Math.max(...certified)).toFixed(4)}%; true gap to HiGHS worst ${(100 * Math.max(...trueGaps)).toFixed(4)}%`,
);
console.log(
  `  goal: weak markets of ${VPPS * PROSUMERS} prosumers within ${GOAL_SECONDS} s: ${weak.wall <= GOAL_SECONDS ? 'met' : 'NOT met'} (${(weak.wall / GOAL_SECONDS).toFixed(2)}x the goal; on a quiet machine the wall time is about CPU / cores: ${s(weak.cpu / availableParallelism())}); load average now ${load()}`,
);
