// Runs the day-ahead frameworks on one scenario (a simulation: the caller holds every prosumer's data)
// and collects a comparable result. Distributed methods need no central solve: the weak market certifies
// its own gap. The central LP runs only as a framework of its own or, for research, as the `reference`
// the gaps are reported against. The traditional market always runs, as the baseline for savings. Each
// framework gets its own agents (fresh private state); the weak market's are parties that talk to the
// coordinator through the secure-sum protocol (pool/), in this thread or in worker threads.
import { startAgents } from './agent-host.ts';
import { solveCentral } from './central.ts';
import type { ClearingOptions } from './clearing.ts';
import { clearDecentralized, peerOptions } from './decentralized.ts';
import { defaultGraph, floodRounds, type GraphSpec, isConnected, tradingGraph } from './graph.ts';
import { SIMULATION_DEADLINES, startParties } from './pool/hosts.ts';
import { PoolSession } from './pool/session.ts';
import {
  type DayAheadResult,
  FRAMEWORKS,
  type FrameworkName,
  type FrameworkResult,
  relativeGap,
} from './result.ts';
import { solveTraditional } from './traditional.ts';
import type { Scenario } from './types.ts';
import { clearWeak } from './weak.ts';

export interface DayAheadOptions {
  frameworks: readonly FrameworkName[];
  /** Worker threads for the prosumer agents (0 = in-process); default one per core. */
  threads?: number;
  graph?: GraphSpec;
  clearing?: Partial<ClearingOptions>;
  /** Separate ρ for the decentralised market (bilateral prices see only two peers' imbalance). */
  peerRho?: number;
  /** Decentralised market: a seed for the peers' masks (tests). */
  peer?: { maskSeed?: number };
  centralTimeLimitSeconds?: number;
  /** Research: solve the central LP (all private data, HiGHS) to report each method's true gap. Off by default. */
  reference?: boolean;
  /**
   * Weak market: whether the simulated prosumers reveal their final schedules (research mode, labelled
   * in the result's `disclosure`). Default true here — the caller already holds every prosumer's data
   * (the demo's VPP agents simulate their prosumers' real-time behaviour from them); the CLI and the
   * networked market default to aggregates only.
   */
  revealSchedules?: boolean;
  /** Masking graph degree of the weak market's secure sums (default min(N - 1, 2⌈log2 N⌉)). */
  maskDegree?: number;
  onStart?: (framework: FrameworkName) => void;
  onDone?: (result: FrameworkResult) => void;
}

export async function runDayAhead(scenario: Scenario, options: DayAheadOptions): Promise<DayAheadResult> {
  const wanted = FRAMEWORKS.filter((f) => options.frameworks.includes(f));
  const needOptimum = wanted.includes('central') || options.reference === true;
  const frameworks: Partial<Record<FrameworkName, FrameworkResult>> = {};
  const done = (r: FrameworkResult) => {
    frameworks[r.framework] = r;
    options.onDone?.(r);
  };
  let optimum: number | null = null;
  if (needOptimum) {
    options.onStart?.('central');
    const central = await solveCentral(scenario, { timeLimitSeconds: options.centralTimeLimitSeconds });
    if (central.converged) optimum = central.totalCost;
    done(central);
  }
  const reference = optimum ?? undefined;
  // The traditional market is the baseline for savings: cheap (one solve per prosumer), so always run.
  for (const name of FRAMEWORKS.filter((f) => f === 'traditional' || wanted.includes(f))) {
    if (name === 'central') continue;
    options.onStart?.(name);
    if (name === 'traditional') {
      const host = await startAgents(scenario, 'alone', options.threads);
      try {
        done(await solveTraditional(host, scenario.periods, reference));
      } finally {
        await host.close();
      }
    } else if (name === 'weak') {
      const reveal = options.revealSchedules ?? true;
      const parties = await startParties(scenario, { threads: options.threads, allowReveal: reveal });
      try {
        const method = options.clearing?.method ?? 'admm';
        const session = await PoolSession.open(parties.transport, {
          tariffs: scenario.tariffs,
          periodMinutes: scenario.periodMinutes,
          method,
          ...SIMULATION_DEADLINES,
          ...(options.maskDegree !== undefined ? { maskDegree: options.maskDegree } : {}),
        });
        done(
          await clearWeak(session, scenario.tariffs, {
            ...options.clearing,
            referenceCost: reference,
            reveal,
          }),
        );
      } finally {
        await parties.close();
      }
    } else {
      const graph = tradingGraph(
        scenario.prosumers.length,
        options.graph ?? defaultGraph(scenario.prosumers.length),
      );
      if (!isConnected(graph)) throw new Error('the trading graph is not connected');
      const clearing = { ...options.clearing, referenceCost: reference };
      if (options.peerRho !== undefined) clearing.rho = options.peerRho;
      const peer = peerOptions(
        { ...clearing, ...options.peer },
        scenario.prosumers.length,
        floodRounds(graph),
      );
      const host = await startAgents(scenario, { neighbours: graph, peer }, options.threads);
      try {
        done(
          await clearDecentralized(
            host,
            scenario.tariffs,
            graph,
            scenario.prosumers.map((p) => p.id),
            { ...clearing, peer },
          ),
        );
      } finally {
        await host.close();
      }
    }
  }
  const baseline = frameworks.traditional?.totalCost ?? null;
  for (const name of FRAMEWORKS) if (!wanted.includes(name)) delete frameworks[name];
  for (const r of Object.values(frameworks)) r.gap = relativeGap(r.totalCost, optimum);
  return {
    scenario: {
      name: scenario.name,
      currency: scenario.currency,
      periods: scenario.periods,
      periodMinutes: scenario.periodMinutes,
      prosumers: scenario.prosumers.length,
      tariffSource: scenario.tariffs.source,
    },
    frameworks,
    optimum,
    baseline,
  };
}
