// Scenario files: a day-ahead scenario (scenario.schema.json), a prosumer's own data file and a VPP's
// public roster. Each is checked with ajv against its JSON Schema, then by hand against the rules a
// schema cannot state (scenario-rules.ts); every problem is reported at once with its JSON path, e.g.
// `$.prosumers[3].battery.capacityKwh: must be > 0 (got -5)`.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { addSchemas, schemaProblems, validatorFor } from './json-schema.ts';
import type { TableCache } from './profile.ts';
import scenarioSchemaJson from './scenario.schema.json' with { type: 'json' };
import {
  isObj,
  type Json,
  type ProsumerProfiles,
  periodsOf,
  prosumerOf,
  prosumersOf,
  Rules,
  tariffsOf,
} from './scenario-rules.ts';
import type { Prosumer, Scenario, Tariffs } from './types.ts';

export type { ProsumerProfiles } from './scenario-rules.ts';

export class ScenarioError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid scenario:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** The day-ahead scenario's JSON Schema (registered with ajv, so other schemas can $ref its $defs). */
export const SCENARIO_SCHEMA = scenarioSchemaJson as { $id: string } & Record<string, unknown>;
addSchemas(SCENARIO_SCHEMA);

/** A scenario with what its profiles hold beyond the period values (per-minute data of finer CSVs). */
export interface ScenarioDetail {
  scenario: Scenario;
  profiles: ProsumerProfiles[];
}

export interface ScenarioCheckOptions {
  /** How a path inside this JSON is shown, when it is embedded in another file (default: as is). */
  show?: (path: string) => string;
  /** Skip the schema: the embedding file's schema has checked it already. */
  schemaChecked?: boolean;
  /** Parsed CSV tables shared with the embedding file's other scenarios. */
  cache?: TableCache;
}

/** Reads and validates a scenario file; CSV profile paths are relative to the file. */
export function loadScenario(path: string): Scenario {
  return loadScenarioDetail(path).scenario;
}

export function loadScenarioDetail(path: string, cache?: TableCache): ScenarioDetail {
  let json: Json;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError([`${path}: ${(err as Error).message}`]);
  }
  return parseScenarioDetail(json, dirname(resolve(path)), cache ? { cache } : {});
}

export function parseScenario(json: Json, baseDir = '.'): Scenario {
  return parseScenarioDetail(json, baseDir).scenario;
}

export function parseScenarioDetail(json: Json, baseDir = '.', o: ScenarioCheckOptions = {}): ScenarioDetail {
  const show = o.show ?? ((p: string) => p);
  const r = new Rules(baseDir, show, o.cache);
  if (!o.schemaChecked) r.problems.push(...schemaProblems(validatorFor(SCENARIO_SCHEMA), json, show));
  if (!isObj(json)) throw new ScenarioError(r.problems);
  const p = periodsOf(r, json);
  const tariffs = p && tariffsOf(r, json.tariffs, '$.tariffs', p.periods);
  const members = p && prosumersOf(r, json.prosumers, '$.prosumers', p.periods, p.periodMinutes / 60);
  if (r.problems.length > 0 || !p || !tariffs || !members || typeof json.name !== 'string')
    throw new ScenarioError(r.problems.length ? r.problems : [`${show('$')}: is not a valid scenario`]);
  return {
    scenario: {
      name: json.name,
      description: typeof json.description === 'string' ? json.description : '',
      currency: typeof json.currency === 'string' ? json.currency : 'GBP',
      periods: p.periods,
      periodMinutes: p.periodMinutes,
      tariffs,
      prosumers: members.prosumers,
    },
    profiles: members.profiles,
  };
}

/** A prosumer's own data file (its `vppchain prosumer` data directory): the day's profile of one home. */
export interface ProsumerData {
  periods: number;
  periodMinutes: number;
  prosumer: Prosumer;
}

const PROSUMER_DATA_SCHEMA = {
  $id: 'vppchain/market/prosumer-data.schema.json',
  type: 'object',
  additionalProperties: false,
  required: ['periods', 'prosumer'],
  properties: {
    $schema: { type: 'string' },
    periods: { $ref: 'scenario.schema.json#/properties/periods' },
    periodMinutes: { $ref: 'scenario.schema.json#/properties/periodMinutes' },
    prosumer: { $ref: 'scenario.schema.json#/$defs/prosumer' },
  },
};

/** `{ periods, periodMinutes?, prosumer }`: validated like a scenario's prosumer. */
export function parseProsumerData(json: Json, baseDir = '.'): ProsumerData {
  const r = new Rules(baseDir);
  for (const line of schemaProblems(validatorFor(PROSUMER_DATA_SCHEMA), json)) r.problems.push(line);
  const p = isObj(json) ? periodsOf(r, json) : undefined;
  const parsed =
    p && prosumerOf(r, (json as { prosumer?: Json }).prosumer, '$.prosumer', p.periods, p.periodMinutes / 60);
  if (r.problems.length > 0 || !p || !parsed) throw new ScenarioError(r.problems);
  return { ...p, prosumer: parsed.prosumer };
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

const ROSTER_SCHEMA = {
  $id: 'vppchain/market/vpp-roster.schema.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'periods', 'tariffs', 'members'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    currency: { type: 'string', minLength: 1 },
    periods: { $ref: 'scenario.schema.json#/properties/periods' },
    periodMinutes: { $ref: 'scenario.schema.json#/properties/periodMinutes' },
    tariffs: { $ref: 'scenario.schema.json#/properties/tariffs' },
    members: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'publicKey'],
        properties: {
          id: { type: 'string', minLength: 1 },
          publicKey: {
            type: 'string',
            pattern: '^0[23][0-9a-f]{64}$',
            description: 'a compressed secp256k1 public key (66 lowercase hex digits)',
          },
        },
      },
    },
  },
};

export function parseVppRoster(json: Json): VppRoster {
  const r = new Rules('.');
  for (const line of schemaProblems(validatorFor(ROSTER_SCHEMA), json)) r.problems.push(line);
  if (!isObj(json)) throw new ScenarioError(r.problems);
  const p = periodsOf(r, json);
  // A roster's tariffs are inline: it is a public file that travels without CSVs beside it.
  const tariffs = p && tariffsOf(r, json.tariffs, '$.tariffs', p.periods);
  const members: VppRoster['members'] = [];
  if (Array.isArray(json.members)) {
    const ids = new Set<string>();
    const keys = new Set<string>();
    json.members.forEach((m, i) => {
      if (!isObj(m) || typeof m.id !== 'string' || typeof m.publicKey !== 'string') return;
      if (!/^0[23][0-9a-f]{64}$/.test(m.publicKey)) return;
      if (ids.has(m.id)) r.fail(`$.members[${i}].id`, `duplicate id '${m.id}'`);
      if (keys.has(m.publicKey)) r.fail(`$.members[${i}].publicKey`, 'duplicate public key');
      ids.add(m.id);
      keys.add(m.publicKey);
      members.push({ id: m.id, publicKey: Uint8Array.from(Buffer.from(m.publicKey, 'hex')) });
    });
  }
  if (r.problems.length > 0 || !p || !tariffs || typeof json.name !== 'string')
    throw new ScenarioError(r.problems);
  return {
    name: json.name,
    currency: typeof json.currency === 'string' ? json.currency : 'GBP',
    ...p,
    tariffs,
    members,
  };
}
