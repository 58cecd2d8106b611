// `vppchain devnet`: a local network of node processes under a supervisor (node/supervisor.ts): ports
// probed before anything is prepared, one status line per change for the nodes that are its own, a node
// that exits said and restarted (or everything stopped, --on-node-exit stop), Ctrl-C and SIGTERM stop all.
import { join } from 'node:path';
import { type DevnetOptions, devnetPortClaims, prepareDevnet } from '../devnet.ts';
import { assertPortsFree } from '../ports.ts';
import { formatHashRate } from '../report.ts';
import { DevnetSupervisor, type NodeView, parseOnNodeExit } from '../supervisor.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

/** One status line: each node's height, head, peers, mempool and hash rate, or why it is not shown. */
export function statusLine(views: readonly NodeView[]): string {
  return views
    .map((v, i) => {
      const name = i === 0 ? 'grid' : `vpp-${i}`;
      if (v.state === 'down') return `${name} down`;
      if (v.state === 'foreign') return `${name} port taken by another node`;
      const s = v.status;
      return `${name} h${s.height} ${s.headHash.slice(0, 8)} p${s.peers} m${s.mempoolSize}${s.hashRate ? ` ${formatHashRate(s.hashRate)}` : ''}`;
    })
    .join(' | ');
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
  usage:
    'devnet [--nodes N] [--dir DIR] [--fresh] [--mine all|none|I,J] [--threads N] [--p2p-base-port P] [--api-base-port P]\n' +
    '              [--traffic-ms MS] [--until-height H] [--on-node-exit restart|stop]\n' +
    '  --nodes N        number of nodes, grid included (default 4: grid + 3 VPPs)\n' +
    '  --dir DIR        where data dirs, logs and devnet.json go (default devnet/)\n' +
    '  --fresh          wipe DIR first (a new chain whose genesis time is now)\n' +
    '  --mine           which nodes mine (default all); --threads per miner (default 1)\n' +
    '  --traffic-ms MS  each node sends a signed transfer every MS ms (default 1500; 0 = none)\n' +
    '  --until-height H stop with exit code 0 once every node has height >= H and one head\n' +
    '  --on-node-exit   a node that exits is restarted with backoff (1 s doubling to 30 s; default), or\n' +
    '                   with "stop" every node is stopped and the devnet exits with code 1\n' +
    '  A port in use is one line on stderr and exit code 1; nodes stop when the devnet does, however it ends.',
  async run(argv) {
    const { values } = parseFlags(argv, {
      nodes: { type: 'string' },
      dir: { type: 'string', default: 'devnet' },
      fresh: { type: 'boolean', default: false },
      mine: { type: 'string', default: 'all' },
      threads: { type: 'string' },
      'p2p-base-port': { type: 'string' },
      'api-base-port': { type: 'string' },
      'traffic-ms': { type: 'string' },
      'until-height': { type: 'string' },
      'on-node-exit': { type: 'string' },
      genesis: { type: 'string', default: new URL('../../genesis.json', import.meta.url).pathname },
    });
    const nodes = intFlag(values.nodes, 'nodes', 4, 1, 64);
    const o: DevnetOptions = {
      dir: values.dir!,
      nodes,
      fresh: values.fresh!,
      mining: parseMining(values.mine!, nodes),
      threads: intFlag(values.threads, 'threads', 1, 1, 16),
      p2pBasePort: intFlag(values['p2p-base-port'], 'p2p-base-port', 30300, 1024, 65000),
      apiBasePort: intFlag(values['api-base-port'], 'api-base-port', 8600, 1024, 65000),
      trafficMs: intFlag(values['traffic-ms'], 'traffic-ms', 1500, 0, 3_600_000),
      genesisFile: values.genesis!,
    };
    if (o.trafficMs > 0 && o.trafficMs < 50) throw new UsageError('--traffic-ms must be 0 or at least 50');
    const untilHeight = intFlag(values['until-height'], 'until-height', 0, 1, 10_000_000);
    const onNodeExit = parseOnNodeExit(values['on-node-exit']);
    await assertPortsFree(devnetPortClaims(o));
    const plan = await prepareDevnet(o);
    const supervisor = new DevnetSupervisor(plan, o, { onNodeExit, log: (line) => console.log(line) });
    supervisor.start();
    const pids = supervisor.pids();
    console.log(
      `devnet ${plan.chainName} (chain id ${plan.chainId}), genesis ${plan.genesisHash.slice(0, 16)}…, ${nodes} nodes in ${o.dir}/`,
    );
    for (const n of plan.nodes) {
      console.log(
        `  ${`node-${n.index}`.padEnd(8)} ${n.role.padEnd(4)} ${n.name.padEnd(7)} ${n.address}  peer ${n.peerId}  ${n.api}/v1/status  ${n.p2p}${n.mining ? '  mining' : ''}  pid ${pids[n.index]}`,
      );
    }
    console.log(
      `  machine-readable: ${join(o.dir, 'devnet.json')}; logs: <dir>/node-*/node.log. Ctrl-C stops all nodes.`,
    );

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
        if (line !== last) console.log(line);
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
      console.log('stopping all nodes…');
      await supervisor.stop();
      console.log('all nodes stopped');
    }
    if (supervisor.failed.aborted) throw supervisor.failed.reason;
    return 0;
  },
};
export default command;
