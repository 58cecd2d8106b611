// System scenarios: a whole run of the system (`vppchain demo --scenario FILE`) as one JSON file — the VPPs
// and their prosumers (inline, from day-ahead scenario files, or generated from the bundled CLNR data),
// tariffs, real-time grid prices, the interval length and count, block time and confirmation depth, and
// the forecast-error model. Checked with ajv against system.schema.json, then by hand for what a schema
// cannot state; every problem is reported at once with its JSON path. The built-in demo is one such
// file (demo.json beside this one).
//
// Why in agent/: a scenario describes what the VPP agents run (their prosumers, profiles, tariffs and
// forecast errors) and needs only the market (scenario files, CSV profiles, the generator) and the
// agents' own types; agent/ may import market/ and protocol/, and node/ (which reads the chain figures
// into the demo's genesis) may import agent/. Nothing here touches the chain.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { bundledTariffs, CLNR_DIR, type Resolution, type Season } from '../../market/clnr.ts';
import { type GeneratorOptions, generateScenario } from '../../market/generator.ts';
import { addSchemas, schemaProblems, validatorFor } from '../../market/json-schema.ts';
import type { TableCache } from '../../market/profile.ts';
import {
  loadScenarioDetail,
  parseScenarioDetail,
  SCENARIO_SCHEMA,
  ScenarioError,
} from '../../market/scenario.ts';
import { isObj, type Obj, prosumersOf, Rules, tariffsOf } from '../../market/scenario-rules.ts';
import type { Scenario, Tariffs } from '../../market/types.ts';
import {
  DEFAULT_ERRORS,
  type ForecastErrorModel,
  type ProsumerSources,
  sourcesFromScenarioJson,
} from '../actuals.ts';
import systemSchemaJson from './system.schema.json' with { type: 'json' };

export const SYSTEM_SCHEMA = systemSchemaJson as { $id: string } & Record<string, unknown>;
/** The built-in demo (what `npm start` runs). */
export const DEMO_SCENARIO_FILE = new URL('./demo.json', import.meta.url).pathname;

export type DayAheadFramework = 'weak' | 'decentralized' | 'central';

export interface SystemVpp {
  /** Display name (unique in the scenario); also keys the VPP's forecast-error draws. */
  name: string;
  /** A few words on the VPP, e.g. its mix or where its prosumers come from. */
  label: string;
  scenario: Scenario;
  /** Per prosumer: the CLNR column behind its profile, or its own per-minute data (the real-time actuals). */
  sources: ProsumerSources[];
  /** Season of the CLNR data behind generated prosumers (enables the bundled 1-minute actuals). */
  season?: Season;
}

export interface SystemScenario {
  name: string;
  description: string;
  /** Where it was read from (undefined when built in memory). */
  file?: string;
  framework: DayAheadFramework;
  /** Intervals to run, 0 = until stopped. */
  intervals: number;
  /** Minute of the day where the first interval starts, and simulated minutes per interval. */
  startMinute: number;
  minutesPerInterval: number;
  chain: { intervalMs: number; blockTimeMs: number; minConfirmations: number };
  /** The grid's real-time prices in base units per kWh, where the scenario sets them (else genesis.json's). */
  gridPrices: Partial<
    Record<'gridSellPrice' | 'gridBuyPrice' | 'imbalanceShortPrice' | 'imbalanceLongPrice', number>
  >;
  errors: ForecastErrorModel;
  nowcast: 'perfect' | 'persistence';
  vpps: SystemVpp[];
}

const UNITS_PER_GBP = 1_000_000;

/** Reads and checks a system scenario file; every relative path in it is relative to the file. */
export function loadSystemScenario(path: string): SystemScenario {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError([`${path}: ${(err as Error).message}`]);
  }
  return { ...parseSystemScenario(json, dirname(resolve(path))), file: resolve(path) };
}

export function parseSystemScenario(json: unknown, baseDir: string): SystemScenario {
  addSchemas(SCENARIO_SCHEMA);
  const problems = schemaProblems(validatorFor(SYSTEM_SCHEMA), json);
  if (!isObj(json)) throw new ScenarioError(problems);
  const r = new Rules(baseDir);
  const cache: TableCache = r.cache;
  const vppsJson = Array.isArray(json.vpps) ? json.vpps : [];
  const minutesPerInterval = typeof json.minutesPerInterval === 'number' ? json.minutesPerInterval : 5;
  const names = new Set<string>();
  const vpps: SystemVpp[] = [];
  vppsJson.forEach((v, i) => {
    if (!isObj(v)) return;
    const path = `$.vpps[${i}]`;
    if (typeof v.name === 'string') {
      if (names.has(v.name)) r.fail(`${path}.name`, `duplicate VPP name '${v.name}'`);
      names.add(v.name);
    }
    const built = vppOf(r, json, v, path, baseDir, cache, problems.length > 0);
    if (!built) return;
    if (built.scenario.periodMinutes % minutesPerInterval !== 0)
      r.fail(
        '$.minutesPerInterval',
        `must divide ${built.name}'s day-ahead period of ${built.scenario.periodMinutes} minutes (got ${minutesPerInterval})`,
      );
    vpps.push(built);
  });
  const startTime = typeof json.startTime === 'string' ? json.startTime : '11:00';
  const [hh, mm] = startTime.split(':').map(Number);
  const startMinute = hh! * 60 + mm!;
  if (Number.isInteger(startMinute) && startMinute % minutesPerInterval !== 0)
    r.fail(
      '$.startTime',
      `must be a multiple of minutesPerInterval (${minutesPerInterval} minutes) (got ${startTime})`,
    );
  const chainJson = isObj(json.chain) ? json.chain : {};
  const chain = {
    intervalMs: typeof chainJson.intervalMs === 'number' ? chainJson.intervalMs : 12_000,
    blockTimeMs: typeof chainJson.blockTimeMs === 'number' ? chainJson.blockTimeMs : 1000,
    minConfirmations: typeof chainJson.minConfirmations === 'number' ? chainJson.minConfirmations : 2,
  };
  if (chain.blockTimeMs * 3 > chain.intervalMs)
    r.fail(
      '$.chain.intervalMs',
      `must be at least three block times (${3 * chain.blockTimeMs} ms) (got ${chain.intervalMs})`,
    );
  const gridPrices = gridPricesOf(r, json.gridPrices);
  const forecast = isObj(json.forecast) ? json.forecast : {};
  const all = [...problems, ...r.problems];
  if (all.length > 0) throw new ScenarioError(all);
  return {
    name: String(json.name),
    description: typeof json.description === 'string' ? json.description : '',
    framework: (json.framework as DayAheadFramework | undefined) ?? 'weak',
    intervals: typeof json.intervals === 'number' ? json.intervals : 0,
    startMinute,
    minutesPerInterval,
    chain,
    gridPrices,
    errors: {
      seed: typeof forecast.seed === 'number' ? forecast.seed : DEFAULT_ERRORS.seed,
      loadSigma: typeof forecast.loadSigma === 'number' ? forecast.loadSigma : DEFAULT_ERRORS.loadSigma,
      pvSigma: typeof forecast.pvSigma === 'number' ? forecast.pvSigma : DEFAULT_ERRORS.pvSigma,
    },
    nowcast: forecast.nowcast === 'persistence' ? 'persistence' : 'perfect',
    vpps,
  };
}

function gridPricesOf(r: Rules, v: unknown): SystemScenario['gridPrices'] {
  if (!isObj(v)) return {};
  const units = (x: unknown) => (typeof x === 'number' ? Math.round(x * UNITS_PER_GBP) : undefined);
  const out: SystemScenario['gridPrices'] = {};
  const set = (k: keyof SystemScenario['gridPrices'], x: unknown) => {
    const u = units(x);
    if (u !== undefined) out[k] = u;
  };
  set('gridSellPrice', v.sell);
  set('gridBuyPrice', v.buy);
  set('imbalanceShortPrice', v.imbalanceShort);
  set('imbalanceLongPrice', v.imbalanceLong);
  if (typeof v.buy === 'number' && typeof v.sell === 'number' && v.buy > v.sell)
    r.fail('$.gridPrices.buy', `must not exceed sell (${v.buy} > ${v.sell})`);
  if (
    typeof v.imbalanceLong === 'number' &&
    typeof v.imbalanceShort === 'number' &&
    v.imbalanceLong > v.imbalanceShort
  )
    r.fail(
      '$.gridPrices.imbalanceLong',
      `must not exceed imbalanceShort (${v.imbalanceLong} > ${v.imbalanceShort})`,
    );
  return out;
}

/** A VPP's tariffs: its own, else the scenario's, else `fallback` (a scenario file's, or the bundled ones). */
function tariffsFor(
  r: Rules,
  root: Obj,
  v: Obj,
  path: string,
  periods: number,
  fallback: () => Tariffs | undefined,
): Tariffs | undefined {
  if (v.tariffs !== undefined) return tariffsOf(r, v.tariffs, `${path}.tariffs`, periods);
  const own = fallback();
  if (own) return own;
  if (root.tariffs !== undefined) return tariffsOf(r, root.tariffs, '$.tariffs', periods);
  if (periods === 24 || periods === 48 || periods === 96) return bundledTariffs(periods as Resolution);
  return r.fail(
    `${path}.tariffs`,
    `is required: the bundled tariffs have 24, 48 or 96 periods, this VPP has ${periods}`,
  );
}

function vppOf(
  r: Rules,
  root: Obj,
  v: Obj,
  path: string,
  baseDir: string,
  cache: TableCache,
  schemaFailed: boolean,
): SystemVpp | undefined {
  const kinds = (['prosumers', 'scenario', 'generate'] as const).filter((k) => v[k] !== undefined);
  if (kinds.length !== 1) {
    r.fail(
      path,
      kinds.length === 0
        ? 'needs its prosumers: one of "prosumers" (inline), "scenario" (a day-ahead scenario file) or "generate"'
        : `has ${kinds.map((k) => `"${k}"`).join(' and ')}: give exactly one source of prosumers`,
    );
    return undefined;
  }
  // Inline prosumers and scenario files are checked even when the schema found problems elsewhere (so
  // every problem is reported at once); a generator is run only on options the schema accepted.
  if (typeof v.name !== 'string' || (kinds[0] === 'generate' && schemaFailed)) return undefined;
  const name = v.name;
  const label = typeof v.label === 'string' ? v.label : '';
  if (kinds[0] === 'generate') {
    const g = v.generate as Partial<GeneratorOptions> & { prosumers: number };
    const json = generateScenario({ ...g, csvBase: CLNR_DIR });
    json.name = `${name}${label ? ` (${label})` : ''}: ${String(json.name)}`;
    const periods = json.periods as number;
    const tariffs = tariffsFor(r, root, v, path, periods, () => undefined);
    if (!tariffs) return undefined;
    const detail = parseScenarioDetail(json, CLNR_DIR);
    const { sources, season } = sourcesFromScenarioJson(json);
    return {
      name,
      label: label || `generated, seed ${g.seed ?? 1}`,
      scenario: { ...detail.scenario, tariffs },
      sources,
      ...(season ? { season } : {}),
    };
  }
  if (kinds[0] === 'scenario') {
    const file = resolve(baseDir, String(v.scenario));
    let detail: ReturnType<typeof loadScenarioDetail>;
    let json: Obj;
    try {
      detail = loadScenarioDetail(file, cache);
      json = JSON.parse(readFileSync(file, 'utf8')) as Obj;
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      for (const p of err.problems) r.fail(`${path}.scenario`, `${v.scenario}: ${p}`);
      return undefined;
    }
    const tariffs = tariffsFor(r, root, v, path, detail.scenario.periods, () => detail.scenario.tariffs);
    if (!tariffs) return undefined;
    const { sources, season } = sourcesFromScenarioJson(json);
    return {
      name,
      label: label || `from ${basename(file)}`,
      scenario: { ...detail.scenario, name: `${name}: ${detail.scenario.name}`, tariffs },
      sources: withMinuteData(sources, detail.profiles),
      ...(season ? { season } : {}),
    };
  }
  // Inline prosumers, profiles inline or from CSV files relative to the system scenario.
  const periods = typeof v.periods === 'number' ? v.periods : 48;
  if (1440 % periods !== 0) {
    r.fail(`${path}.periods`, `must divide the day into whole minutes (1440 / ${periods} is not whole)`);
    return undefined;
  }
  const periodMinutes = 1440 / periods;
  const tariffs = tariffsFor(r, root, v, path, periods, () => undefined);
  const members = prosumersOf(r, v.prosumers, `${path}.prosumers`, periods, periodMinutes / 60);
  if (!tariffs || !members) return undefined;
  const sources: ProsumerSources[] = members.prosumers.map((p) => ({ id: p.id }));
  return {
    name,
    label: label || `${members.prosumers.length} prosumers`,
    scenario: {
      name,
      description: label,
      currency: 'GBP',
      periods,
      periodMinutes,
      tariffs,
      prosumers: members.prosumers,
    },
    sources: withMinuteData(sources, members.profiles),
  };
}

/** Adds the per-minute data of CSV profiles finer than a period to the prosumers' sources. */
function withMinuteData(
  sources: ProsumerSources[],
  profiles: { id: string; loadMinutes?: Float64Array; pvMinutes?: Float64Array }[],
): ProsumerSources[] {
  return sources.map((s, i) => {
    const p = profiles[i];
    if (!p) return s;
    const out: ProsumerSources = { ...s };
    if (p.loadMinutes) out.load = { column: 'own CSV', scale: 1, minuteKw: p.loadMinutes };
    if (p.pvMinutes) out.pv = { column: 'own CSV', scale: 1, minuteKw: p.pvMinutes };
    return out;
  });
}

/**
 * The built-in demo's JSON with its VPPs cycled to `vpps` (vpp-i takes the mix of vpp-((i-1) mod 3 + 1)
 * and seed 7000 + i, or seedBase + i) and, if given, `prosumers` homes each: what `--vpps` and
 * `--prosumers` change.
 */
export function builtInDemoJson(
  o: { vpps?: number; prosumers?: number; seedBase?: number; season?: Season } = {},
): Obj {
  const json = JSON.parse(readFileSync(DEMO_SCENARIO_FILE, 'utf8')) as Obj & { vpps: Obj[] };
  const base = json.vpps;
  const n = o.vpps ?? base.length;
  json.vpps = Array.from({ length: n }, (_, i) => {
    const v = structuredClone(base[i % base.length]!) as Obj & { generate: Obj & { seed: number } };
    v.name = `vpp-${i + 1}`;
    v.generate.seed =
      o.seedBase !== undefined
        ? o.seedBase + i + 1
        : v.generate.seed + base.length * Math.floor(i / base.length);
    if (o.prosumers !== undefined) v.generate.prosumers = o.prosumers;
    if (o.season !== undefined) v.generate.season = o.season;
    return v;
  });
  // The file's name says "three VPPs of ten CLNR homes": say what was asked for instead.
  const homes = json.vpps.map((v) => (v as { generate: { prosumers: number } }).generate.prosumers);
  if (n !== base.length || o.prosumers !== undefined)
    json.name = `Built-in demo: ${plural(n, 'VPP')} of ${homes.every((h) => h === homes[0]) ? plural(homes[0]!, 'CLNR home') : 'CLNR homes'}`;
  return json;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The built-in demo as a system scenario. */
export function builtInDemo(o: Parameters<typeof builtInDemoJson>[0] = {}): SystemScenario {
  return {
    ...parseSystemScenario(builtInDemoJson(o), dirname(DEMO_SCENARIO_FILE)),
    file: DEMO_SCENARIO_FILE,
  };
}
