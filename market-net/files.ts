// The files of a networked market. A prosumer's data directory holds prosumer.json (its own day:
// `{ periods, periodMinutes, prosumer }`, the scenario format of one home), its key file (key.json,
// node/keyfile.ts) and, after each clearing, outcome.json (its schedule and bill). The VPP's file
// (vpp.json) holds only public figures: the day's tariffs and its members' ids and public keys.
// Writes are atomic (a temporary file renamed over the old one): a process killed mid-write leaves
// the previous file.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PartyOutcome } from '../market/pool/party.ts';
import {
  type ProsumerData,
  parseProsumerData,
  parseVppRoster,
  ScenarioError,
  type VppRoster,
} from '../market/scenario.ts';
import type { Prosumer, Scenario } from '../market/types.ts';

export const PROSUMER_FILE = 'prosumer.json';
export const KEY_FILE = 'key.json';
export const OUTCOME_FILE = 'outcome.json';

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError([`${path}: ${(err as Error).message}`]);
  }
}

export function loadProsumerFile(path: string): ProsumerData {
  return parseProsumerData(readJson(path), dirname(resolve(path)));
}

export function loadVppFile(path: string): VppRoster {
  return parseVppRoster(readJson(path));
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** One home in the prosumer file format (profiles inline, kW). */
export function prosumerJson(p: Prosumer, scenario: Pick<Scenario, 'periods' | 'periodMinutes'>): unknown {
  return {
    periods: scenario.periods,
    periodMinutes: scenario.periodMinutes,
    prosumer: {
      id: p.id,
      load: p.loadKw,
      ...(p.pvKw ? { pv: p.pvKw } : {}),
      ...(p.battery ? { battery: p.battery } : {}),
      ...(p.flexibleLoads.length > 0 ? { flexibleLoads: p.flexibleLoads } : {}),
      ...(p.generator ? { generator: p.generator } : {}),
    },
  };
}

export function vppJson(scenario: Scenario, members: { id: string; publicKey: Uint8Array }[]): unknown {
  return {
    name: scenario.name,
    currency: scenario.currency,
    periods: scenario.periods,
    periodMinutes: scenario.periodMinutes,
    tariffs: scenario.tariffs,
    members: members.map((m) => ({ id: m.id, publicKey: Buffer.from(m.publicKey).toString('hex') })),
  };
}

export function writeOutcome(dir: string, outcome: PartyOutcome): void {
  writeJsonAtomic(resolve(dir, OUTCOME_FILE), outcome);
}
