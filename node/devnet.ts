// A local network of node processes: node 0 is the grid operator, the others VPPs. Each has its own
// data dir, account key, p2p and API ports (base port + index) and bootstraps to every other node. This
// file plans the devnet and starts and stops one node process; node/supervisor.ts watches them.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ReadinessJson } from '../client/types.ts';
import { genesisBlock, loadGenesisFile } from '../consensus/genesis.ts';
import { loadOrCreatePeerKey, peerIdOfKey } from '../p2p/identity.ts';
import { toHex } from '../protocol/bytes.ts';
import { devKeyPair } from '../protocol/keys.ts';
import { type ChainParams, genesisToJson } from '../protocol/params.ts';
import { CONFIG_ENV, envName } from './config.ts';
import { CONFIG_SCHEMAS } from './config-schema.ts';
import { writeKeyFile } from './keyfile.ts';
import type { LogFormat, LogLevel } from './log.ts';
import { genesisPath, initDataDir, p2pKeyPath } from './node.ts';
import type { PortClaim } from './ports.ts';

export interface DevnetOptions {
  dir: string;
  nodes: number;
  p2pBasePort: number;
  apiBasePort: number;
  fresh: boolean;
  mining: Set<number>;
  threads: number;
  trafficMs: number;
  genesisFile: string;
  /** Passed to every node as --vpp-file (the demo's agents publish their results there). */
  vppFile?: string;
  /** Each node's log level and format in its node.log (default info, pretty). */
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

export interface DevnetNode {
  index: number;
  role: 'grid' | 'vpp';
  name: string;
  address: string;
  keyFile: string;
  dataDir: string;
  logFile: string;
  peerId: string;
  p2p: string;
  api: string;
  mining: boolean;
}

export interface DevnetPlan {
  chainId: number;
  chainName: string;
  genesisHash: string;
  nodes: DevnetNode[];
}

const nameOf = (i: number): string => (i === 0 ? 'grid' : `vpp-${i}`);

/** Writes (or reuses) the devnet's genesis and node directories and returns the plan. */
export async function prepareDevnet(o: DevnetOptions): Promise<DevnetPlan> {
  if (o.fresh) rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const gPath = join(o.dir, 'genesis.json');
  let params: ChainParams;
  if (existsSync(gPath)) {
    params = loadGenesisFile(gPath);
  } else {
    // A new devnet starts its clock now; VPPs beyond those in the template get funded development keys.
    params = loadGenesisFile(o.genesisFile);
    params.timestamp = Date.now();
    const vppBalance = params.accounts.find((a) => a.role === 'vpp')?.balance ?? 100_000_000_000n;
    for (let i = 1; i < o.nodes; i++) {
      const name = nameOf(i);
      if (!params.accounts.some((a) => a.name === name))
        params.accounts.push({ name, role: 'vpp', address: devKeyPair(name).address, balance: vppBalance });
    }
    writeFileSync(gPath, `${JSON.stringify(genesisToJson(params), null, 2)}\n`);
  }
  const nodes: DevnetNode[] = [];
  for (let i = 0; i < o.nodes; i++) {
    const name = nameOf(i);
    const dataDir = resolve(o.dir, `node-${i}`);
    if (!existsSync(genesisPath(dataDir))) await initDataDir(dataDir, params);
    const key = devKeyPair(name);
    const keyFile = join(dataDir, 'account-key.json');
    if (!existsSync(keyFile)) writeKeyFile(keyFile, key);
    const peerId = peerIdOfKey(await loadOrCreatePeerKey(p2pKeyPath(dataDir)));
    nodes.push({
      index: i,
      role: i === 0 ? 'grid' : 'vpp',
      name,
      address: key.address,
      keyFile,
      dataDir,
      logFile: join(dataDir, 'node.log'),
      peerId,
      p2p: `/ip4/127.0.0.1/tcp/${o.p2pBasePort + i}/p2p/${peerId}`,
      api: `http://127.0.0.1:${o.apiBasePort + i}`,
      mining: o.mining.has(i),
    });
  }
  const plan: DevnetPlan = {
    chainId: params.chainId,
    chainName: params.name,
    genesisHash: toHex(genesisBlock(params).hash),
    nodes,
  };
  writeFileSync(join(o.dir, 'devnet.json'), `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

/**
 * The ports a devnet will listen on, each with the flag that moves it; the supervisor probes them all
 * before it prepares anything (--fresh would otherwise wipe a directory another devnet is running in).
 */
export function devnetPortClaims(
  o: Pick<DevnetOptions, 'nodes' | 'p2pBasePort' | 'apiBasePort'>,
): PortClaim[] {
  const claims: PortClaim[] = [];
  for (let i = 0; i < o.nodes; i++) {
    claims.push({
      port: o.p2pBasePort + i,
      host: '127.0.0.1',
      what: `p2p of node-${i}`,
      flag: '--p2p-base-port',
    });
    claims.push({
      port: o.apiBasePort + i,
      host: '127.0.0.1',
      what: `api of node-${i}`,
      flag: '--api-base-port',
    });
  }
  return claims;
}

/**
 * Starts one node process of the plan. Its output is appended to its log file (written by the node
 * itself, so it outlives this process); its stdin is a pipe from this process and it runs with
 * --exit-with-parent, so it stops when this process ends, however that happens.
 */
export function spawnNode(plan: DevnetPlan, n: DevnetNode, o: DevnetOptions): ChildProcess {
  const cli = new URL('./cli.ts', import.meta.url).pathname;
  const args = [
    cli,
    'node',
    '--datadir',
    n.dataDir,
    '--p2p-port',
    String(o.p2pBasePort + n.index),
    '--api-port',
    String(o.apiBasePort + n.index),
    '--bootstrap',
    plan.nodes
      .filter((m) => m !== n)
      .map((m) => m.p2p)
      .join(','),
    '--miner-key',
    n.keyFile,
    '--threads',
    String(o.threads),
    '--exit-with-parent',
  ];
  args.push('--log-level', o.logLevel ?? 'info', '--log-format', o.logFormat ?? 'pretty');
  if (n.mining) args.push('--mine');
  if (o.vppFile) args.push('--vpp-file', o.vppFile);
  if (o.trafficMs > 0) args.push('--traffic-ms', String(o.trafficMs), '--traffic-key', n.keyFile);
  const log = openSync(n.logFile, 'a');
  try {
    const child = spawn(process.execPath, args, { stdio: ['pipe', log, log], env: nodeEnv() });
    // A node that is gone makes writes to its stdin fail; nothing is written there, but say so to Node.
    child.stdin!.on('error', () => undefined);
    return child;
  } finally {
    closeSync(log); // the child has its own descriptor
  }
}

/**
 * The environment of a node process: the supervisor's, less its configuration (VPPCHAIN_CONFIG and every
 * VPPCHAIN_<KEY> of a command's schema), which is for the supervisor; the plan says what each node does.
 */
function nodeEnv(): NodeJS.ProcessEnv {
  const ours = new Set([
    CONFIG_ENV,
    ...Object.values(CONFIG_SCHEMAS).flatMap((s) => Object.keys(s).map(envName)),
  ]);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !ours.has(k)));
}

/** How long a node may take to stop after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 5_000;

/**
 * Stops node processes: SIGTERM (they close their ledger cleanly), SIGKILL after STOP_GRACE_MS if one
 * hangs (a ledger write is one atomic batch, so even that leaves it consistent).
 */
export function stopProcesses(children: Iterable<ChildProcess>): Promise<void> {
  const one = (c: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const kill = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS);
      c.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      c.kill('SIGTERM');
    });
  return Promise.all([...children].map(one)).then(() => undefined);
}

/** The fields of GET /v1/status the devnet reads. */
export interface NodeStatus {
  genesisHash: string;
  peerId: string | null;
  height: number;
  headHash: string;
  peers: number;
  mempoolSize: number;
  hashRate: number;
}

/** A node's readiness (GET /readyz: 200 or 503 with the same facts), or undefined when it does not answer. */
export async function fetchReadiness(api: string, timeoutMs = 2000): Promise<ReadinessJson | undefined> {
  try {
    const r = await fetch(`${api}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await r.json()) as ReadinessJson | { error?: { details?: ReadinessJson } };
    const facts = r.ok
      ? (body as ReadinessJson)
      : (body as { error?: { details?: ReadinessJson } }).error?.details;
    return facts && typeof facts.ready === 'boolean' ? facts : undefined;
  } catch {
    return undefined;
  }
}

/** A node's status, or undefined when it does not answer (in time, or with a status). */
export async function fetchStatus(api: string, timeoutMs = 2000): Promise<NodeStatus | undefined> {
  try {
    const r = await fetch(`${api}/v1/status`, { signal: AbortSignal.timeout(timeoutMs) });
    return r.ok ? ((await r.json()) as NodeStatus) : undefined;
  } catch {
    return undefined;
  }
}
