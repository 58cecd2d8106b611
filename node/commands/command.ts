// What every vppchain subcommand is (Command), the two kinds of failure a person is told about in one line
// without a stack trace (UsageError: exit 2, RunError: exit 1), and strict flag parsing.
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** One `vppchain` subcommand. `run` returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** A user-facing error: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

/**
 * A failure of the run that the person can act on, not a bug and not a malformed command line (a port
 * another process holds, a node that would not start): printed as one line without a stack trace, exit
 * code 1.
 */
export class RunError extends Error {
  override name = 'RunError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict flag parsing: unknown flags and missing values are usage errors, never ignored. */
export function parseFlags<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Parses a flag that must be a non-negative integer within [min, max]. */
export function intFlag(
  value: string | undefined,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}
