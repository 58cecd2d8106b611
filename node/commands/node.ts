// `vppchain node`: one node process. Ports are probed before anything opens, and a port taken in between
// is still told in one line (node/ports.ts); a node that fails to start stops what it had started, so the
// process exits. SIGINT, SIGTERM and, with --exit-with-parent, the end of stdin stop it cleanly.
import { staleGenesis } from '../../consensus/genesis.ts';
import { readKeyFile } from '../keyfile.ts';
import { VppNode } from '../node.ts';
import { assertPortsFree, type PortClaim, portInUse } from '../ports.ts';
import { blockLine } from '../report.ts';
import { startTraffic } from '../traffic.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';
import { staleGenesisWords } from './genesis.ts';

const HOST_RE = /^(\d{1,3}(\.\d{1,3}){3}|localhost|::1?|[0-9a-f:]+)$/i;

export function parseBootstrap(list: string | undefined): string[] {
  if (!list) return [];
  const out = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const a of out) {
    if (!/^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d{1,5}\/p2p\/[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(a)) {
      throw new UsageError(
        `--bootstrap: '${a}' is not a multiaddr like /ip4/127.0.0.1/tcp/30300/p2p/12D3KooW…`,
      );
    }
  }
  return out;
}

const API_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'off'] as const;
/** How long a node whose parent is gone may take to stop before it exits anyway. */
const PARENT_GONE_GRACE_MS = 10_000;

export function parseCors(list: string | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  const out = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of out)
    if (o !== '*' && !/^https?:\/\/[\w.-]+(:\d{1,5})?$/.test(o))
      throw new UsageError(
        `--cors: '${o}' is not an origin like https://example.org or http://localhost:3000 (or '*')`,
      );
  if (out.length === 0) throw new UsageError('--cors needs at least one origin');
  return out;
}

const command: Command = {
  name: 'node',
  summary:
    'Run a node on a data directory: sync, validate and gossip blocks and transactions, serve the API, optionally mine.',
  usage:
    'node --datadir DIR [--mine] [--miner-key FILE] [--threads N] [--p2p-port P] [--p2p-host H] [--bootstrap MA,...]\n' +
    '            [--api-port P] [--api-host H] [--cors ORIGIN,...] [--rate-limit N] [--api-log LEVEL]\n' +
    '            [--traffic-ms MS --traffic-key FILE] [--exit-with-parent] [--quiet] [--allow-old-genesis]\n' +
    '  --mine          mine blocks (fees go to the node key, or to --miner-key)\n' +
    '  --threads N     mining worker threads (default: cores - 1, at least 1)\n' +
    '  --p2p-port P    libp2p TCP port (default 30300; 0 = any); without --p2p-port or --bootstrap the node still listens\n' +
    '  --p2p-host H    address to listen on (default 127.0.0.1; 0.0.0.0 for other machines)\n' +
    '  --bootstrap     comma-separated multiaddrs of peers to keep connected to\n' +
    '  --allow-old-genesis  mine although the genesis is over an hour old and the chain has no block\n' +
    '  --api-port P    HTTP API port (default 8545; 0 = any); --api-host as --p2p-host\n' +
    "  --cors ORIGINS  allow browser requests from these origins (comma-separated, or '*'); default off\n" +
    '  --rate-limit N  API requests per minute per client IP, loopback exempt (default 1200; 0 = no limit)\n' +
    '  --api-log L     API request log level: fatal|error|warn|info|debug|off (default warn; info logs each request)\n' +
    "  --vpp-file F    serve the VPP agents' published results (JSON) at GET /v1/vpps (dashboard)\n" +
    '  --traffic-ms    development traffic: send a transfer from --traffic-key every MS milliseconds\n' +
    '  --exit-with-parent  stop when stdin reaches its end: the devnet supervisor passes it with stdin a pipe\n' +
    '                  from itself, so its nodes stop when it dies, however it dies\n' +
    '  A port in use is one line on stderr and exit code 1.',
  async run(argv) {
    const { values } = parseFlags(argv, {
      datadir: { type: 'string' },
      mine: { type: 'boolean', default: false },
      'miner-key': { type: 'string' },
      threads: { type: 'string' },
      'p2p-port': { type: 'string' },
      'p2p-host': { type: 'string' },
      bootstrap: { type: 'string' },
      'api-port': { type: 'string' },
      'api-host': { type: 'string' },
      cors: { type: 'string' },
      'vpp-file': { type: 'string' },
      'rate-limit': { type: 'string' },
      'api-log': { type: 'string', default: 'warn' },
      'traffic-ms': { type: 'string' },
      'traffic-key': { type: 'string' },
      'exit-with-parent': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'allow-old-genesis': { type: 'boolean', default: false },
    });
    if (!values.datadir) throw new UsageError('--datadir is required');
    const threads = intFlag(values.threads, 'threads', 0, 1, 64) || undefined;
    const p2pPort = intFlag(values['p2p-port'], 'p2p-port', 30300, 0, 65535);
    const apiPort = intFlag(values['api-port'], 'api-port', 8545, 0, 65535);
    for (const h of [values['p2p-host'], values['api-host']])
      if (h !== undefined && !HOST_RE.test(h)) throw new UsageError(`not an IP address: ${h}`);
    const rateLimit = intFlag(values['rate-limit'], 'rate-limit', 1200, 0, 1_000_000);
    const cors = parseCors(values.cors);
    const apiLog = values['api-log'];
    if (!API_LOG_LEVELS.includes(apiLog as (typeof API_LOG_LEVELS)[number]))
      throw new UsageError(`--api-log must be one of ${API_LOG_LEVELS.join(', ')}, got '${apiLog}'`);
    const trafficMs = intFlag(values['traffic-ms'], 'traffic-ms', 0, 50, 3_600_000);
    if (trafficMs && !values['traffic-key']) throw new UsageError('--traffic-ms needs --traffic-key');
    if (p2pPort !== 0 && p2pPort === apiPort)
      throw new UsageError(`--p2p-port and --api-port are both ${p2pPort}; they need a port each`);
    const minerKey = values['miner-key'] ? readKeyFile(values['miner-key']) : undefined;
    const trafficKey = values['traffic-key'] ? readKeyFile(values['traffic-key']) : undefined;
    const claims: PortClaim[] = [
      { port: p2pPort, host: values['p2p-host'] ?? '127.0.0.1', what: 'p2p', flag: '--p2p-port' },
      { port: apiPort, host: values['api-host'] ?? '127.0.0.1', what: 'api', flag: '--api-port' },
    ];
    await assertPortsFree(claims);
    let opened: VppNode | undefined;
    try {
      opened = await VppNode.open({
        dataDir: values.datadir,
        mine: values.mine,
        minerKey,
        minerThreads: threads,
        p2p: { port: p2pPort, host: values['p2p-host'], bootstrap: parseBootstrap(values.bootstrap) },
        api: {
          port: apiPort,
          host: values['api-host'],
          cors,
          rateLimit: rateLimit === 0 ? false : { max: rateLimit, windowMs: 60_000 },
          logLevel: apiLog === 'off' ? false : (apiLog as 'warn'),
          vppFile: values['vpp-file'],
        },
      });
      const stale =
        opened.chain.height === 0 && values.mine ? staleGenesis(opened.params, Date.now()) : undefined;
      if (stale && !values['allow-old-genesis'])
        throw new UsageError(`refusing to mine: ${staleGenesisWords(opened.params, stale)}`);
      await opened.start();
    } catch (err) {
      // What did start (libp2p listening, the ledger, worker threads) is stopped, so the process can exit.
      await opened?.stop().catch(() => undefined);
      throw portInUse(err, claims) ?? new UsageError((err as Error).message);
    }
    const node = opened;
    console.log(
      `node ${node.nodeKey.address} on ${node.params.name}, height ${node.chain.height}, head ${node.chain.tip.id.slice(0, 16)}…`,
    );
    console.log(`p2p ${node.network!.multiaddrs.join(' ')}`);
    console.log(`api ${node.apiUrl}/v1/status`);
    // Not a verdict on a block: our own template or import failed; the miner retries after a pause.
    node.miner?.on('failed', (f) =>
      console.error(
        `miner: cannot ${f.stage === 'template' ? 'build a template' : 'import its block'} at height ${f.height} on ${f.parent.slice(0, 16)}…: ${f.error instanceof Error ? (f.error.stack ?? f.error.message) : String(f.error)}`,
      ),
    );
    if (!values.quiet) {
      node.miner?.on('mined', (b) =>
        console.log(blockLine(b, node.params.powLimitBits, node.miner!.hashRate(), 'mined')),
      );
      node.chain.on('head', (c) => {
        if (c.disconnected.length > 0)
          console.log(
            `reorg: ${c.disconnected.length} blocks replaced by ${c.connected.length}, head ${c.head.header.height}`,
          );
      });
    }
    const stopTraffic = trafficKey ? startTraffic(node, trafficKey, trafficMs) : () => undefined;
    const reason = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
      if (values['exit-with-parent']) {
        // The supervisor holds the only writing end of this pipe: it closes when the supervisor exits,
        // even by SIGKILL, which no signal handler of its own could report.
        process.stdin.once('end', () => resolve('stdin closed: the parent process is gone'));
        process.stdin.once('error', () => resolve('stdin failed: the parent process is gone'));
        process.stdin.resume();
      }
    });
    console.log(`stopping (${reason})…`);
    // Without a parent nobody would SIGKILL a stop that hangs: the node ends itself after the same grace.
    if (reason.startsWith('stdin')) setTimeout(() => process.exit(1), PARENT_GONE_GRACE_MS).unref();
    stopTraffic();
    await node.stop();
    console.log('stopped');
    if (values['exit-with-parent']) process.stdin.destroy();
    return 0;
  },
};
export default command;
