// Traditional market (baseline): every prosumer optimises alone against the grid tariffs; no P2P trade.
import type { AgentHost } from './agent-host.ts';
import { ownBills } from './bills.ts';
import { type FrameworkResult, netPositionOf, outcomes, relativeGap } from './result.ts';

export async function solveTraditional(
  host: AgentHost,
  periods: number,
  optimum?: number,
): Promise<FrameworkResult> {
  const started = performance.now();
  await host.solveAlone();
  const { prosumers, bills } = ownBills(outcomes(await host.report()));
  const total = prosumers.reduce((s, p) => s + p.cost, 0);
  return {
    framework: 'traditional',
    method: 'each prosumer alone against the grid tariffs',
    totalCost: total,
    gap: relativeGap(total, optimum),
    imbalance: 0,
    relativeImbalance: 0,
    tradedVolumeKwh: 0,
    iterations: 1,
    converged: true,
    seconds: (performance.now() - started) / 1000,
    messages: 0,
    bytes: 0,
    prices: [],
    prosumers,
    bills,
    settlementCost: 0,
    netPositionKwh: netPositionOf(
      prosumers.map((p) => p.schedule),
      new Array<number>(periods).fill(0),
    ),
    history: [],
  };
}
