// Shared by the commands that talk to a node's API (status, account, block, transfer): flags, the client,
// output as JSON (--json, for scripts) or a human table, and error reporting with the API's code.
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

export const DEFAULT_NODE_URL = 'http://127.0.0.1:8545';

export const nodeFlags = {
  node: { type: 'string', default: DEFAULT_NODE_URL },
  json: { type: 'boolean', default: false },
} as const;

export const NODE_FLAGS_USAGE =
  '  --node URL      the node API (default ' +
  DEFAULT_NODE_URL +
  ')\n  --json          print JSON (for scripts) instead of a table';

export function clientFor(url: string): VppClient {
  try {
    return new VppClient(url);
  } catch (err) {
    throw new UsageError(`--node: ${(err as Error).message}`);
  }
}

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
      const message = err.message;
      if (json) console.log(JSON.stringify({ error: { code, message } }));
      console.error(`vppchain: ${code}: ${message}`);
      return 1;
    }
    throw err;
  }
}
