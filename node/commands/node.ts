// `vppchain node`: one node process, configured by flags, VPPCHAIN_* variables and a config file
// (node/config-schema.ts), logging through pino (node/log.ts). Ports are probed before anything opens, and
// a port taken in between is still told in one line (node/ports.ts); a node that fails to start stops what
// it had started, so the process exits. SIGINT, SIGTERM and, with --exit-with-parent, the end of stdin
// stop it cleanly.

import { staleGenesis } from '../../consensus/genesis.ts';
import { usageLines } from '../config-output.ts';
import { configFor, NODE_CONFIG, printConfigOf } from '../config-schema.ts';
import { readKeyFile } from '../keyfile.ts';
import { createLogger, errField } from '../log.ts';
import { VppNode } from '../node.ts';
import { assertPortsFree, type PortClaim, portInUse } from '../ports.ts';
import { blockLine } from '../report.ts';
import { startTraffic } from '../traffic.ts';
import { versionLine } from '../version.ts';
import { type Command, UsageError } from './command.ts';
import { staleGenesisWords } from './genesis.ts';

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

/** How long a node whose parent is gone may take to stop before it exits anyway. */
const PARENT_GONE_GRACE_MS = 10_000;

const command: Command = {
  name: 'node',
  summary:
    'Run a node on a data directory: sync, validate and gossip blocks and transactions, serve the API, optionally mine.',
  usage: `node --datadir DIR [options]\n${usageLines(NODE_CONFIG)}\n  A port in use is one line on stderr and exit code 1.`,
  async run(argv) {
    const config = configFor('node', argv);
    if (config.printConfig) {
      console.log(printConfigOf('node', config));
      return 0;
    }
    const v = config.values;
    const bootstrap = parseBootstrap(v.bootstrap?.join(','));
    if (v['traffic-ms'] && !v['traffic-key']) throw new UsageError('--traffic-ms needs --traffic-key');
    if (v['p2p-port'] !== 0 && v['p2p-port'] === v['api-port'])
      throw new UsageError(`--p2p-port and --api-port are both ${v['p2p-port']}; they need a port each`);
    if (v.cors?.length === 0) throw new UsageError('--cors needs at least one origin');
    const minerKey = v['miner-key'] ? readKeyFile(v['miner-key']) : undefined;
    const trafficKey = v['traffic-key'] ? readKeyFile(v['traffic-key']) : undefined;
    const claims: PortClaim[] = [
      { port: v['p2p-port'], host: v['p2p-host'], what: 'p2p', flag: '--p2p-port' },
      { port: v['api-port'], host: v['api-host'], what: 'api', flag: '--api-port' },
    ];
    await assertPortsFree(claims);
    const logger = createLogger({ level: v['log-level'], format: v['log-format'], file: v['log-file'] });
    const log = logger.child({ component: 'node' });
    log.info(`${versionLine()}, data directory ${v.datadir}${config.file ? `, config ${config.file}` : ''}`);
    let opened: VppNode | undefined;
    try {
      opened = await VppNode.open({
        dataDir: v.datadir,
        mine: v.mine,
        minerKey,
        minerThreads: v.threads,
        p2p: { port: v['p2p-port'], host: v['p2p-host'], bootstrap },
        api: {
          port: v['api-port'],
          host: v['api-host'],
          cors: v.cors,
          rateLimit: v['rate-limit'] === 0 ? false : { max: v['rate-limit'], windowMs: 60_000 },
          logLevel: v['api-log'] === 'off' ? false : v['api-log'],
          vppFile: v['vpp-file'],
          readiness: { maxBehind: v['ready-max-behind'], minPeers: v['ready-min-peers'] },
        },
        logger,
      });
      const stale = opened.chain.height === 0 && v.mine ? staleGenesis(opened.params, Date.now()) : undefined;
      if (stale && !v['allow-old-genesis'])
        throw new UsageError(`refusing to mine: ${staleGenesisWords(opened.params, stale)}`);
      await opened.start();
    } catch (err) {
      // What did start (libp2p listening, the ledger, worker threads) is stopped, so the process can exit.
      await opened?.stop().catch(() => undefined);
      throw portInUse(err, claims) ?? new UsageError((err as Error).message);
    }
    const node = opened;
    log.info(
      `node ${node.nodeKey.address} on ${node.params.name}, height ${node.chain.height}, head ${node.chain.tip.id.slice(0, 16)}…`,
    );
    log.info(`p2p ${node.network!.multiaddrs.join(' ')}`);
    log.info(`api ${node.apiUrl}/v1/status (health ${node.apiUrl}/healthz, readiness ${node.apiUrl}/readyz)`);
    const minerLog = logger.child({ component: 'miner' });
    // Not a verdict on a block: our own template or import failed; the miner retries after a pause.
    node.miner?.on('failed', (f) =>
      minerLog.error(
        { ...errField(f.error), height: f.height, parent: f.parent },
        `cannot ${f.stage === 'template' ? 'build a template' : 'import its block'} at height ${f.height} on ${f.parent.slice(0, 16)}…`,
      ),
    );
    if (!v.quiet) {
      node.miner?.on('mined', (b) =>
        minerLog.info(blockLine(b, node.params.powLimitBits, node.miner!.hashRate(), 'mined')),
      );
      const chainLog = logger.child({ component: 'chain' });
      node.chain.on('head', (c) => {
        if (c.disconnected.length > 0)
          chainLog.info(
            `reorg: ${c.disconnected.length} blocks replaced by ${c.connected.length}, head ${c.head.header.height}`,
          );
      });
    }
    const stopTraffic = trafficKey ? startTraffic(node, trafficKey, v['traffic-ms']!) : () => undefined;
    const reason = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
      if (v['exit-with-parent']) {
        // The supervisor holds the only writing end of this pipe: it closes when the supervisor exits,
        // even by SIGKILL, which no signal handler of its own could report.
        process.stdin.once('end', () => resolve('stdin closed: the parent process is gone'));
        process.stdin.once('error', () => resolve('stdin failed: the parent process is gone'));
        process.stdin.resume();
      }
    });
    log.info(`stopping (${reason})…`);
    // Without a parent nobody would SIGKILL a stop that hangs: the node ends itself after the same grace.
    if (reason.startsWith('stdin')) setTimeout(() => process.exit(1), PARENT_GONE_GRACE_MS).unref();
    stopTraffic();
    await node.stop();
    log.info('stopped');
    if (v['exit-with-parent']) process.stdin.destroy();
    return 0;
  },
};
export default command;
