// Configuration of the long-running commands (node, devnet, demo) from one schema per command
// (node/config-schema.ts): each key has a type, a default, a flag, an environment variable and a doc line,
// and from that one definition come the command-line flags, the VPPCHAIN_* environment variables, the
// TOML config file's keys, `--print-config` and the tables of docs/operations.md. Precedence: flag >
// environment > config file > default. Every value is checked where it comes from, and a bad one is a
// UsageError naming its source (the flag, the variable, or the file and key) and what was expected.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parse as parseToml, TomlError } from 'smol-toml';
import { UsageError } from './commands/command.ts';

/** The commands a config file can hold a table for (`[node]`, `[devnet]`, `[demo]`). */
export const CONFIG_COMMANDS = ['node', 'devnet', 'demo'] as const;
export type ConfigCommand = (typeof CONFIG_COMMANDS)[number];

/** The file named by --config or VPPCHAIN_CONFIG. */
export const CONFIG_ENV = 'VPPCHAIN_CONFIG';

/** One configuration key. T includes undefined when the key has no default. */
export interface ConfigKey<T> {
  /** What the value is, for the docs and for errors: "whole number 0..65535", "path", "true or false". */
  readonly type: string;
  /** Placeholder in the usage line (P, DIR); absent for switches. */
  readonly placeholder?: string;
  readonly doc: string;
  readonly default: T;
  /** How the default is described when it is not a plain value (e.g. "cores - 1, at least 1"). */
  readonly defaultDoc?: string;
  /** A switch: `--mine` / `--no-mine` on the command line. */
  readonly boolean: boolean;
  readonly required: boolean;
  /** Parses a flag's or an environment variable's text; throws an Error saying what was expected. */
  parse(text: string): T;
  /** Checks a value read from the config file (TOML-typed); relative paths are resolved against `baseDir`. */
  fromFile(value: unknown, baseDir: string): T;
}

// biome-ignore lint/suspicious/noExplicitAny: a schema holds keys of every value type
export type Schema = Record<string, ConfigKey<any>>;
export type ConfigValues<S extends Schema> = {
  -readonly [K in keyof S]: S[K] extends ConfigKey<infer T> ? T : never;
};

/** Where a value came from, for --print-config and error messages. */
export type ConfigSource =
  | { kind: 'flag'; name: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; file: string; key: string }
  | { kind: 'default' };

export interface ResolvedConfig<S extends Schema> {
  values: ConfigValues<S>;
  sources: Record<keyof S, ConfigSource>;
  /** The config file read, if any. */
  file?: string;
  /** --print-config was given: print the configuration and exit instead of running. */
  printConfig: boolean;
}

/** VPPCHAIN_API_PORT for api-port. */
export const envName = (key: string): string => `VPPCHAIN_${key.toUpperCase().replace(/-/g, '_')}`;

export const describeSource = (s: ConfigSource): string =>
  s.kind === 'flag'
    ? `--${s.name}`
    : s.kind === 'env'
      ? `environment ${s.name}`
      : s.kind === 'file'
        ? `${s.file}: ${s.key}`
        : 'default';

// ---- key types ------------------------------------------------------------------------------------------

interface KeyDoc<T> {
  doc: string;
  default?: T;
  defaultDoc?: string;
  placeholder?: string;
  required?: boolean;
}

function key<T>(
  d: KeyDoc<T>,
  type: string,
  parse: (text: string) => T,
  fromFile: (v: unknown, baseDir: string) => T,
  boolean = false,
): ConfigKey<T> {
  return {
    type,
    placeholder: boolean ? undefined : (d.placeholder ?? 'VALUE'),
    doc: d.doc,
    default: d.default as T,
    defaultDoc: d.defaultDoc,
    boolean,
    required: d.required ?? false,
    parse,
    fromFile,
  };
}

/** A bad value from a flag or the environment (text) or from the file (a TOML value, shown as such). */
const fail = (expected: string, got: unknown): never => {
  throw new Error(`must be ${expected}, got ${typeof got === 'string' ? `'${got}'` : JSON.stringify(got)}`);
};
const failInFile = (expected: string, got: unknown): never => {
  const shown = typeof got === 'bigint' ? got.toString() : JSON.stringify(got);
  const quoted =
    typeof got === 'string' ? ' (a string: numbers and true/false are written without quotes)' : '';
  throw new Error(`must be ${expected}, got ${shown}${quoted}`);
};

/** A whole number within [min, max]. */
export function intKey(d: KeyDoc<number> & { default: number; min: number; max: number }): ConfigKey<number>;
export function intKey(d: KeyDoc<number> & { min: number; max: number }): ConfigKey<number | undefined>;
export function intKey(d: KeyDoc<number> & { min: number; max: number }): ConfigKey<number | undefined> {
  const expected = `a whole number from ${d.min} to ${d.max}`;
  const check = (n: number, got: unknown, inFile = false) =>
    Number.isSafeInteger(n) && n >= d.min && n <= d.max ? n : (inFile ? failInFile : fail)(expected, got);
  return key(
    { placeholder: 'N', ...d },
    `whole number ${d.min}..${d.max}`,
    (t) => (/^\d+$/.test(t) ? check(Number(t), t) : fail(expected, t)),
    (v) =>
      typeof v === 'number' || typeof v === 'bigint' ? check(Number(v), v, true) : failInFile(expected, v),
  );
}

/** On or off: a switch on the command line (--x / --no-x), true/false in the file and the environment. */
export function boolKey(d: KeyDoc<boolean> & { default: boolean }): ConfigKey<boolean> {
  const words: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };
  Object.assign(words, { yes: true, no: false, on: true, off: false });
  return key(
    d,
    'true or false',
    (t) => words[t.toLowerCase()] ?? fail('true or false', t),
    (v) => (typeof v === 'boolean' ? v : failInFile('true or false', v)),
    true,
  );
}

/** A string checked by `check` (which returns an error message for a bad value, or undefined). */
export function stringKey(
  d: KeyDoc<string> & { default: string; check?: (s: string) => string | undefined },
  type?: string,
): ConfigKey<string>;
export function stringKey(
  d: KeyDoc<string> & { check?: (s: string) => string | undefined },
  type?: string,
): ConfigKey<string | undefined>;
export function stringKey(
  d: KeyDoc<string> & { check?: (s: string) => string | undefined },
  type = 'text',
): ConfigKey<string | undefined> {
  const parse = (t: string) => {
    const problem = d.check?.(t);
    if (problem) throw new Error(problem);
    return t;
  };
  return key(d, type, parse, (v) => (typeof v === 'string' ? parse(v) : failInFile('a string', v)));
}

/**
 * A file or directory; a relative path in the config file is relative to the file's directory. A required
 * key's value is a string once resolved (only --print-config shows it missing).
 */
export function pathKey(d: KeyDoc<string> & { default: string }): ConfigKey<string>;
export function pathKey(d: KeyDoc<string> & { required: true }): ConfigKey<string>;
export function pathKey(d: KeyDoc<string>): ConfigKey<string | undefined>;
export function pathKey(d: KeyDoc<string>): ConfigKey<string | undefined> {
  // Absolute from where the command runs, so that --print-config's output means the same from anywhere.
  const parse = (t: string) => (t === '' ? fail('a path', t) : resolve(t));
  return key({ placeholder: 'PATH', ...d }, 'path', parse, (v, baseDir) =>
    typeof v === 'string' && v !== '' ? resolve(baseDir, v) : failInFile('a path', v),
  );
}

/** One of a fixed set of words. */
export function enumKey<const V extends string>(
  d: KeyDoc<V> & { default: V; values: readonly V[] },
): ConfigKey<V> {
  const expected = `one of ${d.values.join(', ')}`;
  const parse = (t: string) => ((d.values as readonly string[]).includes(t) ? (t as V) : fail(expected, t));
  return key(d, d.values.join(' | '), parse, (v) =>
    typeof v === 'string' ? parse(v) : failInFile(expected, v),
  );
}

/** A list: comma-separated on the command line and in the environment, an array of strings in the file. */
export function listKey(
  d: KeyDoc<string[]> & { item?: (s: string) => string | undefined },
): ConfigKey<string[] | undefined> {
  const items = (list: string[]) => {
    for (const s of list) {
      const problem = d.item?.(s);
      if (problem) throw new Error(problem);
    }
    return list;
  };
  const parse = (t: string) =>
    items(
      t
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  return key({ placeholder: 'A,B,...', ...d }, 'list', parse, (v) =>
    Array.isArray(v) && v.every((s) => typeof s === 'string')
      ? items(v as string[])
      : typeof v === 'string'
        ? parse(v)
        : failInFile('an array of strings', v),
  );
}

// ---- the config file --------------------------------------------------------------------------------------

/** Parses a TOML config file: top-level keys and the tables [node], [devnet], [demo]. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(
      e.code === 'ENOENT'
        ? `config file ${file} does not exist`
        : `cannot read config file ${file}: ${e.message}`,
    );
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const what = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new UsageError(
      `config file ${file} is not valid TOML: line ${err.line}, column ${err.column}: ${what}`,
    );
  }
}

/**
 * The entries of the file that apply to `command`: its top-level keys that the command has, then its own
 * table, which wins. A key that no command has, a table that is not a command's, or a key in a command's
 * table that the command lacks is an error (a typo must not be silently ignored).
 */
function fileEntries(
  file: string,
  data: Record<string, unknown>,
  command: ConfigCommand,
  schema: Schema,
  all: Record<ConfigCommand, Schema>,
): Map<string, { value: unknown; key: string }> {
  const known = new Set(Object.values(all).flatMap((s) => Object.keys(s)));
  const out = new Map<string, { value: unknown; key: string }>();
  const unknown = (where: string, k: string, candidates: Iterable<string>) => {
    const near = nearest(k, candidates);
    return new UsageError(
      `config file ${file}: unknown key ${where}${k}${near ? ` (did you mean ${near}?)` : ''}`,
    );
  };
  for (const [k, v] of Object.entries(data)) {
    if (
      (CONFIG_COMMANDS as readonly string[]).includes(k) &&
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v)
    )
      continue;
    if (!known.has(k)) throw unknown('', k, known);
    if (k in schema) out.set(k, { value: v, key: k });
  }
  for (const c of CONFIG_COMMANDS) {
    const table = data[c];
    if (table === undefined || typeof table !== 'object' || table === null || Array.isArray(table)) continue;
    for (const [k, v] of Object.entries(table)) {
      if (!(k in all[c])) throw unknown(`[${c}] `, k, Object.keys(all[c]));
      if (c === command) out.set(k, { value: v, key: `[${c}] ${k}` });
    }
  }
  return out;
}

/** The candidate closest to `word` by edit distance, if close enough to be a likely typo. */
function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

// ---- resolution -------------------------------------------------------------------------------------------

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs options for a schema, with --config and --print-config. */
function flagOptions(schema: Schema): Options {
  const options: Options = {
    config: { type: 'string' },
    'print-config': { type: 'boolean' },
  };
  for (const [k, def] of Object.entries(schema)) options[k] = { type: def.boolean ? 'boolean' : 'string' };
  return options;
}

/**
 * The configuration of `command` from its flags (`argv`), the environment and the config file (--config,
 * or VPPCHAIN_CONFIG), in that order of precedence, then the defaults. Throws UsageError for an unknown
 * flag, a bad value (naming where it came from) or a missing required key (unless --print-config).
 */
export function resolveConfig<S extends Schema>(
  command: ConfigCommand,
  schema: S,
  all: Record<ConfigCommand, Schema>,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig<S> {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: argv, options: flagOptions(schema), strict: true, allowNegative: true })
      .values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const printConfig = flags['print-config'] === true;
  const fileFlag = flags.config as string | undefined;
  const file = fileFlag ?? (env[CONFIG_ENV] || undefined);
  const fromFile =
    file === undefined ? new Map() : fileEntries(file, readConfigFile(file), command, schema, all);
  const baseDir = file === undefined ? process.cwd() : dirname(resolve(file));

  const values = {} as Record<string, unknown>;
  const sources = {} as Record<string, ConfigSource>;
  for (const [k, def] of Object.entries(schema)) {
    const flag = flags[k];
    const envValue = env[envName(k)];
    const entry = fromFile.get(k);
    let source: ConfigSource;
    let value: unknown;
    try {
      if (flag !== undefined) {
        source = { kind: 'flag', name: k };
        value = typeof flag === 'boolean' ? flag : def.parse(flag);
      } else if (envValue !== undefined && envValue !== '') {
        source = { kind: 'env', name: envName(k) };
        value = def.parse(envValue);
      } else if (entry !== undefined) {
        source = { kind: 'file', file: file!, key: entry.key };
        value = def.fromFile(entry.value, baseDir);
      } else {
        source = { kind: 'default' };
        value = def.default;
      }
    } catch (err) {
      const where =
        flag !== undefined
          ? `--${k}`
          : envValue !== undefined && envValue !== ''
            ? envName(k)
            : `config file ${file}: ${entry!.key}`;
      throw new UsageError(`${where} ${(err as Error).message}`);
    }
    if (def.required && value === undefined && !printConfig)
      throw new UsageError(`--${k} is required (or ${envName(k)}, or ${k} in a config file)`);
    values[k] = value;
    sources[k] = source;
  }
  return {
    values: values as ConfigValues<S>,
    sources: sources as Record<keyof S, ConfigSource>,
    file,
    printConfig,
  };
}
