// The generator's shares from the command line (market/generator.ts): heat pumps and every other option,
// checked as numbers from 0 to 1 with the flag named; a share of 1 gives every home the part.
import { describe, expect, it } from 'vitest';
import { generateScenario, SHARE_USAGE, sharesFromFlags } from '../../../market/generator.ts';
import { parseScenario } from '../../../market/scenario.ts';

describe('generator options from flags', () => {
  it('turns the flags into shares, and a heat-pump share of 1 gives every home a heat pump', () => {
    const { shares, problems } = sharesFromFlags({
      'heat-pump-share': '1',
      'ev-share': '0',
      'pv-share': '0.25',
    });
    expect(problems).toEqual([]);
    expect(shares).toEqual({ heatPumpShare: 1, evShare: 0, pvShare: 0.25 });
    const s = parseScenario(generateScenario({ prosumers: 8, seed: 3, ...shares }));
    for (const p of s.prosumers) {
      expect(p.flexibleLoads.map((f) => f.name)).toEqual(['heat pump']);
      expect(p.flexibleLoads[0]!.maxKw).toBe(2);
    }
    const none = parseScenario(
      generateScenario({ prosumers: 8, seed: 3, ...sharesFromFlags({ 'heat-pump-share': '0' }).shares }),
    );
    expect(none.prosumers.some((p) => p.flexibleLoads.some((f) => f.name === 'heat pump'))).toBe(false);
  });

  it('names each flag that is not a share, and lists every flag with its default', () => {
    expect(
      sharesFromFlags({ 'battery-share': '1.5', 'generator-share': 'lots', 'ev-share': '' }).problems,
    ).toEqual([
      "--battery-share must be a number from 0 to 1 (the share of homes with a battery), got '1.5'",
      "--ev-share must be a number from 0 to 1 (the share of homes with an EV), got ''",
      "--generator-share must be a number from 0 to 1 (the share of homes with a 1 kW micro-CHP), got 'lots'",
    ]);
    expect(SHARE_USAGE.join('\n')).toContain('--heat-pump-share X');
    expect(SHARE_USAGE.join('\n')).toContain('(default 0)');
  });
});
