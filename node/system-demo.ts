// The whole system, end to end (`npm start` / `vppchain demo [--scenario FILE]`): a devnet (grid + one node
// process per VPP, mining), one agent per VPP in this process beside its node (it runs its VPP's day-ahead
// market, commits the plan on chain, then in real time bids its deviation through its node's REST API and
// splits its confirmed bills among its prosumers), and the grid operator's agent, which meters every VPP
// after delivery. What runs is a system scenario (agent/scenario/: the built-in demo is one such file).
// The nodes run under the devnet's supervisor (node/supervisor.ts): ports probed first, exits said and
// restarted (or the demo stopped), and every node stopped when the demo ends, however it ends. Printing,
// publishing, exports and the report are in node/demo/.
import { dirname, join, resolve } from 'node:path';
import type { VppAgent } from '../agent/agent.ts';
import { runVppDayAheads } from '../agent/dayahead-pool.ts';
import { HttpChainPort, HttpMeterPort } from '../agent/http-ports.ts';
import { GridMeteringAgent } from '../agent/metering.ts';
import type { SystemScenario } from '../agent/scenario/system.ts';
import { agentFor, type VppDayAhead } from '../agent/scenarios.ts';
import { VppClient } from '../client/index.ts';
import { loadGenesisFile } from '../consensus/genesis.ts';
import { devKeyPair } from '../protocol/keys.ts';
import { DEMO_INTERVALS_AHEAD, demoGenesis, Stopped, until } from './demo/chain.ts';
import { DemoConsole } from './demo/console.ts';
import { writeDayAheadOutputs, writeRunCsvs } from './demo/exports.ts';
import { RunPublisher } from './demo/publish.ts';
import { writeRunReport } from './demo/report.ts';
import type { DemoSummary, IntervalReport, RunInfo } from './demo/types.ts';
import { type DevnetOptions, type DevnetPlan, devnetPortClaims, prepareDevnet } from './devnet.ts';
import type { LogFormat, LogLevel } from './log.ts';
import { assertPortsFree } from './ports.ts';
import { DevnetSupervisor, type OnNodeExit, type SupervisorLevel } from './supervisor.ts';

export type { DemoSummary, IntervalReport };

export interface SystemDemoOptions {
  dir: string;
  /** What to run (CLI flags already applied over the file's values). */
  scenario: SystemScenario;
  /** After the last interval and the summary, keep the nodes (and the dashboard) up until stopped. */
  hold?: boolean;
  /** Also write the results here: CSVs, day-ahead outputs per VPP, report.html. */
  out?: string;
  /** Money in token base units instead of GBP. */
  raw?: boolean;
  p2pBasePort: number;
  apiBasePort: number;
  /** A node that exits is restarted with backoff, or ('stop') the demo stops with an error. */
  onNodeExit: OnNodeExit;
  signal: AbortSignal;
  /** The demo's report, a line at a time. */
  log: (line: string) => void;
  /** The supervisor's lines (node exits, restarts, readiness); default: into the report. */
  supervisorLog?: (line: string, level: SupervisorLevel) => void;
  /** The nodes' log level and format (their logs go to <dir>/node-<i>/node.log); default info, pretty. */
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /** Progress redrawn in place on a terminal (null: the line is done); without it, a line every few seconds. */
  status?: (line: string | null) => void;
}

export async function runSystemDemo(
  o: SystemDemoOptions,
): Promise<{ reports: IntervalReport[]; summary: DemoSummary }> {
  const s = o.scenario;
  const nodes = s.vpps.length + 1;
  // Before anything is prepared: the devnet directory is wiped below, and it may be another devnet's.
  await assertPortsFree(devnetPortClaims({ nodes, p2pBasePort: o.p2pBasePort, apiBasePort: o.apiBasePort }));
  // VPP i runs node i with the genesis account vpp-i; its name is the scenario's.
  const vpps = s.vpps.map((v, i) => ({ ...v, address: devKeyPair(`vpp-${i + 1}`).address }));
  const genesis = demoGenesis(s);
  const vppFile = resolve(o.dir, 'vpps.json');
  const exportsDir = join(dirname(vppFile), 'exports');
  const devnet: DevnetOptions = {
    dir: o.dir,
    nodes,
    p2pBasePort: o.p2pBasePort,
    apiBasePort: o.apiBasePort,
    fresh: true,
    mining: new Set(Array.from({ length: nodes }, (_, i) => i)),
    threads: 1,
    trafficMs: 0,
    genesisFile: genesis.file,
    vppFile,
    ...(o.logLevel ? { logLevel: o.logLevel } : {}),
    ...(o.logFormat ? { logFormat: o.logFormat } : {}),
  };
  const plan: DevnetPlan = await prepareDevnet(devnet);
  // The devnet starts its own clock (genesis time = now): interval arithmetic uses its genesis.
  const chainParams = loadGenesisFile(join(o.dir, 'genesis.json'));
  const run: RunInfo = {
    name: s.name,
    ...(s.file ? { file: s.file } : {}),
    framework: s.framework,
    startMinute: s.startMinute,
    minutesPerInterval: s.minutesPerInterval,
    intervalMs: s.chain.intervalMs,
    blockTimeMs: s.chain.blockTimeMs,
    minConfirmations: s.chain.minConfirmations,
    intervals: s.intervals,
  };
  const publisher = new RunPublisher(
    vppFile,
    run,
    vpps.map((v) => ({
      name: v.name,
      label: v.label,
      address: v.address,
      prosumers: v.scenario.prosumers.length,
    })),
  );
  const out = new DemoConsole({
    log: o.log,
    ...(o.raw ? { raw: true } : {}),
    ...(o.status ? { status: o.status } : {}),
  });
  const supervisor = new DevnetSupervisor(plan, devnet, {
    onNodeExit: o.onNodeExit,
    log: (l, level = 'info') => {
      if (!o.supervisorLog) return out.line(l);
      out.clearStatus(); // a progress line being redrawn in place ends before a log line
      o.supervisorLog(l, level);
    },
  });
  supervisor.start();
  // Told to stop (Ctrl-C reaches the nodes too): no restarts while the summary is read from the nodes.
  o.signal.addEventListener('abort', () => supervisor.standDown(), { once: true });
  // Waits end on the caller's signal or on a node's exit under --on-node-exit stop.
  const signal = AbortSignal.any([o.signal, supervisor.failed]);
  const logs = `${o.dir}/node-*/node.log`;
  const wait = <T>(what: string, fn: () => Promise<T | undefined>, ms = 10 * s.chain.intervalMs + 60_000) =>
    until(what, fn, signal, ms, logs);
  const agents: VppAgent[] = [];
  const reports: IntervalReport[] = [];
  const written: string[] = [];

  try {
    const prosumers = vpps.reduce((n, v) => n + v.scenario.prosumers.length, 0);
    out.line(`vppchain demo: ${s.name}${s.file ? ` (${s.file})` : ''}`);
    out.line(
      `  ${vpps.length} VPPs with ${prosumers} prosumers, the grid operator, ${plan.nodes.length} mining nodes in ${o.dir}/`,
    );
    const pids = supervisor.pids();
    for (const n of plan.nodes) {
      const who = n.index === 0 ? 'grid' : vpps[n.index - 1]!.name;
      out.line(
        `  ${`node-${n.index}`.padEnd(7)} ${who.padEnd(8)} ${n.address}  ${n.api}  pid ${pids[n.index]}`,
      );
    }
    out.line(`dashboard: ${plan.nodes[0]!.api}/dashboard   (API docs: ${plan.nodes[0]!.api}/docs)`);
    out.rate();
    const clients = plan.nodes.map((n) => new VppClient(n.api));
    out.line('\nwaiting for the nodes to connect and mine their first block…');
    publisher.phase(
      'starting',
      'The grid operator and every VPP start a node; the agents begin once they are connected and mining.',
    );
    await wait(
      'the nodes to be up, connected and past genesis',
      async () => {
        const views = await supervisor.views();
        return views.every((v) => v.state === 'up' && v.status.peers >= 1 && v.status.height >= 1)
          ? true
          : undefined;
      },
      120_000,
    );

    // Day-ahead: each VPP clears a P2P market among its own prosumers for the whole day.
    out.line(
      `\nday-ahead markets (${s.framework}): each VPP clears a P2P market among its own prosumers for the day`,
    );
    out.explain('day-ahead');
    publisher.phase('day-ahead');
    // Every VPP's market at once on a pool of worker threads (one per core): they are independent.
    const dayAhead: VppDayAhead[] = await runVppDayAheads(
      vpps.map((v) => v.scenario),
      s.framework,
      {
        onStart: (i) => publisher.solving(i),
        onIteration: (i, h, max) => {
          out.progress(vpps[i]!.name, h, max);
          publisher.progress(i, h, max);
        },
        onDone: (i, da, seconds) => {
          const v = vpps[i]!;
          publisher.dayAheadDone(i, da.result, v.scenario.periodMinutes, seconds);
          out.dayAheadDone(
            { name: v.name, label: v.label, prosumers: v.scenario.prosumers.length },
            {
              traditional: da.traditional.totalCost,
              p2p: da.result.totalCost,
              iterations: da.result.iterations,
              converged: da.result.converged,
              certifiedGap: da.result.certifiedGap ?? null,
              seconds,
            },
          );
        },
        signal,
      },
    ).catch((err) => {
      throw signal.aborted ? new Stopped('stopped') : err;
    });
    if (o.out)
      written.push(
        ...(await writeDayAheadOutputs(
          o.out,
          vpps.map((v, i) => ({ name: v.name, dayAhead: dayAhead[i]!, tariffs: v.scenario.tariffs })),
        )),
      );

    const intervalAt = (t: number) =>
      BigInt(Math.floor((t - chainParams.timestamp) / chainParams.market.intervalMs));
    const startOf = (k: bigint) => chainParams.timestamp + Number(k) * chainParams.market.intervalMs;
    const headTime = async (c: VppClient) => (await c.block('latest')).timestamp;
    // Each VPP commits its day-ahead schedule on chain, which takes a position only until the interval's
    // bidding window opens; the first interval is far enough ahead for that, and bidding waits for it.
    const ahead = BigInt(DEMO_INTERVALS_AHEAD);
    const k0 = intervalAt(await headTime(clients[0]!)) + ahead + 2n;
    // Chain interval k0 stands for the scenario's start time: the agents map every interval from there.
    const mpi = s.minutesPerInterval;
    const mapping = {
      minutesPerInterval: mpi,
      startMinute: (((s.startMinute - Number(k0) * mpi) % 1440) + 1440) % 1440,
    };
    for (const [i, v] of vpps.entries()) {
      const port = new HttpChainPort(clients[i + 1]!, devKeyPair(`vpp-${i + 1}`), s.chain.minConfirmations);
      agents.push(agentFor(v, port, dayAhead[i]!, { mapping, errors: s.errors, forecast: s.nowcast }));
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
    const supply = async () => {
      const balances = await Promise.all(chainParams.accounts.map((a) => clients[0]!.account(a.address)));
      return balances.reduce((sum, b) => sum + BigInt(b.balance), 0n).toString();
    };
    const supplyStart = await supply();
    const commitFrom = (a: VppAgent, k: bigint) =>
      a
        .commitScheduleFrom(k)
        .catch((err) => out.line(`  ${a.name}: schedule from interval ${k} not committed: ${err}`));
    await Promise.all(agents.map((a) => commitFrom(a, k0)));
    const firstIn = Math.max(0, Math.round((startOf(k0) - Date.now()) / 1000));
    publisher.phase(
      'day-ahead',
      `Every VPP has committed its day-ahead plan on chain; real-time trading starts with the first interval in about ${firstIn} s (bids are taken ${DEMO_INTERVALS_AHEAD} intervals ahead).`,
    );
    const wanted = s.intervals;
    out.line(
      `\nreal time: ${wanted ? `${wanted} intervals` : 'intervals until Ctrl-C'} of ${mpi} minutes of the simulated day from ${`${String(Math.floor(s.startMinute / 60)).padStart(2, '0')}:${String(s.startMinute % 60).padStart(2, '0')}`}, each ${s.chain.intervalMs / 1000} s here; the VPPs have committed their plans and bid from chain interval ${k0}`,
    );
    await wait(`the bidding window of interval ${k0}`, async () =>
      intervalAt(await headTime(clients[0]!)) >= k0 - ahead ? true : undefined,
    );
    publisher.phase('running');

    const planAll = (k: bigint) =>
      Promise.all(
        agents.map(async (a) => {
          await commitFrom(a, k + ahead + 1n); // the next day's schedule, when the committed one runs out
          try {
            return await a.planInterval(k);
          } catch (err) {
            out.line(`  ${a.name}: bid for interval ${k} not placed: ${err}`);
            return null;
          }
        }),
      );
    let bids = await planAll(k0);
    let lastHeight = 0;
    for (let k = k0; !signal.aborted && (wanted === 0 || k < k0 + BigInt(wanted)); k++) {
      try {
        // Cleared (or empty) and confirmed on every VPP's own node: only then do bills count.
        for (const [i] of agents.entries()) {
          const c = clients[i + 1]!;
          await wait(`interval ${k} cleared on node ${i + 1}`, async () => {
            const a = await c.auction(k);
            if (a.status === 'empty') return true;
            if (a.status !== 'cleared') return undefined;
            const tip = (await c.status()).height;
            return tip - a.clearing!.height + 1 >= s.chain.minConfirmations ? true : undefined;
          });
        }
        // Delivery reads the clearing's bill first and changes nothing before it has it: a node that is
        // restarting is asked again.
        const deliveries = await Promise.all(
          agents.map((a) => wait(`${a.name}'s bill of interval ${k} from its node`, () => a.deliver(k))),
        );
        const last = wanted !== 0 && k + 1n >= k0 + BigInt(wanted);
        const nextBids = last ? [] : await planAll(k + 1n);
        // Delivery is over at the start of the next interval: the grid meters what actually happened.
        await wait(`end of interval ${k}`, async () =>
          (await headTime(clients[0]!)) >= startOf(k + 1n) ? true : undefined,
        );
        await grid.meter(
          k,
          agents.map((a, i) => ({ vpp: a.address, meteredWh: deliveries[i]!.meteredWh })),
        );
        await wait(`bills of interval ${k} confirmed`, async () =>
          (await Promise.all(agents.map((a) => a.settle(k)))).every(Boolean) ? true : undefined,
        );
        const auction = await clients[0]!.auction(k);
        const ch = auction.clearing?.height;
        const n = Number(k - k0) + 1;
        const bills = await Promise.all(
          agents.map((a, i) => clients[i + 1]!.bills(a.address, { from: k, to: k })),
        );
        const report: IntervalReport = {
          n,
          interval: k.toString(),
          minute: s.startMinute + (n - 1) * mpi,
          minutes: mpi,
          deliveryStart: startOf(k),
          vpps: agents.map((a, i) => ({
            name: a.name,
            address: a.address,
            deviationWh: deliveries[i]!.declaredDeviationWh,
            bid: bids[i] ? { side: bids[i]!.side, steps: bids[i]!.steps.length, wh: bids[i]!.totalWh } : null,
            ownWh: deliveries[i]!.redispatchWh,
            meteredWh: deliveries[i]!.meteredWh,
          })),
          auction: auction.bidCount > 0 ? auction : null,
          clearingBlockTime: ch === undefined ? null : (await clients[0]!.block(ch)).timestamp,
          clearingParentTime: ch === undefined ? null : (await clients[0]!.block(ch - 1)).timestamp,
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
        out.interval(report, wanted, s.chain.minConfirmations);
        publisher.interval(report, agents[0]!.record(k)?.prices ?? auction.prices, agents);
        writeRunCsvs(exportsDir, reports, agents);
        if (o.out) writeRunCsvs(o.out, reports, agents);
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
    const first = reports[0]?.interval;
    const lastK = reports.at(-1)?.interval;
    const summary: DemoSummary = {
      intervals: reports.length,
      blocks: (await quick(async () => (await clients[0]!.status()).height)) ?? lastHeight,
      reorgs,
      supply: { start: supplyStart, end: await quick(supply) },
      vpps: await Promise.all(
        agents.map(async (a, i) => {
          const t = a.ledger.summary();
          const billTotal =
            first === undefined || lastK === undefined
              ? 0n
              : await quick(async () =>
                  (
                    await clients[i + 1]!.bills(a.address, { from: BigInt(first), to: BigInt(lastK) })
                  ).bills.reduce((sum, b) => sum + BigInt(b.total), 0n),
                );
          return {
            name: a.name,
            address: a.address,
            prosumers: t.prosumers.length,
            traditionalGbp: t.total.traditional.totalGbp,
            p2pGbp: t.total.p2p.totalGbp,
            savingGbp: t.total.savingGbp,
            realtimeUnits: t.realtimeUnits.toString(),
            billTotalUnits: billTotal === null ? null : billTotal.toString(),
          };
        }),
      ),
    };
    out.summary(summary, agents, run);
    publisher.phase(signal.aborted ? 'stopped' : 'finished');
    written.push(...writeRunCsvs(exportsDir, reports, agents));
    if (o.out) {
      written.push(...writeRunCsvs(o.out, reports, agents));
      written.push(
        await writeRunReport(o.out, { run, published: publisher.current, summary, files: written }),
      );
      out.line(`\nresults in ${o.out}/: report.html, intervals.csv, bills.csv, savings.csv, dayahead/<VPP>/`);
    }
    if (o.hold && !signal.aborted) {
      out.line(`\nthe nodes stay up for the dashboard (${plan.nodes[0]!.api}/dashboard); Ctrl-C stops them`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      if (supervisor.failed.aborted) throw supervisor.failed.reason;
    }
    return { reports, summary };
  } catch (err) {
    if (supervisor.failed.aborted) throw supervisor.failed.reason;
    throw err;
  } finally {
    o.status?.(null);
    await supervisor.stop();
  }
}
