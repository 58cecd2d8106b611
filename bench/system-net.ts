// The system bench's chain: NODES node processes of a devnet (node/devnet.ts under node/supervisor.ts, as
// the demo runs them) on a genesis written for the bench, and the bench's view of them from outside, only
// through their APIs: each node's head events (SSE, with the node's own publish time) say which block
// every node connected when; node 0's metrics give the auction hook's time. Every node is stopped when the bench ends, also on
// error and on Ctrl-C / SIGTERM (and, through --exit-with-parent, if the bench process dies).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient } from '../client/index.ts';
import { loadGenesisFile } from '../consensus/genesis.ts';
import { type DevnetOptions, type DevnetPlan, devnetPortClaims, prepareDevnet } from '../node/devnet.ts';
import { assertPortsFree } from '../node/ports.ts';
import { DevnetSupervisor } from '../node/supervisor.ts';
import { type ChainParams, genesisToJson } from '../protocol/params.ts';
import { freePortRange } from '../test/helpers/net.ts';

export interface BenchNet {
  plan: DevnetPlan;
  /** The devnet's genesis as written (its clock starts when the devnet was prepared). */
  params: ChainParams;
  clients: VppClient[];
  /** Block hash → when each node published the head event connecting it (performance.now() scale; NaN: not yet). */
  seen: Map<string, number[]>;
  /** Each node's height as its last head event said. */
  heights: number[];
  /** Resolves at the next head event from any node, or after `ms`, whichever is first. */
  nextHead(ms: number): Promise<void>;
  /** Node 0's total time in the auction's end-of-block hook so far (seconds, from GET /metrics). */
  auctionHookSeconds(): Promise<number>;
  /** Each node's process id (undefined while it is down). */
  pids(): (number | undefined)[];
  /** Throws the supervisor's reason if a node exited. */
  check(): void;
  /** Stops every node; their data dirs and logs are kept for a look when `keepLogs` (a failed run). */
  close(keepLogs?: boolean): Promise<void>;
}

export async function startBenchNet(
  genesis: ChainParams,
  nodes: number,
  miners: number,
  log: (line: string) => void,
): Promise<BenchNet> {
  const root = mkdtempSync(join(tmpdir(), 'vppchain-system-bench-'));
  const genesisFile = join(root, 'genesis-template.json');
  writeFileSync(genesisFile, JSON.stringify(genesisToJson(genesis)));
  const base = await freePortRange(2 * nodes);
  const devnet: DevnetOptions = {
    dir: join(root, 'devnet'),
    nodes,
    p2pBasePort: base,
    apiBasePort: base + nodes,
    fresh: true,
    mining: new Set(Array.from({ length: miners }, (_, i) => i)),
    threads: 1,
    trafficMs: 0,
    genesisFile,
    logLevel: 'warn',
  };
  // Another process may have taken a port since freePortRange let it go.
  await assertPortsFree(devnetPortClaims(devnet));
  const plan = await prepareDevnet(devnet);
  const params = loadGenesisFile(join(devnet.dir, 'genesis.json'));
  const supervisor = new DevnetSupervisor(plan, devnet, {
    onNodeExit: 'stop',
    log: (line) => log(`  [devnet] ${line}`),
  });
  let closed: Promise<void> | undefined;
  const events = new AbortController();
  const close = (keepLogs = false) => {
    closed ??= (async () => {
      events.abort();
      await supervisor.stop();
      if (keepLogs) log(`  the nodes' logs: ${devnet.dir}/node-*/node.log`);
      else rmSync(root, { recursive: true, force: true });
    })();
    return closed;
  };
  // Ctrl-C or a kill: the nodes stop before the bench exits (the handlers go once the bench has closed).
  const onSignal = (signal: NodeJS.Signals) => {
    log(`\n${signal}: stopping the nodes`);
    void close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  supervisor.start();

  const clients = plan.nodes.map((n) => new VppClient(n.api, { timeoutMs: 60_000 }));
  const seen = new Map<string, number[]>();
  const heights = new Array<number>(nodes).fill(0);
  let waiters: (() => void)[] = [];
  const follow = async (i: number) => {
    while (!events.signal.aborted) {
      try {
        for await (const e of clients[i]!.subscribe({ kinds: ['head'], signal: events.signal })) {
          // When the node published it (its wall clock, this machine's), not when this busy process got
          // to read it: the agents share this event loop.
          const t = performance.now() - (Date.now() - e.time);
          const head = e.data as { height: number; connected: { hash: string }[] };
          heights[i] = head.height;
          for (const b of head.connected) {
            const list = seen.get(b.hash) ?? new Array<number>(nodes).fill(Number.NaN);
            if (Number.isNaN(list[i]!)) list[i] = t;
            seen.set(b.hash, list);
          }
          const woken = waiters;
          waiters = [];
          for (const w of woken) w();
        }
      } catch {
        // not up yet, or restarting: follow it again
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  for (let i = 0; i < nodes; i++) void follow(i);

  return {
    plan,
    params,
    clients,
    seen,
    heights,
    nextHead: (ms) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      }),
    auctionHookSeconds: async () => {
      const r = await fetch(`${plan.nodes[0]!.api}/metrics`, { signal: AbortSignal.timeout(60_000) });
      const m = /^vpp_auction_clearing_seconds_sum\{contract="auction"\} (\S+)$/m.exec(await r.text());
      return m ? Number(m[1]) : 0;
    },
    pids: () => supervisor.pids(),
    check: () => {
      if (supervisor.failed.aborted) throw supervisor.failed.reason;
    },
    close: async (keepLogs) => {
      await close(keepLogs);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
