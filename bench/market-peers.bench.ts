// The decentralised market without a coordinator or oracle, at scale (docs/performance.md, issue 12's
// bench row: ≤ 120 s with a certified gap ≤ 0.1% on this 2-core machine). Generated prosumers on the
// default sparse trading graph (degree 6), peers in worker threads (one group per core); each size is
// measured against a reference in the same run: the traditional market on the same prosumers (one solve
// each, the same worker set-up). Figures: wall time and its ratio, ADMM iterations, ticks (message
// rounds: offers, stop checks, masked gossip), certified gap, messages and bytes per iteration.
// BENCH_PEERS_SIZES=1000,10000 (default 1000) chooses the sizes.
import { loadavg } from 'node:os';
import { runDayAhead } from '../market/dayahead.ts';
import { generateScenario } from '../market/generator.ts';
import { parseScenario } from '../market/scenario.ts';

const sizes = (process.env.BENCH_PEERS_SIZES ?? '1000').split(',').map(Number);
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${(100 * x).toFixed(4)}%`;

console.log(`decentralised market, no oracle; load average at start ${loadavg()[0]!.toFixed(1)}`);
console.log(
  'prosumers | traditional s | decentralised s (ratio) | iterations | ticks | certified gap | converged | messages/iteration | MB/iteration',
);
for (const n of sizes) {
  const scenario = parseScenario(generateScenario({ prosumers: n, seed: 7 }));
  const r = await runDayAhead(scenario, { frameworks: ['traditional', 'decentralized'] });
  const base = r.frameworks.traditional!;
  const d = r.frameworks.decentralized!;
  const ticks = /after (\d+) ticks/.exec(d.note ?? '')?.[1] ?? '?';
  console.log(
    `${n} | ${base.seconds.toFixed(2)} | ${d.seconds.toFixed(1)} (${(d.seconds / base.seconds).toFixed(1)}×) | ${d.iterations} | ${ticks} | ${pct(d.certifiedGap)} | ${d.converged} | ${Math.round(d.messages / d.iterations)} | ${(d.bytes / d.iterations / 2 ** 20).toFixed(2)}`,
  );
  const within = d.seconds <= 120 && d.converged && (d.certifiedGap ?? 1) <= 1e-3;
  console.log(
    `  target (≤ 120 s, certified gap ≤ 0.1%): ${within ? 'met' : 'NOT met'}; load average now ${loadavg()[0]!.toFixed(1)}`,
  );
}
