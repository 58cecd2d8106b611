// `vppchain dayahead`: runs the day-ahead P2P market frameworks on a scenario (the bundled CLNR VPP by
// default, or a generated one) and prints a comparison table, the full result as JSON, or CSVs and an
// HTML report. With --vpp FILE it is the VPP's coordinator of a networked weak market instead: it
// listens for its prosumers (`vppchain prosumer run`), clears with them over the secure-sum protocol and
// never loads a prosumer's data. Distributed methods need no central solve; --reference adds one
// (research: the true gap beside the certified one).
import { join } from 'node:path';
import type { ClearingOptions } from '../../market/clearing.ts';
import { DATA_DIR } from '../../market/clnr.ts';
import { runDayAhead } from '../../market/dayahead.ts';
import { generateScenario } from '../../market/generator.ts';
import type { GraphSpec } from '../../market/graph.ts';
import { SessionError } from '../../market/pool/session.ts';
import { writeReport } from '../../market/report/files.ts';
import { comparisonTable, prosumerTable } from '../../market/report/table.ts';
import {
  type DayAheadResult,
  FRAMEWORKS,
  type FrameworkName,
  type HistoryEntry,
} from '../../market/result.ts';
import { loadScenario, parseScenario, ScenarioError } from '../../market/scenario.ts';
import type { Scenario, Tariffs } from '../../market/types.ts';
import { loadVppFile } from '../../market-net/files.ts';
import { clearOverNetwork, NoProsumersError } from '../../market-net/vpp.ts';
import { loadOrCreatePeerKey } from '../../p2p/identity.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

export const BUNDLED_SCENARIO = join(DATA_DIR, 'scenarios', 'clnr-summer-30.json');

const usage = [
  'dayahead [--scenario FILE | --prosumers N [--seed S] [--season summer|winter] [--periods 24|48|96]]',
  '         [--framework traditional|central|weak|decentralized|all] [--json] [--out DIR]',
  '         [--method admm|subgradient] [--rho X] [--peer-rho X] [--max-iterations N]',
  '         [--graph full|sparse] [--degree D] [--threads N] [--central-time-limit SECONDS]',
  '         [--reference] [--reveal-schedules] [--mask-degree K]',
  'dayahead --vpp FILE [--listen MULTIADDR] [--key FILE] [--wait SECONDS] [--round-deadline SECONDS]',
  '         [--method ...] [--rho X] [--max-iterations N] [--mask-degree K] [--reveal-schedules] [--json] [--out DIR]',
  '  --reference         also solve the central LP with HiGHS (all private data; research) to report true gaps',
  '  --reveal-schedules  research mode: the weak market asks prosumers for their schedules (labelled)',
].join('\n');

const options = {
  scenario: { type: 'string' },
  prosumers: { type: 'string' },
  seed: { type: 'string' },
  season: { type: 'string' },
  periods: { type: 'string' },
  framework: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  method: { type: 'string' },
  rho: { type: 'string' },
  'peer-rho': { type: 'string' },
  'max-iterations': { type: 'string' },
  graph: { type: 'string' },
  degree: { type: 'string' },
  threads: { type: 'string' },
  'central-time-limit': { type: 'string' },
  reference: { type: 'boolean' },
  'reveal-schedules': { type: 'boolean' },
  'mask-degree': { type: 'string' },
  vpp: { type: 'string' },
  listen: { type: 'string' },
  key: { type: 'string' },
  wait: { type: 'string' },
  'round-deadline': { type: 'string' },
} as const;

/** Flags of the simulation that a networked market has no use for (it holds no scenario). */
const SIMULATION_ONLY = [
  'scenario',
  'prosumers',
  'seed',
  'season',
  'periods',
  'framework',
  'peer-rho',
  'graph',
  'degree',
  'threads',
  'central-time-limit',
  'reference',
] as const;
const NETWORK_ONLY = ['listen', 'key', 'wait', 'round-deadline'] as const;

function positiveNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!/^\d*\.?\d+(e-?\d+)?$/i.test(value) || !Number.isFinite(x) || x <= 0) {
    throw new UsageError(`--${name} must be a positive number, got '${value}'`);
  }
  return x;
}

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join('|')}, got '${value}'`);
  return value as T;
}

function scenarioFrom(values: Record<string, string | boolean | undefined>): Scenario {
  const generatorFlags = ['prosumers', 'seed', 'season', 'periods'].filter((f) => values[f] !== undefined);
  if (values.scenario !== undefined && generatorFlags.length > 0) {
    throw new UsageError(`--scenario cannot be combined with --${generatorFlags.join(', --')}`);
  }
  try {
    if (typeof values.scenario === 'string') return loadScenario(values.scenario);
    if (generatorFlags.length === 0) return loadScenario(BUNDLED_SCENARIO);
    if (values.prosumers === undefined) throw new UsageError(`--${generatorFlags[0]} needs --prosumers N`);
    const periods = Number(
      oneOf(values.periods as string | undefined, 'periods', ['24', '48', '96'], '48'),
    ) as 24 | 48 | 96;
    return parseScenario(
      generateScenario({
        prosumers: intFlag(values.prosumers as string, 'prosumers', 30, 1, 100_000),
        seed: intFlag(values.seed as string | undefined, 'seed', 1, 0, 2 ** 31),
        season: oneOf(values.season as string | undefined, 'season', ['summer', 'winter'] as const, 'summer'),
        periods,
      }),
    );
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
}

/** A one-line progress bar on stderr, redrawn in place on a terminal and silent otherwise. */
function progress(label: string) {
  const tty = process.stderr.isTTY === true;
  return {
    update(h: HistoryEntry, max: number) {
      if (!tty) return;
      const width = 30;
      const done = Math.round((width * h.iteration) / max);
      const gap = h.gap === null ? '' : ` gap ${(100 * h.gap).toFixed(4)}%`;
      process.stderr.write(
        `\r${label.padEnd(14)} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${h.iteration}/${max} imbalance ${h.relativeImbalance.toExponential(1)}${gap}   `,
      );
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

const command: Command = {
  name: 'dayahead',
  summary:
    'day-ahead P2P market inside a VPP: traditional baseline, central HiGHS optimum, weakly-centralised and\n' +
    'decentralised Lagrangian clearing (ADMM). Without --scenario it runs the bundled CLNR summer VPP.',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, options);
    const method = oneOf(values.method, 'method', ['admm', 'subgradient'], 'admm');
    const clearing: Partial<ClearingOptions> = { method };
    const rho = positiveNumber(values.rho, 'rho');
    if (rho !== undefined) clearing.rho = rho;
    if (values['max-iterations'] !== undefined)
      clearing.maxIterations = intFlag(values['max-iterations'], 'max-iterations', 500, 1, 1_000_000);
    const maskDegree =
      values['mask-degree'] === undefined
        ? undefined
        : intFlag(values['mask-degree'], 'mask-degree', 0, 1, 1024);
    const reveal = values['reveal-schedules'] === true;
    let outcome: { result: DayAheadResult; tariffs: Tariffs };
    try {
      outcome =
        values.vpp !== undefined
          ? await networked(values, clearing, maskDegree, reveal)
          : await simulated(values, clearing, maskDegree, reveal);
    } catch (err) {
      // A market that cannot start (nobody connected, every prosumer failed its set-up) is reported
      // plainly, exit code 1.
      if (err instanceof NoProsumersError || err instanceof SessionError) {
        console.error(`vppchain: ${err.message}`);
        return 1;
      }
      throw err;
    }
    const { result, tariffs } = outcome;
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(comparisonTable(result));
      const bills = prosumerTable(result);
      if (bills) console.log(`\n${bills}`);
    }
    if (values.out !== undefined) {
      const written = await writeReport(values.out, result, tariffs);
      console.error(
        `wrote ${written.length} files to ${values.out} (open ${join(values.out, 'report.html')})`,
      );
    }
    return 0;
  },
};

type Values = ReturnType<typeof parseFlags<typeof options>>['values'];

async function simulated(
  values: Values,
  clearing: Partial<ClearingOptions>,
  maskDegree: number | undefined,
  reveal: boolean,
): Promise<{ result: DayAheadResult; tariffs: Tariffs }> {
  const misplaced = NETWORK_ONLY.filter((f) => values[f] !== undefined);
  if (misplaced.length > 0) throw new UsageError(`--${misplaced[0]} needs --vpp FILE`);
  const framework = oneOf(values.framework, 'framework', [...FRAMEWORKS, 'all'], 'all');
  const frameworks: FrameworkName[] = framework === 'all' ? [...FRAMEWORKS] : [framework];
  const graphKind = oneOf(values.graph, 'graph', ['full', 'sparse'], 'full');
  if (values.degree !== undefined && graphKind !== 'sparse')
    throw new UsageError('--degree needs --graph sparse');
  const graph: GraphSpec | undefined =
    values.graph === undefined
      ? undefined
      : graphKind === 'full'
        ? { type: 'full' }
        : { type: 'sparse', degree: intFlag(values.degree, 'degree', 6, 2, 1000), seed: 1 };
  const threads = values.threads === undefined ? undefined : intFlag(values.threads, 'threads', 2, 0, 256);
  const scenario = scenarioFrom(values);
  let bar = progress('');
  const result = await runDayAhead(scenario, {
    frameworks,
    threads,
    graph,
    clearing: { ...clearing, onIteration: (h, max) => bar.update(h, max) },
    peerRho: positiveNumber(values['peer-rho'], 'peer-rho'),
    centralTimeLimitSeconds: positiveNumber(values['central-time-limit'], 'central-time-limit'),
    reference: values.reference === true,
    revealSchedules: reveal,
    ...(maskDegree !== undefined ? { maskDegree } : {}),
    onStart: (name) => {
      bar = progress(name);
    },
    onDone: () => bar.end(),
  });
  return { result, tariffs: scenario.tariffs };
}

async function networked(
  values: Values,
  clearing: Partial<ClearingOptions>,
  maskDegree: number | undefined,
  reveal: boolean,
): Promise<{ result: DayAheadResult; tariffs: Tariffs }> {
  const misplaced = SIMULATION_ONLY.filter((f) => values[f] !== undefined);
  if (misplaced.length > 0) throw new UsageError(`--${misplaced[0]} cannot be combined with --vpp`);
  let roster: ReturnType<typeof loadVppFile>;
  try {
    roster = loadVppFile(values.vpp!);
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
  const waitMs = 1000 * (positiveNumber(values.wait, 'wait') ?? 60);
  const roundDeadline = positiveNumber(values['round-deadline'], 'round-deadline');
  const privateKey = await loadOrCreatePeerKey(values.key ?? join(dirnameOf(values.vpp!), 'vpp-peer-key'));
  let bar = progress('weak');
  const result = await clearOverNetwork({
    roster,
    privateKey,
    listen: [values.listen ?? '/ip4/127.0.0.1/tcp/0'],
    waitMs,
    clearing: { ...clearing, onIteration: (h, max) => bar.update(h, max) },
    reveal,
    ...(maskDegree !== undefined ? { maskDegree } : {}),
    ...(roundDeadline !== undefined ? { roundDeadlineMs: 1000 * roundDeadline } : {}),
    // On stderr, so that --json output stays one JSON document.
    onListening: (addresses) => console.error(`vpp listening on ${addresses.join(' ')}`),
    log: (line) => {
      bar.end();
      console.error(`vpp: ${line}`);
      bar = progress('weak');
    },
  });
  bar.end();
  return { result, tariffs: roster.tariffs };
}

const dirnameOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) || '/' : '.');

export default command;
