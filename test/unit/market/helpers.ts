// Small scenario builders for the market tests.
import { generateScenario } from '../../../market/generator.ts';
import { SIMULATION_DEADLINES, type SimulatedParties, startParties } from '../../../market/pool/hosts.ts';
import { PoolSession, type SessionOptions } from '../../../market/pool/session.ts';
import { parseScenario } from '../../../market/scenario.ts';
import type { Scenario } from '../../../market/types.ts';
import { clearWeak, type WeakOptions } from '../../../market/weak.ts';

export function generated(prosumers: number, seed = 7, extra: Record<string, unknown> = {}): Scenario {
  return parseScenario(generateScenario({ prosumers, seed, ...extra }));
}

/** A scenario from inline parts, validated like a file. */
export function inline(
  periods: number,
  tariffs: { retail: number[]; feedIn: number[] },
  prosumers: unknown[],
): Scenario {
  return parseScenario({
    name: 'test',
    periods,
    tariffs: { ...tariffs, source: 'test figures' },
    prosumers,
  });
}

/** The weak market on simulated parties (in this thread, or `threads` workers). */
export async function weakMarket(
  scenario: Scenario,
  options: WeakOptions = {},
  threads = 0,
  session: Partial<SessionOptions> = {},
): Promise<{ result: Awaited<ReturnType<typeof clearWeak>>; parties: SimulatedParties }> {
  // Keys from a seed: the same masking graph in every run (reproducible tests).
  const parties = await startParties(scenario, {
    threads,
    allowReveal: options.reveal === true,
    identitySeed: 'market-test',
  });
  try {
    const s = await PoolSession.open(parties.transport, {
      tariffs: scenario.tariffs,
      periodMinutes: scenario.periodMinutes,
      method: options.method ?? 'admm',
      ...SIMULATION_DEADLINES,
      ...session,
    });
    return { result: await clearWeak(s, scenario.tariffs, options), parties };
  } catch (err) {
    await parties.close();
    throw err;
  }
}
