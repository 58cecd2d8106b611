// Bills add up (market/bills.ts): P2P payments sum to exactly zero, the imbalance charges to exactly the
// grid settlement, and the prosumers' bills to the framework's total cost, for every framework.
import { describe, expect, it } from 'vitest';
import { apportion, poolBills, roundSymmetric } from '../../../market/bills.ts';
import { runDayAhead } from '../../../market/dayahead.ts';
import { FRAMEWORKS, type ProsumerOutcome } from '../../../market/result.ts';
import type { Scenario } from '../../../market/types.ts';
import { expectBillsAddUp } from './bills-check.ts';
import { generated } from './helpers.ts';

describe('bill arithmetic', () => {
  it('apportions a total exactly, each share within one unit of its raw value', () => {
    const raw = [0.4, 1.7, -2.2, 3.5, 0.6];
    for (const total of [4, 5, 3, 0, -7]) {
      const a = apportion(total, raw);
      expect(a.reduce((s, x) => s + x, 0)).toBe(total);
      if (total === 4) for (const [i, x] of a.entries()) expect(Math.abs(x - raw[i]!)).toBeLessThan(1);
    }
    expect(apportion(0, [1e-13, -1e-13])).toEqual([0, 0]);
  });

  it('rounds symmetrically, so both ends of a pair get the same integer', () => {
    for (const x of [0.5, 1.5, 2.5, -0.5, 1234.5000001, 7.49999])
      expect(roundSymmetric(-x)).toBe(-roundSymmetric(x));
  });

  it('cuts back the long side pro rata (hand-checked pool)', () => {
    // One period: A sells 3 kWh, B sells 1 kWh, C buys 2 kWh into the pool at 0.20; feed-in 0.05.
    const tariffs = { retail: [0.3], feedIn: [0.05], source: 'test figures' };
    const schedule = () =>
      Object.fromEntries(
        [
          'load',
          'pvUsed',
          'pvCurtailed',
          'generator',
          'charge',
          'discharge',
          'soc',
          'flexible',
          'gridBuy',
          'gridSell',
        ].map((f) => [f, [0]]),
      ) as unknown as ProsumerOutcome['schedule'];
    const prosumers = [3, 1, -2].map((q, i) => ({
      id: 'ABC'[i]!,
      ownCost: 0.1 * i,
      p2pPayment: 0,
      cost: 0,
      schedule: { ...schedule(), p2pNet: [q] },
    }));
    const { bills } = poolBills(prosumers, [0.2], tariffs);
    // Surplus of 2 kWh: sellers cut to half (A 1.5 kWh, B 0.5 kWh), C buys its 2 kWh.
    expect(bills.prosumers.map((l) => l.p2p)).toEqual([-0.3e9, -0.1e9, 0.4e9]);
    // The surplus is exported at feed-in: A and B carry 1.5 and 0.5 kWh of it.
    expect(bills.settlement).toBe(-0.1e9);
    expect(bills.prosumers.map((l) => l.imbalance)).toEqual([-0.075e9, -0.025e9, 0]);
  });
});

async function checkAll(scenario: Scenario, label: string) {
  const result = await runDayAhead(scenario, { frameworks: FRAMEWORKS, threads: 0, reference: true });
  for (const name of FRAMEWORKS) {
    const r = result.frameworks[name]!;
    const b = expectBillsAddUp(r, `${label} ${name}`);
    if (name === 'traditional') expect(b.settlement).toBe(0);
  }
  return result;
}

describe('bills add up on generated scenarios, every framework', () => {
  it('12 homes, half with batteries (seed 21)', { timeout: 120_000 }, async () => {
    await checkAll(generated(12, 21, { batteryShare: 0.5 }), 'seed 21');
  });
  it('40 homes on a sparse trading graph (seed 5)', { timeout: 180_000 }, async () => {
    const r = await checkAll(generated(40, 5), 'seed 5');
    // A stopped iterate has some imbalance left, and somebody pays for it.
    const dec = r.frameworks.decentralized!.bills!;
    expect(dec.prosumers.some((l) => l.imbalance !== 0)).toBe(true);
  });
  it('an iterate stopped early still bills its whole (larger) settlement', { timeout: 120_000 }, async () => {
    const scenario = generated(10, 3);
    const r = await runDayAhead(scenario, {
      frameworks: ['weak', 'decentralized'],
      threads: 0,
      clearing: { maxIterations: 4 },
    });
    for (const name of ['weak', 'decentralized'] as const) {
      const f = r.frameworks[name]!;
      const b = expectBillsAddUp(f, `early ${name}`);
      expect(Math.abs(b.settlement)).toBeGreaterThan(0);
      // Stopped at the limit, and says so, with the certificate of where it stopped.
      expect(f.iterations, name).toBe(4);
      expect(f.converged, name).toBe(false);
      expect(f.note, name).toMatch(/not converged within 4 iterations/);
      expect(f.certifiedGap!, name).toBeGreaterThan(f.gap ?? 0);
    }
  });
});
