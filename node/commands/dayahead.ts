// `vppchain dayahead`: runs the day-ahead P2P market frameworks on a scenario (the bundled CLNR VPP by
// default, or a generated one) and prints a comparison table, the full result as JSON, or CSVs and an
// HTML report.
import { join } from 'node:path';
import type { ClearingOptions } from '../../market/clearing.ts';
import { DATA_DIR } from '../../market/clnr.ts';
import { runDayAhead } from '../../market/dayahead.ts';
import { generateScenario } from '../../market/generator.ts';
import type { GraphSpec } from '../../market/graph.ts';
import { writeReport } from '../../market/report/files.ts';
import { comparisonTable, prosumerTable } from '../../market/report/table.ts';
import { FRAMEWORKS, type FrameworkName, type HistoryEntry } from '../../market/result.ts';
import { loadScenario, parseScenario, ScenarioError } from '../../market/scenario.ts';
import type { Scenario } from '../../market/types.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

export const BUNDLED_SCENARIO = join(DATA_DIR, 'scenarios', 'clnr-summer-30.json');

const usage = [
  'dayahead [--scenario FILE | --prosumers N [--seed S] [--season summer|winter] [--periods 24|48|96]]',
  '         [--framework traditional|central|weak|decentralized|all] [--json] [--out DIR]',
  '         [--method admm|subgradient] [--rho X] [--peer-rho X] [--max-iterations N]',
  '         [--graph full|sparse] [--degree D] [--threads N] [--central-time-limit SECONDS]',
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
} as const;

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
    const framework = oneOf(values.framework, 'framework', [...FRAMEWORKS, 'all'], 'all');
    const frameworks: FrameworkName[] = framework === 'all' ? [...FRAMEWORKS] : [framework];
    const method = oneOf(values.method, 'method', ['admm', 'subgradient'], 'admm');
    if (method === 'subgradient' && framework === 'decentralized') {
      throw new UsageError('--method subgradient applies to the weakly-centralised market only');
    }
    const clearing: Partial<ClearingOptions> = { method };
    const rho = positiveNumber(values.rho, 'rho');
    if (rho !== undefined) clearing.rho = rho;
    if (values['max-iterations'] !== undefined)
      clearing.maxIterations = intFlag(values['max-iterations'], 'max-iterations', 500, 1, 1_000_000);
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
      clearing: {
        ...clearing,
        onIteration: (h, max) => bar.update(h, max),
      },
      peerRho: positiveNumber(values['peer-rho'], 'peer-rho'),
      centralTimeLimitSeconds: positiveNumber(values['central-time-limit'], 'central-time-limit'),
      onStart: (name) => {
        bar = progress(name);
      },
      onDone: () => bar.end(),
    });
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(comparisonTable(result));
      console.log('');
      console.log(prosumerTable(result));
    }
    if (values.out !== undefined) {
      const written = writeReport(values.out, result, scenario.tariffs);
      console.error(
        `wrote ${written.length} files to ${values.out} (open ${join(values.out, 'report.html')})`,
      );
    }
    return 0;
  },
};
export default command;
