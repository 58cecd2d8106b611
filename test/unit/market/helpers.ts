// Small scenario builders for the market tests.
import { generateScenario } from '../../../market/generator.ts';
import { parseScenario } from '../../../market/scenario.ts';
import type { Scenario } from '../../../market/types.ts';

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
