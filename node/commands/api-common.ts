// Shared by the commands that talk to a node's API (status, account, block, transfer, bid, bills, auction):
// flags, which node (--node, else VPPCHAIN_NODE, else node 0 of the devnet in ./devnet, else the default
// port of `vppchain node`), the client, output as JSON (--json, for scripts) or a human table with amounts
// in GBP and times in ISO 8601, and error reporting with the API's code.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_UNITS_PER_GBP } from '../../agent/units.ts';
import {
  VppApiError,
  VppClient,
  VppConnectionError,
  VppTimeoutError,
  VppTxDroppedError,
} from '../../client/index.ts';
import type { KeyPair } from '../../protocol/keys.ts';
import { KeyFileError, readKeyFile } from '../keyfile.ts';
import { UsageError } from './command.ts';

/** The API of `vppchain node` with its default --api-port. */
export const DEFAULT_NODE_URL = 'http://127.0.0.1:8545';
/** The variable that names the node for every API command. */
export const NODE_ENV = 'VPPCHAIN_NODE';
/** Where `vppchain devnet` and `vppchain demo` write their plan by default (relative to where they run). */
const DEVNET_PLAN = join('devnet', 'devnet.json');

export const nodeFlags = {
  node: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export const NODE_FLAGS_USAGE =
  `  --node URL      the node API (default: ${NODE_ENV}, else node 0 of ./${DEVNET_PLAN} if there is one\n` +
  `                  (the devnet and demo of npm start, http://127.0.0.1:8600), else ${DEFAULT_NODE_URL})\n` +
  '  --json          print JSON (for scripts) instead of a table';

/** Which node an API command talks to, and why that one (for the message when it cannot be reached). */
export function resolveNodeUrl(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): { url: string; from: string } {
  if (flag !== undefined) return { url: flag, from: '--node' };
  const fromEnv = env[NODE_ENV];
  if (fromEnv) return { url: fromEnv, from: NODE_ENV };
  const plan = join(cwd, DEVNET_PLAN);
  if (existsSync(plan)) {
    try {
      const api = (JSON.parse(readFileSync(plan, 'utf8')) as { nodes?: { api?: unknown }[] }).nodes?.[0]?.api;
      if (typeof api === 'string') return { url: api, from: `node 0 of ${DEVNET_PLAN}` };
    } catch {
      // not a devnet plan we can read: the default below
    }
  }
  return { url: DEFAULT_NODE_URL, from: 'the default' };
}

/** Where the URL of the last client came from, for the message when the node cannot be reached. */
let nodeFrom = '--node';

export function clientFor(flag: string | undefined): VppClient {
  const { url, from } = resolveNodeUrl(flag);
  nodeFrom = from;
  try {
    return new VppClient(url);
  } catch (err) {
    throw new UsageError(
      `${from === '--node' ? '--node' : `node URL from ${from}`}: ${(err as Error).message}`,
    );
  }
}

/** Token base units per GBP (1 token = £1 = 1,000,000 base units), said once under amounts shown in GBP. */
export const GBP_NOTE = `amounts in GBP: 1 token = £1 = ${BASE_UNITS_PER_GBP.toLocaleString('en-GB')} base units (the chain's integer unit)`;

/** An amount of base units (decimal string or bigint) as GBP with all six decimals, e.g. "1.500000 GBP". */
export function gbp(units: string | bigint | number): string {
  const u = BigInt(units);
  const sign = u < 0n ? '-' : '';
  const abs = u < 0n ? -u : u;
  const per = BigInt(BASE_UNITS_PER_GBP);
  return `${sign}${abs / per}.${(abs % per).toString().padStart(6, '0')} GBP`;
}

/** A time in ms since the Unix epoch as ISO 8601 (UTC). */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

export function keyFrom(file: string | undefined, required: true): KeyPair;
export function keyFrom(file: string | undefined, required: false): KeyPair | undefined;
export function keyFrom(file: string | undefined, required: boolean): KeyPair | undefined {
  if (file === undefined) {
    if (required) throw new UsageError('--key FILE is required (create one with vppchain keygen)');
    return undefined;
  }
  try {
    return readKeyFile(file);
  } catch (err) {
    if (err instanceof KeyFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** A two-column table of label and value. */
export function table(rows: [string, string | number | boolean | null][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v === null ? '-' : String(v)}`).join('\n');
}

/** What each drop reason means, for the CLI's message. */
const DROP_MEANING: Record<string, string> = {
  replaced: 'another transaction with the same nonce and a higher fee replaced it',
  evicted: 'the mempool was full and a better-paying transaction took its place',
  expired: 'it waited too long behind a nonce gap',
  'gate-closed': "its auction interval's gate closed before a block took it",
  'nonce-used': 'another transaction with its nonce was mined',
  invalid: 'the chain moved and it is no longer valid',
};

/**
 * Runs a command body, turning client errors into a message on stderr and exit code 1
 * (with --json, the error is printed as the API's error shape on stdout as well).
 */
export async function withClient(json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof VppTxDroppedError) {
      const meaning = DROP_MEANING[err.reason] ?? err.reason;
      const message = err.message; // names the replacing transaction, if any
      if (json)
        console.log(
          JSON.stringify({
            error: {
              code: 'DROPPED',
              message,
              details: { hash: err.hash, reason: err.reason, code: err.code, replacedBy: err.replacedBy },
            },
          }),
        );
      console.error(`vppchain: DROPPED: ${meaning}.
  ${message}`);
      return 1;
    }
    if (err instanceof VppApiError || err instanceof VppConnectionError || err instanceof VppTimeoutError) {
      const code =
        err instanceof VppApiError ? err.code : err instanceof VppTimeoutError ? 'TIMEOUT' : 'UNREACHABLE';
      const message =
        err instanceof VppConnectionError && nodeFrom !== '--node'
          ? `${err.message} (the node URL is ${nodeFrom}; choose one with --node URL or ${NODE_ENV})`
          : err.message;
      if (json) console.log(JSON.stringify({ error: { code, message } }));
      console.error(`vppchain: ${code}: ${message}`);
      return 1;
    }
    throw err;
  }
}
