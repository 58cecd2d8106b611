// What the configuration schema (node/config.ts) shows people: a command's --help options, the effective
// configuration as a TOML file (--print-config), and the Markdown tables of docs/operations.md.
import { resolve } from 'node:path';
import { stringify as stringifyToml } from 'smol-toml';
import {
  CONFIG_ENV,
  type ConfigCommand,
  type ConfigKey,
  describeSource,
  envName,
  type ResolvedConfig,
  type Schema,
} from './config.ts';

/** TOML text of one value (`key = value`). */
const tomlLine = (k: string, v: unknown): string => stringifyToml({ [k]: v }).trim();

/**
 * The effective configuration as a TOML file that gives the same result: one line per key with where the
 * value came from; keys without a value are commented out.
 */
export function printConfig<S extends Schema>(
  command: ConfigCommand,
  schema: S,
  r: ResolvedConfig<S>,
): string {
  const rows = Object.entries(schema).map(([k, def]) => {
    const v = r.values[k as keyof S];
    const line = v === undefined ? `# ${k} =` : tomlLine(k, v);
    const from = describeSource(r.sources[k as keyof S]);
    const why =
      v === undefined
        ? def.required
          ? 'required, not set'
          : `not set${def.defaultDoc ? `: ${def.defaultDoc}` : ''}`
        : from;
    return [line, v === undefined || from === 'default' ? why : `from ${from}`] as const;
  });
  const width = Math.min(60, Math.max(...rows.map(([l]) => l.length)));
  return [
    `# vppchain ${command}: effective configuration (flag > environment > config file > default)`,
    ...(r.file ? [`# config file: ${resolve(r.file)}`] : []),
    `[${command}]`,
    ...rows.map(([l, why]) => `${l.padEnd(width)}  # ${why}`),
  ].join('\n');
}

const defaultText = (def: ConfigKey<unknown>): string =>
  def.defaultDoc ??
  (def.default === undefined
    ? 'none'
    : Array.isArray(def.default)
      ? def.default.join(',') || 'none'
      : String(def.default));

/** The options part of a command's --help, from its schema. */
export function usageLines(schema: Schema): string {
  const rows = Object.entries(schema).map(([k, def]) => {
    const flag = def.boolean ? `--${k}` : `--${k} ${def.placeholder}`;
    const dflt = def.required
      ? 'required'
      : (def.boolean && def.default === false) || (def.default === undefined && !def.defaultDoc)
        ? ''
        : `default ${defaultText(def)}`;
    return [flag, `${def.doc}${dflt ? ` (${dflt})` : ''}`] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return [
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
    `  ${'--config FILE'.padEnd(width)}  read a TOML config file (or ${CONFIG_ENV}); every option is also VPPCHAIN_<NAME>`,
    `  ${'--print-config'.padEnd(width)}  print the effective configuration (flag > environment > file > default) and exit`,
  ].join('\n');
}

/** A Markdown table of a command's keys for docs/operations.md. */
export function docsTable(schema: Schema): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| key (file) | flag | environment | type | default | what it does |',
    '|---|---|---|---|---|---|',
    ...Object.entries(schema)
      .map(([k, def]) =>
        [
          `\`${k}\``,
          def.boolean ? `\`--${k}\`, \`--no-${k}\`` : `\`--${k} ${def.placeholder}\``,
          `\`${envName(k)}\``,
          cell(def.type),
          cell(def.required ? 'required' : defaultText(def)),
          cell(def.doc),
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
  ].join('\n');
}
