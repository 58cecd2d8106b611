// Demo set-up: N VPPs with different prosumer mixes generated from the bundled CLNR data
// (market/generator.ts, one seed per VPP), owned by the genesis accounts vpp-1..vpp-N, and their day-ahead
// markets. The generated scenarios reference the CSV columns, which is how each home is mapped to its
// 1-minute data (agent/actuals.ts).

import { CLNR_DIR, type Season } from '../market/clnr.ts';
import { runDayAhead } from '../market/dayahead.ts';
import { type GeneratorOptions, generateScenario } from '../market/generator.ts';
import type { FrameworkName, FrameworkResult } from '../market/result.ts';
import { parseScenario } from '../market/scenario.ts';
import type { Scenario } from '../market/types.ts';
import { type Address, devKeyPair } from '../protocol/keys.ts';
import {
  DEFAULT_ERRORS,
  type ForecastErrorModel,
  type ProsumerSources,
  sourcesFromScenarioJson,
} from './actuals.ts';
import { type ChainPort, VppAgent } from './agent.ts';
import type { IntervalMapping } from './timing.ts';

/** Prosumer mixes, used in turn by vpp-1, vpp-2, ...: solar-rich, consumer-heavy, balanced. */
export const VPP_MIXES: readonly { label: string; options: Partial<GeneratorOptions> }[] = [
  { label: 'solar-rich', options: { pvShare: 0.8, batteryShare: 0.4, evShare: 0.1 } },
  { label: 'consumers', options: { pvShare: 0.2, batteryShare: 0.2, evShare: 0.3 } },
  { label: 'balanced', options: { pvShare: 0.5, batteryShare: 0.3, evShare: 0.2 } },
];

export interface DemoOptions {
  vpps: number;
  prosumersPerVpp: number;
  /** VPP i (1-based) is generated with seed seedBase + i. */
  seedBase: number;
  season: Season;
}

export const DEFAULT_DEMO: DemoOptions = { vpps: 3, prosumersPerVpp: 10, seedBase: 7000, season: 'summer' };

export interface DemoVpp {
  /** Genesis account name, `vpp-i`. */
  name: string;
  address: Address;
  mix: string;
  seed: number;
  scenario: Scenario;
  /** CLNR column and scale of each prosumer's load and PV (for the 1-minute actuals). */
  sources: ProsumerSources[];
  season: Season;
}

export function buildDemoVpps(options: Partial<DemoOptions> = {}): DemoVpp[] {
  const o = { ...DEFAULT_DEMO, ...options };
  if (!Number.isInteger(o.vpps) || o.vpps < 1) throw new RangeError('vpps must be a positive integer');
  return Array.from({ length: o.vpps }, (_, i) => {
    const name = `vpp-${i + 1}`;
    const mix = VPP_MIXES[i % VPP_MIXES.length]!;
    const seed = o.seedBase + i + 1;
    const json = generateScenario({
      ...mix.options,
      prosumers: o.prosumersPerVpp,
      seed,
      season: o.season,
      periods: 48,
      csvBase: CLNR_DIR,
    });
    json.name = `${name} (${mix.label}): ${String(json.name)}`;
    const scenario = parseScenario(json, CLNR_DIR);
    const { sources } = sourcesFromScenarioJson(json);
    return {
      name,
      address: devKeyPair(name).address,
      mix: mix.label,
      seed,
      scenario,
      sources,
      season: o.season,
    };
  });
}

export interface VppDayAhead {
  /** The framework the VPP trades by (its schedules are the real-time baseline). */
  result: FrameworkResult;
  /** The traditional market on the same scenario: the baseline for savings. */
  traditional: FrameworkResult;
}

/** Runs a VPP's day-ahead market with the chosen framework (and the traditional baseline). */
export async function runVppDayAhead(
  scenario: Scenario,
  framework: FrameworkName = 'weak',
  threads = 0,
): Promise<VppDayAhead> {
  const frameworks: FrameworkName[] =
    framework === 'traditional' ? ['traditional'] : [framework, 'traditional'];
  const r = await runDayAhead(scenario, { frameworks, threads });
  const result = r.frameworks[framework];
  const traditional = r.frameworks.traditional;
  if (!result || !traditional) throw new Error(`day-ahead market '${framework}' returned no result`);
  return { result, traditional };
}

/** A demo VPP's agent: runs its day-ahead market (framework configurable) and wires it to a port. */
export async function createDemoAgent(
  vpp: DemoVpp,
  port: ChainPort,
  options: {
    framework?: FrameworkName;
    mapping?: IntervalMapping;
    errors?: ForecastErrorModel;
    forecast?: 'perfect' | 'persistence';
    threads?: number;
  } = {},
): Promise<VppAgent> {
  const da = await runVppDayAhead(vpp.scenario, options.framework ?? 'weak', options.threads ?? 0);
  return new VppAgent({
    name: vpp.name,
    address: vpp.address,
    scenario: vpp.scenario,
    dayAhead: da.result,
    traditional: da.traditional,
    port,
    errors: options.errors ?? DEFAULT_ERRORS,
    sources: vpp.sources,
    season: vpp.season,
    ...(options.mapping ? { mapping: options.mapping } : {}),
    ...(options.forecast ? { forecast: options.forecast } : {}),
  });
}
