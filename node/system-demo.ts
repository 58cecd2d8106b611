// The whole system, end to end (`npm start` / `vppchain demo`): a devnet (grid + VPP node processes,
// mining), one agent per VPP in this process beside its node (it runs its VPP's day-ahead market, then in
// real time bids its deviation through its node's REST API and splits its confirmed bills among its
// prosumers), and the grid operator's agent, which meters every VPP after delivery. The nodes run under
// the devnet's supervisor (node/supervisor.ts): ports probed first, exits said and restarted (or the demo
// stopped), only its own nodes counted, and every node stopped when the demo ends, however it ends.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { VppAgent } from '../agent/agent.ts';
import { HttpChainPort, HttpMeterPort } from '../agent/http-ports.ts';
import { GridMeteringAgent } from '../agent/metering.ts';
import { buildDemoVpps, createDemoAgent } from '../agent/scenarios.ts';
import { VppClient } from '../client/index.ts';
import { loadGenesisFile } from '../consensus/genesis.ts';
import type { FrameworkName } from '../market/result.ts';
import { targetToBits } from '../protocol/difficulty.ts';
import { devKeyPair } from '../protocol/keys.ts';
import { genesisToJson } from '../protocol/params.ts';
import { RunError } from './commands/command.ts';
import {
  type DemoSummary,
  type IntervalReport,
  logInterval,
  logSummary,
  writeVppSummary,
} from './demo-report.ts';
import { type DevnetOptions, type DevnetPlan, devnetPortClaims, prepareDevnet } from './devnet.ts';
import { assertPortsFree } from './ports.ts';
import { DevnetSupervisor, type OnNodeExit } from './supervisor.ts';

export type { DemoSummary, IntervalReport };

export interface SystemDemoOptions {
  dir: string;
  vpps: number;
  prosumersPerVpp: number;
  intervalMs: number;
  blockTimeMs: number;
  /** Stop after this many intervals (0: until stopped). */
  intervals: number;
  /** After the last interval and the summary, keep the nodes (and the dashboard) up until stopped. */
  hold?: boolean;
  framework: FrameworkName;
  p2pBasePort: number;
  apiBasePort: number;
  /** Minute of the day where the first chain interval starts (each interval is 5 minutes of the day). */
  startMinute: number;
  /** A node that exits is restarted with backoff, or ('stop') the demo stops with an error. */
  onNodeExit: OnNodeExit;
  signal: AbortSignal;
  log: (line: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/** Stopped from outside (Ctrl-C, SIGTERM, or the supervisor's --on-node-exit stop). */
class Stopped extends Error {}

/**
 * Polls `fn` until it gives a value. Giving up after timeoutMs is a RunError: one line that says what
 * did not happen and where the nodes' logs are, not a stack trace.
 */
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  signal: AbortSignal,
  timeoutMs: number,
  logs: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw new Stopped('stopped');
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // the node may be busy or restarting; try again until the deadline
    }
    if (Date.now() > deadline)
      throw new RunError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; see ${logs}`,
      );
    await sleep(200, signal);
  }
}

export async function runSystemDemo(
  o: SystemDemoOptions,
): Promise<{ reports: IntervalReport[]; summary: DemoSummary }> {
  const { log } = o;
  const nodes = o.vpps + 1;
  // Before anything is prepared: the devnet directory is wiped below, and it may be another devnet's.
  await assertPortsFree(devnetPortClaims({ nodes, p2pBasePort: o.p2pBasePort, apiBasePort: o.apiBasePort }));
  const demoVpps = buildDemoVpps({ vpps: o.vpps, prosumersPerVpp: o.prosumersPerVpp });

  // A demo chain: genesis.json with a faster clock. Nodes mine on ~2 cores together: aim the initial
  // target at one block per blockTimeMs for ~1.5 MH/s in total; aserti3-2d corrects it from there.
  const params = loadGenesisFile(new URL('../genesis.json', import.meta.url).pathname);
  params.blockTimeMs = o.blockTimeMs;
  params.halfLifeMs = 30_000;
  params.initialBits = targetToBits((1n << 256n) / BigInt(Math.round(1_500_000 * (o.blockTimeMs / 1000))));
  params.market = { ...params.market, intervalMs: o.intervalMs, maxIntervalsAhead: 4, minConfirmations: 2 };
  const genesisFile = join(mkdtempSync(join(tmpdir(), 'vppchain-demo-')), 'genesis.json');
  writeFileSync(genesisFile, JSON.stringify(genesisToJson(params), null, 2));
  const vppFile = resolve(o.dir, 'vpps.json');
  const devnet: DevnetOptions = {
    dir: o.dir,
    nodes,
    p2pBasePort: o.p2pBasePort,
    apiBasePort: o.apiBasePort,
    fresh: true,
    mining: new Set(Array.from({ length: nodes }, (_, i) => i)),
    threads: 1,
    trafficMs: 0,
    genesisFile,
    vppFile,
  };
  const plan: DevnetPlan = await prepareDevnet(devnet);
  // The devnet starts its own clock (genesis time = now): interval arithmetic uses its genesis.
  const chainParams = loadGenesisFile(join(o.dir, 'genesis.json'));
  const supervisor = new DevnetSupervisor(plan, devnet, { onNodeExit: o.onNodeExit, log });
  supervisor.start();
  // Told to stop (Ctrl-C reaches the nodes too): no restarts while the summary is read from the nodes.
  o.signal.addEventListener('abort', () => supervisor.standDown(), { once: true });
  // Waits end on the caller's signal or on a node's exit under --on-node-exit stop.
  const signal = AbortSignal.any([o.signal, supervisor.failed]);
  const logs = `${o.dir}/node-*/node.log`;

  try {
    log(
      `vppchain demo: ${o.vpps} VPPs of ${o.prosumersPerVpp} prosumers, grid operator, ${plan.nodes.length} mining nodes in ${o.dir}/`,
    );
    const pids = supervisor.pids();
    for (const n of plan.nodes)
      log(
        `  ${`node-${n.index}`.padEnd(7)} ${n.name.padEnd(6)} ${n.address}  ${n.api}  pid ${pids[n.index]}`,
      );
    log(`dashboard: ${plan.nodes[0]!.api}/dashboard   (API docs: ${plan.nodes[0]!.api}/docs)`);
    const clients = plan.nodes.map((n) => new VppClient(n.api));
    await until(
      'the nodes to be up, connected and past genesis',
      async () => {
        const views = await supervisor.views();
        return views.every((v) => v.state === 'up' && v.status.peers >= 1 && v.status.height >= 1)
          ? true
          : undefined;
      },
      signal,
      120_000,
      logs,
    );

    log(`\nday-ahead markets (${o.framework} framework, each VPP alone; costs for one day, GBP):`);
    const mapping = { minutesPerInterval: 5, startMinute: o.startMinute };
    const minConfirmations = params.market.minConfirmations;
    const agents: VppAgent[] = [];
    for (const [i, v] of demoVpps.entries()) {
      const port = new HttpChainPort(clients[i + 1]!, devKeyPair(v.name), minConfirmations);
      const agent = await createDemoAgent(v, port, { framework: o.framework, mapping });
      agents.push(agent);
      const da = agent.context.dayAhead;
      const trad = agent.traditional.totalCost;
      log(
        `  ${v.name.padEnd(6)} ${v.mix.padEnd(16)} ${String(v.scenario.prosumers.length).padStart(3)} prosumers: traditional ${trad.toFixed(3)}, P2P ${da.totalCost.toFixed(3)} (saving ${(trad - da.totalCost).toFixed(3)}), ${da.iterations} iterations, ${da.converged ? 'converged' : 'NOT converged'}`,
      );
    }
    const grid = new GridMeteringAgent(new HttpMeterPort(clients[0]!, devKeyPair('grid')));
    let reorgs = 0;
    const watcher = new AbortController();
    signal.addEventListener('abort', () => watcher.abort(), { once: true });
    void (async () => {
      try {
        for await (const e of clients[0]!.subscribe({ kinds: ['reorg'], signal: watcher.signal }))
          if (e.kind === 'reorg') reorgs++;
      } catch {
        // the stream ends when the demo stops
      }
    })();

    const intervalAt = (t: number) =>
      BigInt(Math.floor((t - chainParams.timestamp) / chainParams.market.intervalMs));
    const startOf = (k: bigint) => chainParams.timestamp + Number(k) * chainParams.market.intervalMs;
    const headTime = async (c: VppClient) => (await c.block('latest')).timestamp;
    const supply = async () => {
      const balances = await Promise.all(chainParams.accounts.map((a) => clients[0]!.account(a.address)));
      return balances.reduce((sum, b) => sum + BigInt(b.balance), 0n).toString();
    };
    const supplyStart = await supply();
    // Each VPP commits its day-ahead schedule on chain, which takes a position only until the interval's
    // bidding window opens; the first interval is far enough ahead for that, and bidding waits for it.
    const ahead = BigInt(params.market.maxIntervalsAhead);
    const k0 = intervalAt(await headTime(clients[0]!)) + ahead + 2n;
    const commitFrom = (a: VppAgent, k: bigint) =>
      a
        .commitScheduleFrom(k)
        .catch((err) => log(`  ${a.name}: schedule from interval ${k} not committed: ${err}`));
    await Promise.all(agents.map((a) => commitFrom(a, k0)));
    await until(
      `the bidding window of interval ${k0}`,
      async () => (intervalAt(await headTime(clients[0]!)) >= k0 - ahead ? true : undefined),
      signal,
      10 * o.intervalMs + 60_000,
      logs,
    );
    const reports: IntervalReport[] = [];
    const publish = () => writeVppSummary(vppFile, agents, o.framework, reports.length);
    publish();

    const planAll = async (k: bigint) => {
      const bids = await Promise.all(
        agents.map(async (a) => {
          await commitFrom(a, k + ahead + 1n); // the next day's schedule, when the committed one runs out
          try {
            return await a.planInterval(k);
          } catch (err) {
            log(`  ${a.name}: bid for interval ${k} not placed: ${err}`);
            return null;
          }
        }),
      );
      return bids;
    };
    let bids = await planAll(k0);
    let lastHeight = 0;
    for (let k = k0; !signal.aborted && (o.intervals === 0 || k < k0 + BigInt(o.intervals)); k++) {
      try {
        // Cleared (or empty) and confirmed on every VPP's own node: only then do bills count.
        for (const [i] of agents.entries()) {
          const c = clients[i + 1]!;
          await until(
            `interval ${k} cleared on node ${i + 1}`,
            async () => {
              const a = await c.auction(k);
              if (a.status === 'empty') return true;
              if (a.status !== 'cleared') return undefined;
              const tip = (await c.status()).height;
              return tip - a.clearing!.height + 1 >= minConfirmations ? true : undefined;
            },
            signal,
            10 * o.intervalMs + 60_000,
            logs,
          );
        }
        const deliveries = await Promise.all(agents.map((a) => a.deliver(k)));
        const last = o.intervals !== 0 && k + 1n >= k0 + BigInt(o.intervals);
        const nextBids = last ? [] : await planAll(k + 1n);
        // Delivery is over at the start of the next interval: the grid meters what actually happened.
        await until(
          `end of interval ${k}`,
          async () => ((await headTime(clients[0]!)) >= startOf(k + 1n) ? true : undefined),
          signal,
          10 * o.intervalMs + 60_000,
          logs,
        );
        await grid.meter(
          k,
          agents.map((a, i) => ({ vpp: a.address, meteredWh: deliveries[i]!.meteredWh })),
        );
        await until(
          `bills of interval ${k} confirmed`,
          async () => ((await Promise.all(agents.map((a) => a.settle(k)))).every(Boolean) ? true : undefined),
          signal,
          10 * o.intervalMs + 60_000,
          logs,
        );

        const auction = await clients[0]!.auction(k);
        const ch = auction.clearing?.height;
        const clearingBlockTime = ch === undefined ? null : (await clients[0]!.block(ch)).timestamp;
        const clearingParentTime = ch === undefined ? null : (await clients[0]!.block(ch - 1)).timestamp;
        const bills = await Promise.all(
          agents.map((a, i) => clients[i + 1]!.bills(a.address, { from: k, to: k })),
        );
        const report: IntervalReport = {
          interval: k.toString(),
          vpps: agents.map((a, i) => ({
            name: a.name,
            address: a.address,
            deviationWh: deliveries[i]!.declaredDeviationWh,
            bid: bids[i] ? { side: bids[i]!.side, steps: bids[i]!.steps.length, wh: bids[i]!.totalWh } : null,
            meteredWh: deliveries[i]!.meteredWh,
          })),
          auction: auction.bidCount > 0 ? auction : null,
          clearingBlockTime,
          clearingParentTime,
          bills: bills.map((p, i) => {
            const b = p.bills[0];
            return {
              name: agents[i]!.name,
              total: b?.total ?? '0',
              lines: b?.lines ?? [],
              clearingHeight: b?.clearing?.height ?? 0,
              meteringHeight: b?.metering?.height ?? 0,
            };
          }),
        };
        reports.push(report);
        logInterval(log, report, startOf(k), o.startMinute + 5 * Number(k - k0));
        publish();
        bids = nextBids;
        lastHeight = auction.clearing?.height ?? lastHeight;
      } catch (err) {
        if (supervisor.failed.aborted) throw supervisor.failed.reason; // --on-node-exit stop
        if (signal.aborted) break; // Ctrl-C: summarise what completed
        throw err;
      }
    }
    watcher.abort();
    if (supervisor.failed.aborted) throw supervisor.failed.reason;
    // After Ctrl-C the nodes may already be stopping (they share the terminal's signal): ask, but do not insist.
    const quick = async <T>(f: () => Promise<T>): Promise<T | null> => {
      try {
        return await f();
      } catch {
        return null;
      }
    };
    const height = (await quick(async () => (await clients[0]!.status()).height)) ?? lastHeight;
    const summary: DemoSummary = {
      intervals: reports.length,
      blocks: height,
      reorgs,
      supply: { start: supplyStart, end: await quick(supply) },
      vpps: await Promise.all(
        agents.map(async (a, i) => {
          const s = a.ledger.summary();
          const first = reports[0]?.interval;
          const last = reports.at(-1)?.interval;
          const billTotal =
            first === undefined || last === undefined
              ? 0n
              : await quick(async () =>
                  (
                    await clients[i + 1]!.bills(a.address, { from: BigInt(first), to: BigInt(last) })
                  ).bills.reduce((sum, b) => sum + BigInt(b.total), 0n),
                );
          return {
            name: a.name,
            address: a.address,
            prosumers: s.prosumers.length,
            traditionalGbp: s.total.traditional.totalGbp,
            p2pGbp: s.total.p2p.totalGbp,
            savingGbp: s.total.savingGbp,
            realtimeUnits: s.realtimeUnits.toString(),
            billTotalUnits: billTotal === null ? null : billTotal.toString(),
          };
        }),
      ),
    };
    logSummary(log, summary, agents);
    publish();
    if (o.hold && !signal.aborted) {
      log(`\nthe nodes stay up for the dashboard (${plan.nodes[0]!.api}/dashboard); Ctrl-C stops them`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      if (supervisor.failed.aborted) throw supervisor.failed.reason;
    }
    return { reports, summary };
  } catch (err) {
    if (supervisor.failed.aborted) throw supervisor.failed.reason;
    throw err;
  } finally {
    await supervisor.stop();
  }
}
