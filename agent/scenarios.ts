// Demo set-up: the VPPs of a system scenario (agent/scenario/system.ts) as agents. The built-in demo —
// N VPPs with different prosumer mixes generated from the bundled CLNR data, one seed per VPP, owned by
// the genesis accounts vpp-1..vpp-N — is the scenario file agent/scenario/demo.json. Generated scenarios
// reference the CSV columns, which is how each home is mapped to its 1-minute data (agent/actuals.ts).

import { dirname } from 'node:path';
import type { ClearingOptions } from '../market/clearing.ts';
import type { Season } from '../market/clnr.ts';
import { runDayAhead } from '../market/dayahead.ts';
import type { DayAheadResult, FrameworkName, FrameworkResult } from '../market/result.ts';
import type { Scenario } from '../market/types.ts';
import { type Address, devKeyPair } from '../protocol/keys.ts';
import { DEFAULT_ERRORS, type ForecastErrorModel, type ProsumerSources } from './actuals.ts';
import { type ChainPort, VppAgent } from './agent.ts';
import { builtInDemoJson, DEMO_SCENARIO_FILE, parseSystemScenario } from './scenario/system.ts';
import type { IntervalMapping } from './timing.ts';

export interface DemoOptions {
  vpps: number;
  prosumersPerVpp: number;
  /** VPP i (1-based) is generated with seed seedBase + i (default: demo.json's seeds, 7000 + i). */
  seedBase?: number;
  season?: Season;
}

/** What an agent needs of its VPP. */
export interface AgentVpp {
  /** Display name; also keys the forecast-error draws. */
  name: string;
  address: Address;
  scenario: Scenario;
  /** CLNR column and scale (or own per-minute data) of each prosumer's load and PV, for the actuals. */
  sources: ProsumerSources[];
  season?: Season;
}

export interface DemoVpp extends AgentVpp {
  /** Genesis account name, `vpp-i`. */
  name: string;
  mix: string;
  seed: number;
}

/** The built-in demo's VPPs (agent/scenario/demo.json, cycled to `vpps`, `prosumersPerVpp` homes each). */
export function buildDemoVpps(options: Partial<DemoOptions> = {}): DemoVpp[] {
  const vpps = options.vpps ?? 3;
  if (!Number.isInteger(vpps) || vpps < 1) throw new RangeError('vpps must be a positive integer');
  const json = builtInDemoJson({
    vpps,
    prosumers: options.prosumersPerVpp ?? 10,
    ...(options.seedBase !== undefined ? { seedBase: options.seedBase } : {}),
    ...(options.season !== undefined ? { season: options.season } : {}),
  });
  const scenario = parseSystemScenario(json, dirname(DEMO_SCENARIO_FILE));
  return scenario.vpps.map((v, i) => ({
    ...v,
    address: devKeyPair(v.name).address,
    mix: v.label,
    seed: (json.vpps as { generate: { seed: number } }[])[i]!.generate.seed,
  }));
}

export interface VppDayAhead {
  /** The framework the VPP trades by (its schedules are the real-time baseline). */
  result: FrameworkResult;
  /** The traditional market on the same scenario: the baseline for savings. */
  traditional: FrameworkResult;
  /** Everything the market returned (for the day-ahead report). */
  all: DayAheadResult;
}

/** Progress of a VPP's day-ahead market: each framework as it starts, each iteration of a clearing. */
export interface DayAheadProgress {
  onStart?: (framework: FrameworkName) => void;
  onIteration?: NonNullable<ClearingOptions['onIteration']>;
}

/** Runs a VPP's day-ahead market with the chosen framework (and the traditional baseline). */
export async function runVppDayAhead(
  scenario: Scenario,
  framework: FrameworkName = 'weak',
  threads = 0,
  progress: DayAheadProgress = {},
): Promise<VppDayAhead> {
  const frameworks: FrameworkName[] =
    framework === 'traditional' ? ['traditional'] : [framework, 'traditional'];
  const r = await runDayAhead(scenario, {
    frameworks,
    threads,
    ...(progress.onIteration ? { clearing: { onIteration: progress.onIteration } } : {}),
    ...(progress.onStart ? { onStart: progress.onStart } : {}),
  });
  const result = r.frameworks[framework];
  const traditional = r.frameworks.traditional;
  if (!result || !traditional) throw new Error(`day-ahead market '${framework}' returned no result`);
  return { result, traditional, all: r };
}

export interface AgentOptions {
  framework?: FrameworkName;
  mapping?: IntervalMapping;
  errors?: ForecastErrorModel;
  forecast?: 'perfect' | 'persistence';
  threads?: number;
  progress?: DayAheadProgress;
}

/** A VPP's agent: runs its day-ahead market (framework configurable) and wires it to a port. */
export async function createVppAgent(
  vpp: AgentVpp,
  port: ChainPort,
  options: AgentOptions = {},
): Promise<{ agent: VppAgent; dayAhead: VppDayAhead }> {
  const da = await runVppDayAhead(
    vpp.scenario,
    options.framework ?? 'weak',
    options.threads ?? 0,
    options.progress,
  );
  return { agent: agentFor(vpp, port, da, options), dayAhead: da };
}

/** The agent of a VPP whose day-ahead market has cleared (e.g. when its interval mapping is known only then). */
export function agentFor(
  vpp: AgentVpp,
  port: ChainPort,
  da: VppDayAhead,
  options: Pick<AgentOptions, 'mapping' | 'errors' | 'forecast'> = {},
): VppAgent {
  return new VppAgent({
    name: vpp.name,
    address: vpp.address,
    scenario: vpp.scenario,
    dayAhead: da.result,
    traditional: da.traditional,
    port,
    errors: options.errors ?? DEFAULT_ERRORS,
    sources: vpp.sources,
    ...(vpp.season ? { season: vpp.season } : {}),
    ...(options.mapping ? { mapping: options.mapping } : {}),
    ...(options.forecast ? { forecast: options.forecast } : {}),
  });
}

/** A demo VPP's agent (createVppAgent without the day-ahead result). */
export async function createDemoAgent(
  vpp: AgentVpp,
  port: ChainPort,
  options: AgentOptions = {},
): Promise<VppAgent> {
  return (await createVppAgent(vpp, port, options)).agent;
}
