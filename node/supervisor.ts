// The supervisor of a devnet's node processes (`vppchain devnet`, and `vppchain demo` through
// node/system-demo.ts). It starts every node of the plan; notices a node that exits and says so, with the
// last line the node wrote; restarts it with exponential backoff, or with `--on-node-exit stop` stops
// everything; reports only the nodes that are its own (the genesis hash and peer id of the plan, read
// from each node's /v1/status), so another process on a node's port is named, never shown as that node;
// reads each node's readiness (GET /readyz: synced near the best peer, has peers, ledger open) and says
// when a node becomes ready or stops being so; and stops all of them on stop(). The nodes run with --exit-with-parent (node/devnet.ts), so they also
// stop when this process dies, even by SIGKILL.
import type { ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ReadinessJson } from '../client/types.ts';
import { RunError, UsageError } from './commands/command.ts';
import {
  type DevnetNode,
  type DevnetOptions,
  type DevnetPlan,
  fetchReadiness,
  fetchStatus,
  type NodeStatus,
  spawnNode,
  stopProcesses,
} from './devnet.ts';
import { messageOf } from './log.ts';

/** What the supervisor does when a node exits on its own. */
export const ON_NODE_EXIT = ['restart', 'stop'] as const;
export type OnNodeExit = (typeof ON_NODE_EXIT)[number];

/** Parses the --on-node-exit flag of devnet and demo (default restart). */
export function parseOnNodeExit(value: string | undefined): OnNodeExit {
  const v = value ?? 'restart';
  if (!(ON_NODE_EXIT as readonly string[]).includes(v))
    throw new UsageError(`--on-node-exit must be one of ${ON_NODE_EXIT.join(', ')}, got '${v}'`);
  return v as OnNodeExit;
}

/** Restart delays: firstMs, doubled per exit up to maxMs; a node that ran stableMs starts over at firstMs. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
  stableMs: number;
}
export const DEFAULT_BACKOFF: Backoff = { firstMs: 1000, maxMs: 30_000, stableMs: 30_000 };

/** A node as the supervisor sees it through its API port. */
export type NodeView =
  /** Answering as the plan's node; `ready` is its GET /readyz (undefined if that did not answer). */
  | { state: 'up'; status: NodeStatus; ready?: ReadinessJson }
  /** No answer: starting, restarting, or gone. */
  | { state: 'down' }
  /** Something else answers on the node's port: another devnet's node, or another chain's. */
  | { state: 'foreign'; genesisHash: string; peerId: string | null };

/** Asks a node of the plan for its status and checks that it is that node (genesis hash and peer id). */
export async function probeNode(plan: DevnetPlan, n: DevnetNode, timeoutMs = 5000): Promise<NodeView> {
  const [status, ready] = await Promise.all([
    fetchStatus(n.api, timeoutMs),
    fetchReadiness(n.api, timeoutMs),
  ]);
  if (!status) return { state: 'down' };
  if (status.genesisHash !== plan.genesisHash || status.peerId !== n.peerId)
    return { state: 'foreign', genesisHash: String(status.genesisHash), peerId: status.peerId ?? null };
  return { state: 'up', status, ready };
}

/** The last non-empty line of a log file (its last 4 KiB), or undefined. */
function lastLine(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, 4096);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const last = buf
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1);
    // A log record's message, without its time and level (or JSON).
    return last === undefined ? undefined : messageOf(last);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** How serious a supervisor's line is: a node's exit is a warning, stopping everything for it an error. */
export type SupervisorLevel = 'info' | 'warn' | 'error';

export interface SupervisorOptions {
  onNodeExit: OnNodeExit;
  log: (line: string, level?: SupervisorLevel) => void;
  backoff?: Backoff;
}

export class DevnetSupervisor {
  readonly plan: DevnetPlan;
  readonly #devnet: DevnetOptions;
  readonly #onNodeExit: OnNodeExit;
  readonly #log: (line: string, level?: SupervisorLevel) => void;
  readonly #backoff: Backoff;
  readonly #procs: (ChildProcess | undefined)[];
  readonly #startedAt: number[];
  readonly #exits: number[];
  readonly #restartTimers: (NodeJS.Timeout | undefined)[];
  readonly #foreignSaid: boolean[];
  /** Each node's readiness as last said (undefined: not yet seen up). */
  readonly #readySaid: (boolean | undefined)[];
  readonly #failed = new AbortController();
  #stopping = false;

  constructor(plan: DevnetPlan, devnet: DevnetOptions, opts: SupervisorOptions) {
    this.plan = plan;
    this.#devnet = devnet;
    this.#onNodeExit = opts.onNodeExit;
    this.#log = opts.log;
    this.#backoff = opts.backoff ?? DEFAULT_BACKOFF;
    const n = plan.nodes.length;
    this.#procs = new Array(n).fill(undefined);
    this.#startedAt = new Array(n).fill(0);
    this.#exits = new Array(n).fill(0);
    this.#restartTimers = new Array(n).fill(undefined);
    this.#foreignSaid = new Array(n).fill(false);
    this.#readySaid = new Array(n).fill(undefined);
  }

  /**
   * Aborted when a node exited and the policy is 'stop'; its reason is a RunError saying which node and
   * how. The caller stops everything (stop()) and exits non-zero.
   */
  get failed(): AbortSignal {
    return this.#failed.signal;
  }

  /** Starts every node of the plan. */
  start(): void {
    for (const n of this.plan.nodes) this.#spawn(n);
  }

  /** The process id of each node's current process (undefined while it is down). */
  pids(): (number | undefined)[] {
    return this.#procs.map((p) => p?.pid);
  }

  /**
   * Every node as its API port shows it. A port answered by another node is said once (until it is this
   * node's again) and never reported as this node.
   */
  async views(): Promise<NodeView[]> {
    const views = await Promise.all(this.plan.nodes.map((n) => probeNode(this.plan, n)));
    views.forEach((v, i) => {
      const n = this.plan.nodes[i]!;
      if (v.state === 'up' && v.ready && v.ready.ready !== this.#readySaid[i] && !this.#stopping) {
        const r = v.ready;
        // The first time a node is seen not ready (a node starting) is not news; becoming ready is.
        if (r.ready)
          this.#log(
            `node-${i} (${n.name}) ready: height ${r.height}, ${r.peers} peer${r.peers === 1 ? '' : 's'}`,
          );
        else if (this.#readySaid[i] !== undefined)
          this.#log(`node-${i} (${n.name}) not ready: ${r.reasons.join('; ')}`, 'warn');
        this.#readySaid[i] = r.ready;
      }
      if (v.state === 'down') this.#readySaid[i] = undefined;
      if (v.state === 'foreign' && !this.#foreignSaid[i])
        this.#log(
          `node-${i}: ${n.api} answers as another node (genesis ${v.genesisHash.slice(0, 16)}…, peer ${v.peerId ?? 'none'}), not the one this devnet started (genesis ${this.plan.genesisHash.slice(0, 16)}…, peer ${n.peerId}): another process owns that port; it is left out of the reports`,
          'warn',
        );
      this.#foreignSaid[i] = v.state === 'foreign';
    });
    return views;
  }

  /**
   * From now on a node's exit is expected: nothing is restarted or reported. The owner calls it as soon as
   * it is told to stop, before it is done with the nodes (the demo still reads them for its summary):
   * Ctrl-C in a terminal reaches the nodes as well, and they must not be restarted meanwhile.
   */
  standDown(): void {
    this.#stopping = true;
    for (const t of this.#restartTimers) clearTimeout(t);
  }

  /** Stops every node (SIGTERM, then SIGKILL after a grace period) and cancels pending restarts. */
  async stop(): Promise<void> {
    this.standDown();
    await stopProcesses(this.#procs.filter((p): p is ChildProcess => p !== undefined));
  }

  #spawn(n: DevnetNode): void {
    const child = spawnNode(this.plan, n, this.#devnet);
    this.#procs[n.index] = child;
    this.#startedAt[n.index] = Date.now();
    let gone = false;
    const onGone = (how: string) => {
      if (gone) return;
      gone = true;
      this.#onExit(n, child, how);
    };
    child.once('exit', (code, signal) => onGone(signal ? `signal ${signal}` : `code ${code}`));
    // A process that could not be started at all reports 'error' and may never report 'exit'.
    child.once('error', (err) => onGone(`could not run: ${err.message}`));
  }

  #onExit(n: DevnetNode, child: ChildProcess, how: string): void {
    const i = n.index;
    if (this.#procs[i] !== child) return;
    this.#procs[i] = undefined;
    if (this.#stopping) return;
    // A node that failed says why as its last line (e.g. a port in use); one killed by a signal did not.
    const why = how.startsWith('code ') && how !== 'code 0' ? lastLine(n.logFile) : undefined;
    const said = `node-${i} (${n.name}, pid ${child.pid ?? '-'}) exited (${how})${why ? `: ${why}` : ''}`;
    if (this.#onNodeExit === 'stop') {
      this.#log(`${said}; stopping every node (--on-node-exit stop)`, 'error');
      this.#failed.abort(
        new RunError(`${said}; stopped every node (--on-node-exit stop); log: ${n.logFile}`),
      );
      return;
    }
    const { firstMs, maxMs, stableMs } = this.#backoff;
    // Not consensus: the wall clock only paces restarts.
    if (Date.now() - this.#startedAt[i]! >= stableMs) this.#exits[i] = 0;
    const delay = Math.min(maxMs, firstMs * 2 ** this.#exits[i]!);
    this.#exits[i]!++;
    this.#log(`${said}; restarting it in ${(delay / 1000).toFixed(1)} s (log: ${n.logFile})`, 'warn');
    this.#restartTimers[i] = setTimeout(() => {
      this.#restartTimers[i] = undefined;
      if (this.#stopping) return;
      this.#spawn(n);
      this.#log(`node-${i} (${n.name}) restarted, pid ${this.#procs[i]?.pid ?? '-'}`);
    }, delay);
  }
}
