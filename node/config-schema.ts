// The configuration keys of `vppchain node`, `devnet` and `demo` (node/config.ts reads them): each key's
// type, default, doc line, and so its flag (--key), environment variable (VPPCHAIN_KEY) and config file
// key. The usage text, --print-config and docs/operations.md's tables all come from here.
import {
  boolKey,
  type ConfigCommand,
  type ConfigKey,
  enumKey,
  intKey,
  listKey,
  pathKey,
  type ResolvedConfig,
  resolveConfig,
  type Schema,
  stringKey,
} from './config.ts';
import { printConfig } from './config-output.ts';
import { LOG_FORMATS, LOG_LEVELS } from './log.ts';

const SWITCH_WORDS: Record<string, string> = {
  true: 'all',
  yes: 'all',
  on: 'all',
  false: 'none',
  no: 'none',
  off: 'none',
};

const HOST_RE = /^(\d{1,3}(\.\d{1,3}){3}|localhost|::1?|[0-9a-f:]+)$/i;
const checkHost = (h: string) =>
  HOST_RE.test(h)
    ? undefined
    : `must be an IP address to listen on (127.0.0.1, 0.0.0.0, ::1, ...) or localhost, got '${h}'`;
const checkOrigin = (o: string) =>
  o === '*' || /^https?:\/\/[\w.-]+(:\d{1,5})?$/.test(o)
    ? undefined
    : `'${o}' is not an origin like https://example.org or http://localhost:3000 (or '*')`;

/** Keys every long-running command has: its own log (`what`), and what else it goes with (`note`). */
const logKeys = (what: string, note = '') => ({
  'log-level': enumKey({
    doc: `the least severe ${what} log records written${note}`,
    default: 'info',
    values: LOG_LEVELS,
    placeholder: 'LEVEL',
  }),
  'log-format': enumKey({
    doc: 'pretty: one line per record for people; json: one JSON object per line for machines',
    default: 'pretty',
    values: LOG_FORMATS,
    placeholder: 'FORMAT',
  }),
  'log-file': pathKey({
    doc: `append the ${what} log to this file instead of writing it to stdout (SIGHUP reopens it)`,
    placeholder: 'FILE',
  }),
});

/** Where a supervisor's nodes log. */
const NODE_LOGS = '; the nodes log to <dir>/node-*/node.log at the same level and format';

/** Keys of a devnet, which the demo runs too. */
const devnetKeys = {
  dir: pathKey({
    doc: 'where the data dirs, logs and devnet.json go',
    default: 'devnet',
    placeholder: 'DIR',
  }),
  'p2p-base-port': intKey({
    doc: 'libp2p port of node 0; node i listens on base + i',
    default: 30300,
    min: 1024,
    max: 65000,
    placeholder: 'P',
  }),
  'api-base-port': intKey({
    doc: 'HTTP API port of node 0; node i serves on base + i',
    default: 8600,
    min: 1024,
    max: 65000,
    placeholder: 'P',
  }),
  'on-node-exit': enumKey({
    doc: 'a node that exits is restarted with backoff (1 s doubling to 30 s), or every node is stopped and the command exits 1',
    default: 'restart',
    values: ['restart', 'stop'],
    placeholder: 'WHAT',
  }),
};

export const NODE_CONFIG = {
  datadir: pathKey({
    doc: "the node's data directory (vppchain init creates it)",
    required: true,
    placeholder: 'DIR',
  }),
  mine: boolKey({ doc: 'mine blocks (fees go to the node key, or to --miner-key)', default: false }),
  'miner-key': pathKey({
    doc: 'key file whose address receives the fees of mined blocks',
    placeholder: 'FILE',
  }),
  threads: intKey({ doc: 'mining worker threads', defaultDoc: 'cores - 1, at least 1', min: 1, max: 64 }),
  'p2p-port': intKey({
    doc: 'libp2p TCP port (0 = any free port)',
    default: 30300,
    min: 0,
    max: 65535,
    placeholder: 'P',
  }),
  'p2p-host': stringKey(
    {
      doc: 'address libp2p listens on (0.0.0.0 for other machines)',
      default: '127.0.0.1',
      check: checkHost,
      placeholder: 'HOST',
    },
    'IP address',
  ),
  bootstrap: listKey({ doc: 'multiaddrs of peers to keep connected to', placeholder: 'MA,...' }),
  'allow-old-genesis': boolKey({
    doc: 'mine although the genesis is over an hour old and the chain has no block (it mines at the easiest difficulty until it catches up with the time)',
    default: false,
  }),
  'api-port': intKey({
    doc: 'HTTP API port (0 = any free port)',
    default: 8545,
    min: 0,
    max: 65535,
    placeholder: 'P',
  }),
  'api-host': stringKey(
    {
      doc: 'address the API listens on (0.0.0.0 for other machines)',
      default: '127.0.0.1',
      check: checkHost,
      placeholder: 'HOST',
    },
    'IP address',
  ),
  cors: listKey({
    doc: "allow browser requests from these origins ('*' for any)",
    item: checkOrigin,
    placeholder: 'ORIGIN,...',
    defaultDoc: 'off',
  }),
  'rate-limit': intKey({
    doc: 'API requests per minute per client IP, loopback exempt (0 = no limit)',
    default: 1200,
    min: 0,
    max: 1_000_000,
  }),
  'api-log': enumKey({
    doc: 'level of the API request log (info logs every request with its id)',
    default: 'warn',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'off'],
    placeholder: 'LEVEL',
  }),
  'vpp-file': pathKey({
    doc: "serve the VPP agents' published results (JSON) at GET /v1/vpps",
    placeholder: 'FILE',
  }),
  'ready-max-behind': intKey({
    doc: 'GET /readyz answers 503 while the head is more than this many blocks below the best peer',
    default: 2,
    min: 0,
    max: 1_000_000,
  }),
  'ready-min-peers': intKey({
    doc: 'GET /readyz answers 503 with fewer peers than this (0 for a node alone)',
    default: 1,
    min: 0,
    max: 1000,
  }),
  'traffic-ms': intKey({
    doc: 'development traffic: a transfer from --traffic-key every MS milliseconds',
    min: 50,
    max: 3_600_000,
    placeholder: 'MS',
    defaultDoc: 'off',
  }),
  'traffic-key': pathKey({ doc: 'key file that sends the development traffic', placeholder: 'FILE' }),
  'exit-with-parent': boolKey({
    doc: 'stop when stdin ends (the devnet supervisor passes it, stdin a pipe from itself, so its nodes stop when it dies)',
    default: false,
  }),
  quiet: boolKey({ doc: 'do not log each mined block and reorg', default: false }),
  ...logKeys('node'),
} satisfies Schema;

const mineSpec = stringKey(
  {
    doc: 'which nodes mine: all, none or node indices (I,J); true and false mean all and none',
    default: 'all',
    placeholder: 'all|none|I,J',
    check: (s) =>
      /^(all|none|\d+(,\d+)*)$/.test(s)
        ? undefined
        : `must be all, none or node indices like 0,2, got '${s}'`,
  },
  'all | none | indices',
);
/** Which devnet nodes mine; a switch's words (true/false, yes/no, …) mean all or none, as for a node. */
const devnetMine: ConfigKey<string> = {
  ...mineSpec,
  parse: (t) => mineSpec.parse(SWITCH_WORDS[t.toLowerCase()] ?? t),
  fromFile: (v, baseDir) => (typeof v === 'boolean' ? (v ? 'all' : 'none') : mineSpec.fromFile(v, baseDir)),
};

export const DEVNET_CONFIG = {
  nodes: intKey({ doc: 'number of nodes, grid included', default: 4, min: 1, max: 64 }),
  ...devnetKeys,
  fresh: boolKey({ doc: 'wipe the directory first (a new chain whose genesis time is now)', default: false }),
  mine: devnetMine,
  threads: intKey({ doc: 'mining threads per mining node', default: 1, min: 1, max: 16 }),
  'traffic-ms': intKey({
    doc: 'each node sends a signed transfer every MS ms (0 = none, else at least 50)',
    default: 1500,
    min: 0,
    max: 3_600_000,
    placeholder: 'MS',
  }),
  'until-height': intKey({
    doc: 'exit with code 0 once every node has at least this height and one head',
    min: 1,
    max: 10_000_000,
    placeholder: 'H',
    defaultDoc: 'run until stopped',
  }),
  genesis: pathKey({
    doc: 'genesis template of a new devnet (its clock starts now)',
    default: new URL('../genesis.json', import.meta.url).pathname,
    defaultDoc: "the repository's genesis.json",
    placeholder: 'FILE',
  }),
  ...logKeys('supervisor', NODE_LOGS),
} satisfies Schema;

/** The demo's keys; those without a default take the scenario's value (the built-in demo's, or --scenario's). */
export const DEMO_CONFIG = {
  scenario: pathKey({
    doc: 'a system scenario: your VPPs, prosumers, CSV profiles, tariffs, timing (docs/scenario.md)',
    defaultDoc: 'the built-in demo, agent/scenario/demo.json',
    placeholder: 'FILE',
  }),
  intervals: intKey({
    doc: 'stop after N intervals with exit code 0',
    min: 1,
    max: 100_000,
    defaultDoc: "the scenario's, else until Ctrl-C",
  }),
  out: pathKey({
    doc: 'write the results: intervals.csv, bills.csv, savings.csv, dayahead/<VPP>/ and report.html',
    placeholder: 'DIR',
  }),
  raw: boolKey({
    doc: 'money in token base units instead of GBP (1,000,000 base units = £1)',
    default: false,
  }),
  hold: boolKey({
    doc: 'after the last interval and the summary, keep the nodes and the dashboard up until Ctrl-C',
    default: false,
  }),
  'interval-ms': intKey({
    doc: 'real time per delivery interval',
    min: 3000,
    max: 3_600_000,
    placeholder: 'MS',
    defaultDoc: "the scenario's (12000 in the demo)",
  }),
  'block-ms': intKey({
    doc: 'target block time',
    min: 200,
    max: 60_000,
    placeholder: 'MS',
    defaultDoc: "the scenario's (1000 in the demo)",
  }),
  'start-minute': intKey({
    doc: 'minute of the simulated day of the first interval',
    min: 0,
    max: 1439,
    placeholder: 'M',
    defaultDoc: "the scenario's (660 = 11:00 in the demo)",
  }),
  framework: stringKey(
    {
      doc: 'the day-ahead market of every VPP',
      placeholder: 'NAME',
      defaultDoc: "the scenario's (weak in the demo)",
      check: (f) =>
        ['weak', 'decentralized', 'central'].includes(f)
          ? undefined
          : `must be one of weak, decentralized, central, got '${f}'`,
    },
    'weak | decentralized | central',
  ),
  vpps: intKey({ doc: 'the built-in demo only: number of VPPs', min: 1, max: 20, defaultDoc: '3' }),
  prosumers: intKey({ doc: 'the built-in demo only: prosumers per VPP', min: 1, max: 200, defaultDoc: '10' }),
  'json-out': pathKey({ doc: 'write every interval and the summary as JSON', placeholder: 'FILE' }),
  ...devnetKeys,
  ...logKeys(
    'supervisor',
    `${NODE_LOGS}; with --log-format json and no --log-file the report's lines are records too (component demo)`,
  ),
} satisfies Schema;

const SCHEMAS = { node: NODE_CONFIG, devnet: DEVNET_CONFIG, demo: DEMO_CONFIG };

/** Every command's schema: a config file's keys are checked against all of them. */
export const CONFIG_SCHEMAS: Record<ConfigCommand, Schema> = SCHEMAS;

/** A command's configuration from its flags, the environment and the config file (node/config.ts). */
export function configFor<C extends ConfigCommand>(
  command: C,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig<(typeof SCHEMAS)[C]> {
  return resolveConfig(command, SCHEMAS[command], CONFIG_SCHEMAS, argv, env);
}

/** The effective configuration of a command as TOML (--print-config). */
export function printConfigOf<C extends ConfigCommand>(
  command: C,
  r: ResolvedConfig<(typeof SCHEMAS)[C]>,
): string {
  return printConfig(command, SCHEMAS[command], r);
}
