// Cases small enough to solve by hand.
import { describe, expect, it } from 'vitest';
import { runDayAhead } from '../../../market/dayahead.ts';
import { FRAMEWORKS } from '../../../market/result.ts';
import { inline } from './helpers.ts';

describe('one prosumer with a battery and a two-price tariff', () => {
  // Two 12-hour periods: cheap (0.10) then dear (0.30), no feed-in. 12 kWh of load in the dear period.
  // With 90% charge and discharge efficiency, storing for the evening costs 12 / 0.81 kWh at 0.10 plus
  // degradation 0.01 per kWh through the battery's terminals (12/0.81 kWh in, 12 kWh out), which beats
  // buying 12 kWh at 0.30.
  const scenario = inline(2, { retail: [0.1, 0.3], feedIn: [0, 0] }, [
    {
      id: 'solo',
      load: [0, 1],
      battery: {
        capacityKwh: 20,
        initialKwh: 0,
        chargeKw: 10,
        dischargeKw: 10,
        chargeEfficiency: 0.9,
        dischargeEfficiency: 0.9,
        degradationCostPerKwh: 0.01,
      },
    },
  ]);
  const bought = 12 / 0.81;
  const expected = 0.1 * bought + 0.01 * (bought + 12);

  it('charges in the cheap period and every framework finds the same optimum', async () => {
    const result = await runDayAhead(scenario, { frameworks: FRAMEWORKS, threads: 0 });
    for (const name of FRAMEWORKS) {
      const r = result.frameworks[name]!;
      expect(r.totalCost, name).toBeCloseTo(expected, 5);
      expect(r.converged, name).toBe(true);
    }
    const s = result.frameworks.central!.prosumers[0]!.schedule;
    expect(s.gridBuy[0]).toBeCloseTo(bought, 6);
    expect(s.gridBuy[1]).toBeCloseTo(0, 6);
    expect(s.soc[0]).toBeCloseTo(12 / 0.9, 6);
    expect(s.soc[1]).toBeCloseTo(0, 6);
  });
});

describe('two prosumers where trading is obviously profitable', () => {
  // One day as one period: A's PV makes 24 kWh and A uses nothing; B needs 24 kWh. Alone, A exports at
  // 0.05 and B imports at 0.30: 7.20 - 1.20 = 6.00. Trading with each other costs the VPP nothing.
  const scenario = inline(1, { retail: [0.3], feedIn: [0.05] }, [
    { id: 'A', load: [0], pv: [1] },
    { id: 'B', load: [1] },
  ]);

  it('the markets move all 24 kWh peer to peer and both prosumers gain', async () => {
    const result = await runDayAhead(scenario, { frameworks: FRAMEWORKS, threads: 0 });
    expect(result.frameworks.traditional!.totalCost).toBeCloseTo(6, 6);
    expect(result.frameworks.central!.totalCost).toBeCloseTo(0, 6);
    for (const name of ['weak', 'decentralized'] as const) {
      const r = result.frameworks[name]!;
      expect(r.converged, name).toBe(true);
      expect(r.totalCost, name).toBeLessThan(6e-3);
      const [a, b] = r.prosumers;
      expect(a!.schedule.p2pNet[0]!, name).toBeCloseTo(24, 2);
      expect(b!.schedule.p2pNet[0]!, name).toBeCloseTo(-24, 2);
      // The internal price lies within the grid spread, so neither is worse off than alone.
      expect(r.prices[0]!, name).toBeGreaterThanOrEqual(0.05 - 1e-3);
      expect(r.prices[0]!, name).toBeLessThanOrEqual(0.3 + 1e-3);
      expect(a!.cost, name).toBeLessThanOrEqual(-1.2 + 1e-2);
      expect(b!.cost, name).toBeLessThanOrEqual(7.2 + 1e-2);
      expect(r.netPositionKwh[0]!, name).toBeCloseTo(0, 2);
    }
    expect(result.frameworks.traditional!.netPositionKwh[0]).toBeCloseTo(0, 6);
  });
});
