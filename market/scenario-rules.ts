// The rules of a scenario that its JSON Schema cannot state (scenario.ts runs the schema first): profile
// lengths and CSV columns against the scenario's periods, non-negative load and PV, feed-in at most
// retail, state-of-charge ordering, flexible-load windows inside the day and deliverable, unique ids.
// The checks are defensive — they run even when the schema found problems, skipping what has the wrong
// type (the schema already said so) — so that a user sees every problem at once. Each builds the typed
// value with its defaults at the same time.
import {
  type CsvProfileRef,
  type LoadedProfile,
  loadCsvProfile,
  ProfileError,
  type ProfileKind,
  type TableCache,
} from './profile.ts';
import type { Battery, FlexibleLoad, Generator, Prosumer, Tariffs } from './types.ts';

export type Json = unknown;
export type Obj = Record<string, Json>;

/** Where problems go, and how a path inside the checked object is shown (another file may embed it). */
export class Rules {
  readonly problems: string[] = [];
  readonly baseDir: string;
  readonly cache: TableCache;
  private readonly show: (path: string) => string;
  constructor(baseDir: string, show: (path: string) => string = (p) => p, cache: TableCache = new Map()) {
    this.baseDir = baseDir;
    this.show = show;
    this.cache = cache;
  }
  fail(path: string, message: string): undefined {
    const line = `${this.show(path)}: ${message}`;
    if (!this.problems.includes(line)) this.problems.push(line);
    return undefined;
  }
}

export const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A finite number, or undefined for anything else (absent, or a type the schema reported). */
export const num = (v: Json): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
const str = (v: Json): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** periods and periodMinutes (default 1440 / periods), which must cover one day. */
export function periodsOf(
  r: Rules,
  o: Obj,
  path = '$',
): { periods: number; periodMinutes: number } | undefined {
  const periods = num(o.periods);
  if (periods === undefined || !Number.isInteger(periods) || periods < 1 || periods > 1440) return undefined;
  const periodMinutes = o.periodMinutes === undefined ? 1440 / periods : num(o.periodMinutes);
  if (periodMinutes === undefined || periodMinutes <= 0) return undefined;
  if (Math.abs(periods * periodMinutes - 1440) > 1e-9)
    return r.fail(
      `${path}.periodMinutes`,
      `periods × periodMinutes must cover one day (1440 minutes), got ${periods} × ${periodMinutes}`,
    );
  return { periods, periodMinutes };
}

/** A profile: an inline array of `periods` values, or a CSV column mapped onto the periods. */
export function profileOf(
  r: Rules,
  v: Json,
  path: string,
  periods: number,
  kind: ProfileKind,
  nonNegative: boolean,
): LoadedProfile | undefined {
  let loaded: LoadedProfile;
  if (Array.isArray(v)) {
    if (!v.every((x) => num(x) !== undefined)) return undefined; // the schema named the cell
    if (v.length !== periods)
      return r.fail(path, `has ${v.length} values but the scenario has ${periods} periods`);
    loaded = { values: v as number[], rowMinutes: 1440 / periods };
  } else if (
    isObj(v) &&
    str(v.csv) !== undefined &&
    (typeof v.column === 'string' || Number.isInteger(v.column))
  ) {
    try {
      loaded = loadCsvProfile(v as unknown as CsvProfileRef, r.baseDir, periods, kind, r.cache);
    } catch (err) {
      if (err instanceof ProfileError) return r.fail(`${path}.${err.field}`, err.message);
      throw err;
    }
  } else return undefined;
  if (nonNegative) {
    const t = loaded.values.findIndex((x) => x < 0);
    if (t >= 0)
      return r.fail(
        Array.isArray(v) ? `${path}[${t}]` : path,
        `must be >= 0 (got ${loaded.values[t]}${Array.isArray(v) ? '' : ` in period ${t}`})`,
      );
  }
  return loaded;
}

export function tariffsOf(r: Rules, v: Json, path: string, periods: number): Tariffs | undefined {
  if (!isObj(v)) return undefined;
  const retail = profileOf(r, v.retail, `${path}.retail`, periods, 'price', false);
  const feedIn = profileOf(r, v.feedIn, `${path}.feedIn`, periods, 'price', false);
  const source = str(v.source);
  if (!retail || !feedIn || source === undefined) return undefined;
  // A feed-in price above the retail price would let anyone buy from the grid and sell straight back.
  for (let t = 0; t < periods; t++) {
    if (feedIn.values[t]! > retail.values[t]!)
      return r.fail(
        `${path}.feedIn${Array.isArray(v.feedIn) ? `[${t}]` : ''}`,
        `must not exceed retail (${feedIn.values[t]} > ${retail.values[t]}${Array.isArray(v.feedIn) ? '' : ` in period ${t}`})`,
      );
  }
  return { retail: retail.values, feedIn: feedIn.values, source };
}

/** What a prosumer's profiles hold beyond their period values: the per-minute data of finer CSVs. */
export interface ProsumerProfiles {
  id: string;
  loadMinutes?: Float64Array;
  pvMinutes?: Float64Array;
}

export function prosumerOf(
  r: Rules,
  v: Json,
  path: string,
  periods: number,
  hours: number,
): { prosumer: Prosumer; profiles: ProsumerProfiles } | undefined {
  if (!isObj(v)) return undefined;
  const id = str(v.id);
  const load = profileOf(r, v.load, `${path}.load`, periods, 'power', true);
  const pv = v.pv === undefined ? undefined : profileOf(r, v.pv, `${path}.pv`, periods, 'power', true);
  const battery = v.battery === undefined ? undefined : batteryOf(r, v.battery, `${path}.battery`);
  const generator = v.generator === undefined ? undefined : generatorOf(v.generator);
  const flexibleLoads: FlexibleLoad[] = [];
  let flexOk = true;
  if (Array.isArray(v.flexibleLoads))
    v.flexibleLoads.forEach((f, k) => {
      const parsed = flexibleLoadOf(r, f, `${path}.flexibleLoads[${k}]`, periods, hours);
      if (parsed) flexibleLoads.push(parsed);
      else flexOk = false;
    });
  else if (v.flexibleLoads !== undefined) flexOk = false;
  const partsOk =
    (v.pv === undefined || pv !== undefined) &&
    (v.battery === undefined || battery !== undefined) &&
    (v.generator === undefined || generator !== undefined) &&
    flexOk;
  if (id === undefined || !load || !partsOk) return undefined;
  const profiles: ProsumerProfiles = { id };
  if (load.minuteValues) profiles.loadMinutes = load.minuteValues;
  if (pv?.minuteValues) profiles.pvMinutes = pv.minuteValues;
  return {
    prosumer: {
      id,
      loadKw: load.values,
      flexibleLoads,
      ...(pv ? { pvKw: pv.values } : {}),
      ...(battery ? { battery } : {}),
      ...(generator ? { generator } : {}),
    },
    profiles,
  };
}

function batteryOf(r: Rules, v: Json, path: string): Battery | undefined {
  if (!isObj(v)) return undefined;
  const capacityKwh = num(v.capacityKwh);
  const b = {
    capacityKwh,
    socMinKwh: v.socMinKwh === undefined ? 0 : num(v.socMinKwh),
    socMaxKwh: v.socMaxKwh === undefined ? capacityKwh : num(v.socMaxKwh),
    initialKwh: num(v.initialKwh),
    chargeKw: num(v.chargeKw),
    dischargeKw: num(v.dischargeKw),
    chargeEfficiency: v.chargeEfficiency === undefined ? 0.95 : num(v.chargeEfficiency),
    dischargeEfficiency: v.dischargeEfficiency === undefined ? 0.95 : num(v.dischargeEfficiency),
    degradationCostPerKwh: v.degradationCostPerKwh === undefined ? 0 : num(v.degradationCostPerKwh),
  };
  // Ranges of single fields are the schema's; a value out of range leaves the battery unbuilt.
  const valid =
    Object.values(b).every((x) => x !== undefined && x >= 0) &&
    b.capacityKwh! > 0 &&
    b.chargeEfficiency! > 0 &&
    b.chargeEfficiency! <= 1 &&
    b.dischargeEfficiency! > 0 &&
    b.dischargeEfficiency! <= 1;
  if (!valid) return undefined;
  const { socMinKwh, socMaxKwh, initialKwh } = b as Battery;
  if (socMaxKwh > capacityKwh!)
    return r.fail(`${path}.socMaxKwh`, `must not exceed capacityKwh (${socMaxKwh} > ${capacityKwh})`);
  if (socMinKwh > socMaxKwh)
    return r.fail(`${path}.socMinKwh`, `must not exceed socMaxKwh (${socMinKwh} > ${socMaxKwh})`);
  if (initialKwh < socMinKwh || initialKwh > socMaxKwh)
    return r.fail(
      `${path}.initialKwh`,
      `must lie within [socMinKwh, socMaxKwh] = [${socMinKwh}, ${socMaxKwh}] (got ${initialKwh})`,
    );
  return b as Battery;
}

function flexibleLoadOf(
  r: Rules,
  v: Json,
  path: string,
  periods: number,
  hours: number,
): FlexibleLoad | undefined {
  if (!isObj(v)) return undefined;
  const name = v.name === undefined ? 'flexible load' : str(v.name);
  const energyKwh = num(v.energyKwh);
  const startPeriod = num(v.startPeriod);
  const endPeriod = num(v.endPeriod);
  const minKw = v.minKw === undefined ? 0 : num(v.minKw);
  const maxKw = num(v.maxKw);
  if (startPeriod !== undefined && Number.isInteger(startPeriod) && startPeriod > periods - 1)
    r.fail(
      `${path}.startPeriod`,
      `must be <= ${periods - 1} (got ${startPeriod}; the day has ${periods} periods)`,
    );
  if (endPeriod !== undefined && Number.isInteger(endPeriod) && endPeriod > periods)
    r.fail(`${path}.endPeriod`, `must be <= ${periods} (got ${endPeriod}; the day has ${periods} periods)`);
  if (
    name === undefined ||
    energyKwh === undefined ||
    energyKwh < 0 ||
    startPeriod === undefined ||
    !Number.isInteger(startPeriod) ||
    startPeriod < 0 ||
    startPeriod > periods - 1 ||
    endPeriod === undefined ||
    !Number.isInteger(endPeriod) ||
    endPeriod < 1 ||
    endPeriod > periods ||
    minKw === undefined ||
    minKw < 0 ||
    maxKw === undefined ||
    maxKw <= 0
  )
    return undefined;
  if (endPeriod <= startPeriod)
    return r.fail(`${path}.endPeriod`, `must be after startPeriod (${endPeriod} <= ${startPeriod})`);
  if (minKw > maxKw) return r.fail(`${path}.minKw`, `must not exceed maxKw (${minKw} > ${maxKw})`);
  const span = (endPeriod - startPeriod) * hours;
  if (energyKwh > maxKw * span + 1e-9)
    return r.fail(
      `${path}.energyKwh`,
      `infeasible window: ${energyKwh} kWh cannot be delivered in periods [${startPeriod}, ${endPeriod}) at most ${maxKw} kW (max ${(maxKw * span).toFixed(3)} kWh)`,
    );
  if (energyKwh < minKw * span - 1e-9)
    return r.fail(
      `${path}.energyKwh`,
      `infeasible window: minKw ${minKw} over periods [${startPeriod}, ${endPeriod}) already delivers ${(minKw * span).toFixed(3)} kWh`,
    );
  return { name, energyKwh, startPeriod, endPeriod, minKw, maxKw };
}

function generatorOf(v: Json): Generator | undefined {
  if (!isObj(v)) return undefined;
  const maxKw = num(v.maxKw);
  const marginalCostPerKwh = num(v.marginalCostPerKwh);
  if (maxKw === undefined || maxKw < 0 || marginalCostPerKwh === undefined || marginalCostPerKwh < 0)
    return undefined;
  return { maxKw, marginalCostPerKwh };
}

/** Every prosumer of an array, with duplicate ids named. */
export function prosumersOf(
  r: Rules,
  v: Json,
  path: string,
  periods: number,
  hours: number,
): { prosumers: Prosumer[]; profiles: ProsumerProfiles[] } | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const prosumers: Prosumer[] = [];
  const profiles: ProsumerProfiles[] = [];
  const seen = new Set<string>();
  let ok = true;
  v.forEach((p, i) => {
    const parsed = prosumerOf(r, p, `${path}[${i}]`, periods, hours);
    const id = isObj(p) ? str(p.id) : undefined;
    if (id !== undefined && seen.has(id)) {
      r.fail(`${path}[${i}].id`, `duplicate id '${id}'`);
      ok = false;
    }
    if (id !== undefined) seen.add(id);
    if (!parsed) {
      ok = false;
      return;
    }
    prosumers.push(parsed.prosumer);
    profiles.push(parsed.profiles);
  });
  return ok ? { prosumers, profiles } : undefined;
}
