// Runs the day-ahead frameworks on one scenario and collects a comparable result. The central LP is
// solved first whenever a distributed method runs, because its optimum is the yardstick for their gaps
// and stop test; the traditional market always runs, as the baseline for savings. Each framework gets
// its own agents (fresh private state).
import { startAgents } from './agent-host.ts';
import { solveCentral } from './central.ts';
import type { ClearingOptions } from './clearing.ts';
import { clearDecentralized } from './decentralized.ts';
import { defaultGraph, type GraphSpec, isConnected, tradingGraph } from './graph.ts';
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
  centralTimeLimitSeconds?: number;
  onStart?: (framework: FrameworkName) => void;
  onDone?: (result: FrameworkResult) => void;
}

export async function runDayAhead(scenario: Scenario, options: DayAheadOptions): Promise<DayAheadResult> {
  const wanted = FRAMEWORKS.filter((f) => options.frameworks.includes(f));
  const needOptimum = wanted.some((f) => f !== 'traditional');
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
      const host = await startAgents(scenario, 'pool', options.threads);
      try {
        done(await clearWeak(host, scenario.tariffs, { ...options.clearing, referenceCost: reference }));
      } finally {
        await host.close();
      }
    } else {
      const graph = tradingGraph(
        scenario.prosumers.length,
        options.graph ?? defaultGraph(scenario.prosumers.length),
      );
      if (!isConnected(graph)) throw new Error('the trading graph is not connected');
      const host = await startAgents(scenario, graph, options.threads);
      try {
        const clearing = { ...options.clearing, referenceCost: reference, method: 'admm' as const };
        if (options.peerRho !== undefined) clearing.rho = options.peerRho;
        done(
          await clearDecentralized(
            host,
            scenario.tariffs,
            graph,
            scenario.prosumers.map((p) => p.id),
            clearing,
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
