// The vppchain command line: dispatches to one lazily loaded module per subcommand, and installs the
// process-wide last resort for errors nobody handled (see onFatal).
import { inspect } from 'node:util';
import type { Command } from './commands/command.ts';
import { RunError, UsageError } from './commands/command.ts';
import { logFatal } from './log.ts';
import { versionLine } from './version.ts';

const STOP_GRACE_MS = 10_000;
/** After a command has returned, how long something it left behind may keep the process alive. */
const LINGER_MS = 3_000;
let fatal = false;

/**
 * An exception nobody caught or a rejection nobody handled is a bug, and the process's state is no longer
 * trusted: both are logged with the command line and the stack, and the process exits non-zero. Exit is
 * graceful where a command can stop (node, devnet, demo stop on SIGTERM: the ledger closes cleanly,
 * child node processes are stopped rather than orphaned), then code 1; at once otherwise, or if stopping
 * takes longer than STOP_GRACE_MS or fails again.
 */
function onFatal(kind: 'uncaught exception' | 'unhandled rejection', error: unknown): void {
  try {
    const text = `vppchain: ${kind} while running '${process.argv.slice(2).join(' ')}':\n${inspect(error)}`;
    // Into the command's log as well (its file, with --log-file), and on stderr unless that log is stdout.
    if (!logFatal(text)) console.error(text);
  } catch {
    // stderr itself is gone; the exit code still says it
  }
  if (fatal || process.listenerCount('SIGTERM') === 0) process.exit(1);
  fatal = true;
  process.exitCode = 1;
  setTimeout(() => process.exit(1), STOP_GRACE_MS).unref();
  process.emit('SIGTERM', 'SIGTERM');
}
process.on('uncaughtException', (err) => onFatal('uncaught exception', err));
process.on('unhandledRejection', (reason) => onFatal('unhandled rejection', reason));

// Each subcommand lives in its own module and is loaded only when invoked.
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  keygen: {
    summary: 'create a secp256k1 key file',
    load: async () => (await import('./commands/keygen.ts')).default,
  },
  genesis: {
    summary: 'make the genesis file of a new network and print its hash',
    load: async () => (await import('./commands/genesis.ts')).default,
  },
  init: {
    summary: 'initialise a data directory from a genesis file',
    load: async () => (await import('./commands/init.ts')).default,
  },
  node: {
    summary: 'run a node (optionally mining)',
    load: async () => (await import('./commands/node.ts')).default,
  },
  devnet: {
    summary: 'run a local network of node processes (grid + VPPs)',
    load: async () => (await import('./commands/devnet.ts')).default,
  },
  demo: {
    summary: 'the main job: a local chain doing real work (npm start)',
    load: async () => (await import('./commands/demo.ts')).default,
  },
  bid: {
    summary: 'sign and submit a step bid for an interval',
    load: async () => (await import('./commands/bid.ts')).default,
  },
  bills: {
    summary: "a VPP's bills with line items and confirmation",
    load: async () => (await import('./commands/bills.ts')).default,
  },
  auction: {
    summary: 'real-time VCG auction (auction clear --input FILE)',
    load: async () => (await import('./commands/auction.ts')).default,
  },
  status: {
    summary: "a node's chain status (--node URL)",
    load: async () => (await import('./commands/status.ts')).default,
  },
  account: {
    summary: 'an account: balance, nonce, role (--address A | --key FILE)',
    load: async () => (await import('./commands/account.ts')).default,
  },
  block: {
    summary: 'a block by height, hash or latest',
    load: async () => (await import('./commands/block.ts')).default,
  },
  transfer: {
    summary: 'sign a transfer locally and submit it (--key FILE --to A --amount N [--wait])',
    load: async () => (await import('./commands/transfer.ts')).default,
  },
  dayahead: {
    summary: 'day-ahead P2P market inside a VPP (dayahead --framework all)',
    load: async () => (await import('./commands/dayahead.ts')).default,
  },
  prosumer: {
    summary: "a prosumer as its own party in its VPP's day-ahead market",
    load: async () => (await import('./commands/prosumer.ts')).default,
  },
  version: {
    summary: "this vppchain's version (also --version, -V)",
    load: async () => (await import('./commands/version.ts')).default,
  },
};

function help(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'Usage: vppchain <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    "Run 'vppchain <command> --help' for a command's options; 'vppchain --version' for the version.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    console.log(versionLine());
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`vppchain: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`Usage: vppchain ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  return command.run(rest);
}

try {
  const code = await main(process.argv.slice(2));
  process.exitCode = fatal ? 1 : code;
} catch (err) {
  if (err instanceof UsageError || err instanceof RunError) {
    console.error(`vppchain: ${err.message}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
}
// The command is over and said what it had to. A handle that something left open (a half-started
// library's timer, a socket) must not keep the process running: it ends with the code it has.
setTimeout(() => process.exit(), LINGER_MS).unref();
