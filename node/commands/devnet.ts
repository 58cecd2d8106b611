// `vppchain devnet`: a local network of node processes under a supervisor (node/supervisor.ts): ports
// probed before anything is prepared, one status line per change for the nodes that are its own (with a
// legend above the first; a JSON record each with --log-format json), a node that exits said and restarted
// (or everything stopped, --on-node-exit stop), readiness changes said, Ctrl-C and SIGTERM stop all.
// Configured by flags, VPPCHAIN_* variables and a config file (node/config-schema.ts).
import { join } from 'node:path';
import { usageLines } from '../config-output.ts';
import { configFor, DEVNET_CONFIG, printConfigOf } from '../config-schema.ts';
import { type DevnetOptions, devnetPortClaims, prepareDevnet } from '../devnet.ts';
import { createLogger } from '../log.ts';
import { assertPortsFree } from '../ports.ts';
import { formatHashRate } from '../report.ts';
import { DevnetSupervisor, type NodeView } from '../supervisor.ts';
import { type Command, UsageError } from './command.ts';

/** What the status line's fields mean, printed once above the first one. */
export const STATUS_LEGEND =
  'status, one line per change: per node h<height> <head hash, first 8 hex digits> p<peers> m<transactions waiting in its mempool> [hash rate when mining]; "not ready" = GET /readyz says 503 (syncing, no peers or ledger closed), with why';

const nameOf = (i: number) => (i === 0 ? 'grid' : `vpp-${i}`);

/** Why a node is not ready, in a few words for the status line. */
function notReadyWords(v: NodeView): string | undefined {
  if (v.state !== 'up' || !v.ready || v.ready.ready) return undefined;
  const r = v.ready;
  if (!r.databaseOpen) return 'not ready: ledger closed';
  if (r.behind > r.maxBehind) return `not ready: syncing, ${r.behind} behind`;
  if (r.peers < r.minPeers) return 'not ready: no peers';
  return 'not ready';
}

/** One status line: each node's height, head, peers, mempool and hash rate, or why it is not shown. */
export function statusLine(views: readonly NodeView[]): string {
  return views
    .map((v, i) => {
      const name = nameOf(i);
      if (v.state === 'down') return `${name} down`;
      if (v.state === 'foreign') return `${name} port taken by another node`;
      const s = v.status;
      const notReady = notReadyWords(v);
      return `${name} h${s.height} ${s.headHash.slice(0, 8)} p${s.peers} m${s.mempoolSize}${s.hashRate ? ` ${formatHashRate(s.hashRate)}` : ''}${notReady ? ` (${notReady})` : ''}`;
    })
    .join(' | ');
}

/** The same status as fields of a JSON log record (--log-format json): one object per node. */
export function statusRecord(views: readonly NodeView[]): { nodes: object[] } {
  return {
    nodes: views.map((v, i) => {
      const name = nameOf(i);
      if (v.state !== 'up') return { name, state: v.state };
      const s = v.status;
      return {
        name,
        state: 'up',
        height: s.height,
        head: s.headHash,
        peers: s.peers,
        mempool: s.mempoolSize,
        hashRate: s.hashRate,
        ready: v.ready?.ready ?? null,
        ...(v.ready && !v.ready.ready ? { notReady: v.ready.reasons } : {}),
      };
    }),
  };
}

function parseMining(spec: string, n: number): Set<number> {
  if (spec === 'all') return new Set(Array.from({ length: n }, (_, i) => i));
  if (spec === 'none') return new Set();
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    if (!/^\d+$/.test(part) || Number(part) >= n)
      throw new UsageError(`--mine: '${part}' is not a node index below ${n}`);
    out.add(Number(part));
  }
  return out;
}

const command: Command = {
  name: 'devnet',
  summary:
    'Run a local network of node processes: node 0 the grid, the others VPPs; prints each node and writes devnet.json.',
  usage: `devnet [options]\n${usageLines(DEVNET_CONFIG)}\n  A port in use is one line on stderr and exit code 1; nodes stop when the devnet does, however it ends.`,
  async run(argv) {
    const config = configFor('devnet', argv);
    if (config.printConfig) {
      console.log(printConfigOf('devnet', config));
      return 0;
    }
    const v = config.values;
    const nodes = v.nodes;
    const o: DevnetOptions = {
      dir: v.dir,
      nodes,
      fresh: v.fresh,
      mining: parseMining(v.mine, nodes),
      threads: v.threads,
      p2pBasePort: v['p2p-base-port'],
      apiBasePort: v['api-base-port'],
      trafficMs: v['traffic-ms'],
      genesisFile: v.genesis,
      logLevel: v['log-level'],
      logFormat: v['log-format'],
    };
    if (o.trafficMs > 0 && o.trafficMs < 50) throw new UsageError('--traffic-ms must be 0 or at least 50');
    const untilHeight = v['until-height'] ?? 0;
    const onNodeExit = v['on-node-exit'];
    await assertPortsFree(devnetPortClaims(o));
    const logger = createLogger({ level: v['log-level'], format: v['log-format'], file: v['log-file'] });
    const log = logger.child({ component: 'devnet' });
    const json = v['log-format'] === 'json';
    const plan = await prepareDevnet(o);
    const supervisor = new DevnetSupervisor(plan, o, {
      onNodeExit,
      log: (line, level = 'info') => logger.child({ component: 'supervisor' })[level](line),
    });
    supervisor.start();
    const pids = supervisor.pids();
    const title = `devnet ${plan.chainName} (chain id ${plan.chainId}), genesis ${plan.genesisHash.slice(0, 16)}…, ${nodes} nodes in ${o.dir}/`;
    if (json)
      log.info(
        { plan: join(o.dir, 'devnet.json'), nodes: plan.nodes.map((n, i) => ({ ...n, pid: pids[i] })) },
        title,
      );
    else {
      // The plan is the command's answer, for people: a table without log prefixes, then the log.
      console.log(title);
      for (const n of plan.nodes) {
        console.log(
          `  ${`node-${n.index}`.padEnd(8)} ${n.role.padEnd(4)} ${n.name.padEnd(7)} ${n.address}  peer ${n.peerId}  ${n.api}/v1/status  ${n.p2p}${n.mining ? '  mining' : ''}  pid ${pids[n.index]}`,
        );
      }
      console.log(
        `  machine-readable: ${join(o.dir, 'devnet.json')}; logs: <dir>/node-*/node.log. Ctrl-C stops all nodes.`,
      );
      console.log(`  ${STATUS_LEGEND}`);
    }

    // Until a signal, the height asked for, or (--on-node-exit stop) a node's exit.
    const done = new AbortController();
    const finish = () => {
      supervisor.standDown(); // a terminal's Ctrl-C reaches the nodes too: their exits are expected now
      done.abort();
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    supervisor.failed.addEventListener('abort', finish, { once: true });
    let last = '';
    try {
      while (!done.signal.aborted) {
        const views = await supervisor.views();
        if (done.signal.aborted) break;
        const line = statusLine(views);
        if (line !== last) {
          if (json) log.info(statusRecord(views), 'status');
          else log.info(line);
        }
        last = line;
        const up = views.flatMap((v) => (v.state === 'up' ? [v.status] : []));
        if (
          untilHeight &&
          up.length === views.length &&
          up.every((s) => s.height >= untilHeight) &&
          new Set(up.map((s) => s.headHash)).size === 1
        )
          break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 2000);
          const wake = () => {
            clearTimeout(t);
            resolve();
          };
          done.signal.addEventListener('abort', wake, { once: true });
        });
      }
    } finally {
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      log.info('stopping all nodes…');
      await supervisor.stop();
      log.info('all nodes stopped');
    }
    if (supervisor.failed.aborted) throw supervisor.failed.reason;
    return 0;
  },
};
export default command;
