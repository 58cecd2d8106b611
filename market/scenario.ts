// Scenario files: parsing and validation with errors that name the offending field (JSON path).
// The format is described by scenario.schema.json; this module enforces it plus the semantic rules a
// schema cannot express (profile lengths, feasible flexible-load windows, state-of-charge ordering).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { column, readCsv } from './csv.ts';
import type { Battery, FlexibleLoad, Generator, Prosumer, Scenario, Tariffs } from './types.ts';

export class ScenarioError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid scenario:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

type Json = unknown;
type Obj = Record<string, Json>;

/** Collects problems instead of stopping at the first, so a user sees every mistake at once. */
class Checker {
  readonly problems: string[] = [];
  readonly baseDir: string;
  constructor(baseDir: string) {
    this.baseDir = baseDir;
  }

  fail(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }

  object(v: Json, path: string, allowed: string[]): Obj | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.fail(path, 'must be an object');
    for (const key of Object.keys(v)) {
      if (!allowed.includes(key))
        this.fail(`${path}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
    }
    return v as Obj;
  }

  string(o: Obj, key: string, path: string, fallback?: string): string | undefined {
    const v = o[key];
    if (v === undefined) return fallback ?? this.fail(`${path}.${key}`, 'is required');
    if (typeof v !== 'string' || v.trim() === '')
      return this.fail(`${path}.${key}`, 'must be a non-empty string');
    return v;
  }

  number(
    o: Obj,
    key: string,
    path: string,
    rule: { min?: number; max?: number; above?: number; integer?: boolean; fallback?: number },
  ): number | undefined {
    const v = o[key];
    const p = `${path}.${key}`;
    if (v === undefined) return rule.fallback ?? this.fail(p, 'is required');
    if (typeof v !== 'number' || !Number.isFinite(v))
      return this.fail(p, `must be a finite number (got ${JSON.stringify(v)})`);
    if (rule.integer && !Number.isInteger(v)) return this.fail(p, `must be a whole number (got ${v})`);
    if (rule.min !== undefined && v < rule.min) return this.fail(p, `must be >= ${rule.min} (got ${v})`);
    if (rule.above !== undefined && v <= rule.above)
      return this.fail(p, `must be > ${rule.above} (got ${v})`);
    if (rule.max !== undefined && v > rule.max) return this.fail(p, `must be <= ${rule.max} (got ${v})`);
    return v;
  }

  /** A profile: an inline array, or {csv, column, scale?} with a path relative to the scenario file. */
  profile(v: Json, path: string, periods: number, nonNegative: boolean): number[] | undefined {
    if (v === undefined) return this.fail(path, 'is required (a profile: an array or {"csv", "column"})');
    let values: number[];
    if (Array.isArray(v)) {
      values = v as number[];
    } else {
      const o = this.object(v, path, ['csv', 'column', 'scale']);
      if (!o) return undefined;
      const file = this.string(o, 'csv', path);
      const name = typeof o.column === 'number' ? String(o.column) : this.string(o, 'column', path);
      const scale = this.number(o, 'scale', path, { fallback: 1 });
      if (file === undefined || name === undefined || scale === undefined) return undefined;
      try {
        values = column(readCsv(resolve(this.baseDir, file)), name).map((x) => x * scale);
      } catch (err) {
        return this.fail(`${path}.csv`, `cannot read column '${name}' of ${file}: ${(err as Error).message}`);
      }
    }
    if (values.length !== periods)
      return this.fail(path, `has ${values.length} values but the scenario has ${periods} periods`);
    for (let t = 0; t < values.length; t++) {
      const x = values[t];
      if (typeof x !== 'number' || !Number.isFinite(x))
        return this.fail(`${path}[${t}]`, 'must be a finite number');
      if (nonNegative && x < 0) return this.fail(`${path}[${t}]`, `must be >= 0 (got ${x})`);
    }
    return values;
  }
}

/** Reads and validates a scenario file; CSV profile paths are relative to the file. */
export function loadScenario(path: string): Scenario {
  let json: Json;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError([`${path}: ${(err as Error).message}`]);
  }
  return parseScenario(json, dirname(resolve(path)));
}

export function parseScenario(json: Json, baseDir = '.'): Scenario {
  const c = new Checker(baseDir);
  const o = c.object(json, '$', [
    '$schema',
    'name',
    'description',
    'currency',
    'periods',
    'periodMinutes',
    'tariffs',
    'prosumers',
  ]);
  if (!o) throw new ScenarioError(c.problems);
  const name = c.string(o, 'name', '$');
  const description = c.string(o, 'description', '$', '');
  const currency = c.string(o, 'currency', '$', 'GBP');
  const periods = c.number(o, 'periods', '$', { integer: true, min: 1, max: 1440 });
  let periodMinutes: number | undefined;
  if (periods !== undefined) {
    periodMinutes = c.number(o, 'periodMinutes', '$', { above: 0, fallback: 1440 / periods });
    if (periodMinutes !== undefined && Math.abs(periods * periodMinutes - 1440) > 1e-9) {
      c.fail(
        '$.periodMinutes',
        `periods × periodMinutes must cover one day (1440 minutes), got ${periods} × ${periodMinutes}`,
      );
    }
  }
  if (periods === undefined || periodMinutes === undefined) throw new ScenarioError(c.problems);
  const hours = periodMinutes / 60;
  const tariffs = parseTariffs(c, o.tariffs, periods);
  const prosumers: Prosumer[] = [];
  if (!Array.isArray(o.prosumers) || o.prosumers.length === 0)
    c.fail('$.prosumers', 'must be a non-empty array');
  else {
    const seen = new Set<string>();
    o.prosumers.forEach((p, i) => {
      const parsed = parseProsumer(c, p, `$.prosumers[${i}]`, periods, hours);
      if (!parsed) return;
      if (seen.has(parsed.id)) c.fail(`$.prosumers[${i}].id`, `duplicate id '${parsed.id}'`);
      seen.add(parsed.id);
      prosumers.push(parsed);
    });
  }
  if (c.problems.length > 0 || !name || description === undefined || !currency || !tariffs)
    throw new ScenarioError(c.problems);
  return { name, description, currency, periods, periodMinutes, tariffs, prosumers };
}

function parseTariffs(c: Checker, v: Json, periods: number): Tariffs | undefined {
  const o = c.object(v, '$.tariffs', ['retail', 'feedIn', 'source']);
  if (!o) return undefined;
  const retail = c.profile(o.retail, '$.tariffs.retail', periods, false);
  const feedIn = c.profile(o.feedIn, '$.tariffs.feedIn', periods, false);
  const source = c.string(o, 'source', '$.tariffs');
  if (!retail || !feedIn || !source) return undefined;
  // A feed-in price above the retail price would let anyone buy from the grid and sell straight back.
  for (let t = 0; t < periods; t++) {
    if (feedIn[t]! > retail[t]!)
      return c.fail(`$.tariffs.feedIn[${t}]`, `must not exceed retail (${feedIn[t]} > ${retail[t]})`);
  }
  return { retail, feedIn, source };
}

function parseProsumer(
  c: Checker,
  v: Json,
  path: string,
  periods: number,
  hours: number,
): Prosumer | undefined {
  const o = c.object(v, path, ['id', 'load', 'pv', 'battery', 'flexibleLoads', 'generator', 'note']);
  if (!o) return undefined;
  const id = c.string(o, 'id', path);
  const loadKw = c.profile(o.load, `${path}.load`, periods, true);
  const pvKw = o.pv === undefined ? undefined : c.profile(o.pv, `${path}.pv`, periods, true);
  const battery = o.battery === undefined ? undefined : parseBattery(c, o.battery, `${path}.battery`);
  const generator =
    o.generator === undefined ? undefined : parseGenerator(c, o.generator, `${path}.generator`);
  const flexibleLoads: FlexibleLoad[] = [];
  if (o.flexibleLoads !== undefined) {
    if (!Array.isArray(o.flexibleLoads)) c.fail(`${path}.flexibleLoads`, 'must be an array');
    else {
      o.flexibleLoads.forEach((f, k) => {
        const parsed = parseFlexibleLoad(c, f, `${path}.flexibleLoads[${k}]`, periods, hours);
        if (parsed) flexibleLoads.push(parsed);
      });
    }
  }
  if (!id || !loadKw) return undefined;
  return {
    id,
    loadKw,
    flexibleLoads,
    ...(pvKw ? { pvKw } : {}),
    ...(battery ? { battery } : {}),
    ...(generator ? { generator } : {}),
  };
}

function parseBattery(c: Checker, v: Json, path: string): Battery | undefined {
  const o = c.object(v, path, [
    'capacityKwh',
    'socMinKwh',
    'socMaxKwh',
    'initialKwh',
    'chargeKw',
    'dischargeKw',
    'chargeEfficiency',
    'dischargeEfficiency',
    'degradationCostPerKwh',
  ]);
  if (!o) return undefined;
  const capacityKwh = c.number(o, 'capacityKwh', path, { above: 0 });
  const socMinKwh = c.number(o, 'socMinKwh', path, { min: 0, fallback: 0 });
  const socMaxKwh = c.number(o, 'socMaxKwh', path, { min: 0, fallback: capacityKwh ?? 0 });
  const initialKwh = c.number(o, 'initialKwh', path, { min: 0 });
  const chargeKw = c.number(o, 'chargeKw', path, { min: 0 });
  const dischargeKw = c.number(o, 'dischargeKw', path, { min: 0 });
  const chargeEfficiency = c.number(o, 'chargeEfficiency', path, { above: 0, max: 1, fallback: 0.95 });
  const dischargeEfficiency = c.number(o, 'dischargeEfficiency', path, { above: 0, max: 1, fallback: 0.95 });
  const degradationCostPerKwh = c.number(o, 'degradationCostPerKwh', path, { min: 0, fallback: 0 });
  if (
    capacityKwh === undefined ||
    socMinKwh === undefined ||
    socMaxKwh === undefined ||
    initialKwh === undefined ||
    chargeKw === undefined ||
    dischargeKw === undefined ||
    chargeEfficiency === undefined ||
    dischargeEfficiency === undefined ||
    degradationCostPerKwh === undefined
  ) {
    return undefined;
  }
  if (socMaxKwh > capacityKwh)
    return c.fail(`${path}.socMaxKwh`, `must not exceed capacityKwh (${socMaxKwh} > ${capacityKwh})`);
  if (socMinKwh > socMaxKwh)
    return c.fail(`${path}.socMinKwh`, `must not exceed socMaxKwh (${socMinKwh} > ${socMaxKwh})`);
  if (initialKwh < socMinKwh || initialKwh > socMaxKwh) {
    return c.fail(
      `${path}.initialKwh`,
      `must lie within [socMinKwh, socMaxKwh] = [${socMinKwh}, ${socMaxKwh}] (got ${initialKwh})`,
    );
  }
  return {
    capacityKwh,
    socMinKwh,
    socMaxKwh,
    initialKwh,
    chargeKw,
    dischargeKw,
    chargeEfficiency,
    dischargeEfficiency,
    degradationCostPerKwh,
  };
}

function parseFlexibleLoad(
  c: Checker,
  v: Json,
  path: string,
  periods: number,
  hours: number,
): FlexibleLoad | undefined {
  const o = c.object(v, path, ['name', 'energyKwh', 'startPeriod', 'endPeriod', 'minKw', 'maxKw']);
  if (!o) return undefined;
  const name = c.string(o, 'name', path, 'flexible load');
  const energyKwh = c.number(o, 'energyKwh', path, { min: 0 });
  const startPeriod = c.number(o, 'startPeriod', path, { integer: true, min: 0, max: periods - 1 });
  const endPeriod = c.number(o, 'endPeriod', path, { integer: true, min: 1, max: periods });
  const minKw = c.number(o, 'minKw', path, { min: 0, fallback: 0 });
  const maxKw = c.number(o, 'maxKw', path, { above: 0 });
  if (
    name === undefined ||
    energyKwh === undefined ||
    startPeriod === undefined ||
    endPeriod === undefined ||
    minKw === undefined ||
    maxKw === undefined
  ) {
    return undefined;
  }
  if (endPeriod <= startPeriod)
    return c.fail(`${path}.endPeriod`, `must be after startPeriod (${endPeriod} <= ${startPeriod})`);
  if (minKw > maxKw) return c.fail(`${path}.minKw`, `must not exceed maxKw (${minKw} > ${maxKw})`);
  const span = (endPeriod - startPeriod) * hours;
  if (energyKwh > maxKw * span + 1e-9) {
    return c.fail(
      `${path}.energyKwh`,
      `infeasible window: ${energyKwh} kWh cannot be delivered in periods [${startPeriod}, ${endPeriod}) at most ${maxKw} kW (max ${(maxKw * span).toFixed(3)} kWh)`,
    );
  }
  if (energyKwh < minKw * span - 1e-9) {
    return c.fail(
      `${path}.energyKwh`,
      `infeasible window: minKw ${minKw} over periods [${startPeriod}, ${endPeriod}) already delivers ${(minKw * span).toFixed(3)} kWh`,
    );
  }
  return { name, energyKwh, startPeriod, endPeriod, minKw, maxKw };
}

function parseGenerator(c: Checker, v: Json, path: string): Generator | undefined {
  const o = c.object(v, path, ['maxKw', 'marginalCostPerKwh']);
  if (!o) return undefined;
  const maxKw = c.number(o, 'maxKw', path, { min: 0 });
  const marginalCostPerKwh = c.number(o, 'marginalCostPerKwh', path, { min: 0 });
  if (maxKw === undefined || marginalCostPerKwh === undefined) return undefined;
  return { maxKw, marginalCostPerKwh };
}

/** A prosumer's own data file (its `vppchain prosumer` data directory): the day's profile of one home. */
export interface ProsumerData {
  periods: number;
  periodMinutes: number;
  prosumer: Prosumer;
}

function periodsOf(c: Checker, o: Obj): { periods: number; periodMinutes: number } | undefined {
  const periods = c.number(o, 'periods', '$', { integer: true, min: 1, max: 1440 });
  if (periods === undefined) return undefined;
  const periodMinutes = c.number(o, 'periodMinutes', '$', { above: 0, fallback: 1440 / periods });
  if (periodMinutes === undefined) return undefined;
  if (Math.abs(periods * periodMinutes - 1440) > 1e-9)
    return c.fail(
      '$.periodMinutes',
      `periods × periodMinutes must cover one day (1440 minutes), got ${periods} × ${periodMinutes}`,
    );
  return { periods, periodMinutes };
}

/** `{ periods, periodMinutes?, prosumer }`: validated like a scenario's prosumer. */
export function parseProsumerData(json: Json, baseDir = '.'): ProsumerData {
  const c = new Checker(baseDir);
  const o = c.object(json, '$', ['$schema', 'periods', 'periodMinutes', 'prosumer']);
  const p = o && periodsOf(c, o);
  const prosumer = p && parseProsumer(c, o!.prosumer, '$.prosumer', p.periods, p.periodMinutes / 60);
  if (c.problems.length > 0 || !p || !prosumer) throw new ScenarioError(c.problems);
  return { ...p, prosumer };
}

/** A VPP's public market file: the day's tariffs and its members' identities (no private data). */
export interface VppRoster {
  name: string;
  currency: string;
  periods: number;
  periodMinutes: number;
  tariffs: Tariffs;
  members: { id: string; publicKey: Uint8Array }[];
}

export function parseVppRoster(json: Json): VppRoster {
  const c = new Checker('.');
  const o = c.object(json, '$', [
    '$schema',
    'name',
    'currency',
    'periods',
    'periodMinutes',
    'tariffs',
    'members',
  ]);
  if (!o) throw new ScenarioError(c.problems);
  const name = c.string(o, 'name', '$');
  const currency = c.string(o, 'currency', '$', 'GBP');
  const p = periodsOf(c, o);
  const tariffs = p && parseTariffs(c, o.tariffs, p.periods);
  const members: VppRoster['members'] = [];
  if (!Array.isArray(o.members) || o.members.length === 0) c.fail('$.members', 'must be a non-empty array');
  else {
    const ids = new Set<string>();
    const keys = new Set<string>();
    o.members.forEach((m, i) => {
      const path = `$.members[${i}]`;
      const e = c.object(m, path, ['id', 'publicKey']);
      if (!e) return;
      const id = c.string(e, 'id', path);
      const key = c.string(e, 'publicKey', path);
      if (!id || key === undefined) return;
      if (!/^0[23][0-9a-f]{64}$/.test(key)) {
        c.fail(`${path}.publicKey`, 'must be a compressed secp256k1 public key (66 lowercase hex digits)');
        return;
      }
      if (ids.has(id)) c.fail(`${path}.id`, `duplicate id '${id}'`);
      if (keys.has(key)) c.fail(`${path}.publicKey`, 'duplicate public key');
      ids.add(id);
      keys.add(key);
      members.push({ id, publicKey: Uint8Array.from(Buffer.from(key, 'hex')) });
    });
  }
  if (c.problems.length > 0 || !name || !currency || !p || !tariffs) throw new ScenarioError(c.problems);
  return { name, currency, ...p, tariffs, members };
}
