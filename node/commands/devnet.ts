import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  type DevnetNode,
  type DevnetOptions,
  fetchStatus,
  prepareDevnet,
  spawnNode,
  stopProcesses,
} from '../devnet.ts';
import { formatHashRate } from '../report.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

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
    '              [--traffic-ms MS] [--until-height H]\n' +
    '  --nodes N        number of nodes, grid included (default 4: grid + 3 VPPs)\n' +
    '  --dir DIR        where data dirs, logs and devnet.json go (default devnet/)\n' +
    '  --fresh          wipe DIR first (a new chain whose genesis time is now)\n' +
    '  --mine           which nodes mine (default all); --threads per miner (default 1)\n' +
    '  --traffic-ms MS  each node sends a signed transfer every MS ms (default 1500; 0 = none)\n' +
    '  --until-height H stop with exit code 0 once every node has height >= H and one head',
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
    const plan = await prepareDevnet(o);
    console.log(
      `devnet ${plan.chainName} (chain id ${plan.chainId}), genesis ${plan.genesisHash.slice(0, 16)}…, ${nodes} nodes in ${o.dir}/`,
    );
    for (const n of plan.nodes) {
      console.log(
        `  ${`node-${n.index}`.padEnd(8)} ${n.role.padEnd(4)} ${n.name.padEnd(7)} ${n.address}  peer ${n.peerId}  ${n.api}/v1/status  ${n.p2p}${n.mining ? '  mining' : ''}`,
      );
    }
    console.log(
      `  machine-readable: ${join(o.dir, 'devnet.json')}; logs: <dir>/node-*/node.log. Ctrl-C stops all nodes.`,
    );

    const children = new Map<DevnetNode, ChildProcess>();
    let stopping = false;
    for (const n of plan.nodes) {
      const child = spawnNode(plan, n, o);
      children.set(n, child);
      child.on('exit', (code, signal) => {
        if (!stopping) console.log(`node-${n.index} exited (${code ?? signal}); see ${n.logFile}`);
      });
    }
    const stopAll = async () => {
      stopping = true;
      clearInterval(ticker);
      await stopProcesses(children.values());
    };

    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    let last = '';
    const ticker = setInterval(async () => {
      const st = await Promise.all(plan.nodes.map((n) => fetchStatus(n.api)));
      const line = st
        .map((s, i) =>
          s
            ? `${i === 0 ? 'grid' : `vpp-${i}`} h${s.height} ${s.headHash.slice(0, 8)} p${s.peers} m${s.mempoolSize}${s.hashRate ? ` ${formatHashRate(s.hashRate)}` : ''}`
            : `node-${i} down`,
        )
        .join(' | ');
      if (line !== last) console.log(line);
      last = line;
      if (
        untilHeight &&
        st.every((s) => s && s.height >= untilHeight) &&
        new Set(st.map((s) => s!.headHash)).size === 1
      )
        done();
    }, 2000);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    await finished;
    console.log('stopping all nodes…');
    await stopAll();
    return 0;
  },
};
export default command;
