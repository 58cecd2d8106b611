// "Actual" prosumer load and PV in a real-time slice. Source, in order of preference:
//  1. the real CLNR 1-minute measurements behind the half-hourly profile (a subset of columns is bundled in
//     market/data/clnr/*_1min_2013JUN.subset.csv, see its README), scaled like the scenario's profile; the
//     day-ahead forecast is the half-hourly mean of the same data, so this alone gives the real
//     intra-period variability (zero on average over a period);
//  2. otherwise the day-ahead profile itself (flat within the period).
// On top of either, a seeded forecast-error model: the actual of prosumer p in period t of day d is the
// base × max(0, 1 + σ·z), z standard normal drawn from a PRNG seeded by hash(seed, vpp, p, d, t, kind)
// (σ = loadSigma or pvSigma). Every run with the same seeds sees the same actuals.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLNR_DIR, type Season } from '../market/clnr.ts';
import { column, readCsv } from '../market/csv.ts';
import { seededRandom } from '../market/random.ts';
import type { Prosumer } from '../market/types.ts';
import type { Slice } from './timing.ts';

/**
 * Where a prosumer's profile came from: a CLNR column and the scale the scenario applied to it, or the
 * per-minute values of the user's own CSV when its rows are finer than a period (kW, already scaled).
 */
export interface ProfileSource {
  column: string;
  scale: number;
  minuteKw?: Float64Array;
}

export interface ProsumerSources {
  id: string;
  load?: ProfileSource;
  pv?: ProfileSource;
}

export interface ForecastErrorModel {
  seed: number;
  /** Relative standard deviation of the load forecast error per period (0.1 = 10%). */
  loadSigma: number;
  /** Relative standard deviation of the PV forecast error per period. */
  pvSigma: number;
}

export const DEFAULT_ERRORS: ForecastErrorModel = { seed: 1, loadSigma: 0.1, pvSigma: 0.2 };
export const NO_ERRORS: ForecastErrorModel = { seed: 0, loadSigma: 0, pvSigma: 0 };

/** 1-minute kW per CLNR column name (1440 values). */
export interface MinuteData {
  season: Season;
  load: Map<string, Float64Array>;
  pv: Map<string, Float64Array>;
}

export const MINUTE_FILES: Record<Season, { load: string; pv: string }> = {
  summer: { load: 'Loads_1min_2013JUN.subset.csv', pv: 'PVpu_1min_2013JUN.subset.csv' },
  winter: { load: 'Loads_1min_2014JAN.subset.csv', pv: 'PVpu_1min_2014JAN.subset.csv' },
};

const minuteCache = new Map<Season, MinuteData>();

/** The bundled 1-minute columns of a season (empty maps where no file is bundled). */
export function loadMinuteData(season: Season): MinuteData {
  const cached = minuteCache.get(season);
  if (cached) return cached;
  const read = (file: string) => {
    const out = new Map<string, Float64Array>();
    const path = join(CLNR_DIR, file);
    if (!existsSync(path)) return out;
    const table = readCsv(path);
    for (const name of table.header.slice(1)) out.set(name, Float64Array.from(column(table, name)));
    return out;
  };
  const data = { season, load: read(MINUTE_FILES[season].load), pv: read(MINUTE_FILES[season].pv) };
  minuteCache.set(season, data);
  return data;
}

/**
 * Profile sources from scenario JSON as written by market/generator.ts with `csvBase` (profiles as
 * `{ csv, column, scale }`); inline profiles have no source. Also returns the season of the CSVs.
 */
export function sourcesFromScenarioJson(json: Record<string, unknown>): {
  season: Season | undefined;
  sources: ProsumerSources[];
} {
  let season: Season | undefined;
  const source = (v: unknown): ProfileSource | undefined => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const o = v as { csv?: unknown; column?: unknown; scale?: unknown };
    if (typeof o.csv !== 'string' || (typeof o.column !== 'string' && typeof o.column !== 'number'))
      return undefined;
    // Only the CLNR tables name columns that the bundled 1-minute data has (a user's own CSV may use
    // the same column names for other homes).
    const clnr = /(^|[/\\])(Loads|PVpu)_(15|30)min_(2013JUN|2014JAN)\.csv$/.exec(o.csv);
    if (!clnr) return undefined;
    season = clnr[4] === '2013JUN' ? 'summer' : 'winter';
    return { column: String(o.column), scale: typeof o.scale === 'number' ? o.scale : 1 };
  };
  const prosumers = (json.prosumers ?? []) as Record<string, unknown>[];
  const sources = prosumers.map((p) => {
    const s: ProsumerSources = { id: String(p.id) };
    const load = source(p.load);
    const pv = source(p.pv);
    if (load) s.load = load;
    if (pv) s.pv = pv;
    return s;
  });
  return { season, sources };
}

/** 32-bit FNV-1a of a string: seeds the per-(prosumer, period) error draws. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A standard normal draw fixed by its key (Box-Muller on the seeded mulberry32 PRNG). */
export function normalFor(key: string): number {
  const random = seededRandom(hash32(key));
  const u1 = Math.max(random(), 1e-12);
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export interface ActualSlice {
  /** kWh over the slice. */
  loadKwh: number;
  pvKwh: number;
  /** Where the base came from, per quantity. */
  loadSource: '1min' | 'profile';
  pvSource: '1min' | 'profile' | 'none';
}

export interface ActualsContext {
  /** Identifies the VPP in the error draws (e.g. its name), so different VPPs draw differently. */
  vppKey: string;
  errors: ForecastErrorModel;
  minutes?: MinuteData;
  sources?: ProsumerSources;
}

/** Actual load and PV (kWh) of one prosumer over a slice. */
export function actualSlice(p: Prosumer, slice: Slice, ctx: ActualsContext): ActualSlice {
  const hours = slice.minutes / 60;
  const base = (
    kind: 'load' | 'pv',
    profileKw: number[],
    src: ProfileSource | undefined,
  ): { kwh: number; from: '1min' | 'profile' } => {
    const own = src?.minuteKw;
    const minutes = own ?? (src ? ctx.minutes?.[kind].get(src.column) : undefined);
    if (minutes && src) {
      let sum = 0;
      for (let m = slice.startMinute; m < slice.startMinute + slice.minutes; m++) sum += minutes[m]!;
      return { kwh: (sum / 60) * (own ? 1 : src.scale), from: '1min' };
    }
    return { kwh: profileKw[slice.period]! * hours, from: 'profile' };
  };
  const factor = (kind: 'load' | 'pv', sigma: number) => {
    if (sigma === 0) return 1;
    const z = normalFor(`${ctx.errors.seed}|${ctx.vppKey}|${p.id}|${slice.day}|${slice.period}|${kind}`);
    return Math.max(0, 1 + sigma * z);
  };
  const load = base('load', p.loadKw, ctx.sources?.load);
  const out: ActualSlice = {
    loadKwh: load.kwh * factor('load', ctx.errors.loadSigma),
    pvKwh: 0,
    loadSource: load.from,
    pvSource: 'none',
  };
  if (p.pvKw) {
    const pv = base('pv', p.pvKw, ctx.sources?.pv);
    out.pvKwh = pv.kwh * factor('pv', ctx.errors.pvSigma);
    out.pvSource = pv.from;
  }
  return out;
}
