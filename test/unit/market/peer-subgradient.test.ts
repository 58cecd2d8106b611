// The thesis's method in the decentralised market: Lagrangian relaxation of the pairs' reciprocity with
// sub-gradient steps and ergodic averaging. It runs without a coordinator like the ADMM, its certificate
// is valid (the bound is below the optimum), its bills add up; and it is far from the ADMM's tolerances
// in the same number of iterations (the documented reason ADMM is the default).
import { describe, expect, it } from 'vitest';
import { runDayAhead } from '../../../market/dayahead.ts';
import { expectBillsAddUp } from './bills-check.ts';
import { generated } from './helpers.ts';

describe('decentralised sub-gradient', () => {
  it('certifies where it stops, bills add up, and trails the ADMM', { timeout: 180_000 }, async () => {
    const scenario = generated(6, 9, { batteryShare: 0.5 });
    const run = (method: 'admm' | 'subgradient', maxIterations: number) =>
      runDayAhead(scenario, {
        frameworks: ['decentralized'],
        threads: 0,
        reference: true,
        clearing: { method, maxIterations },
        peer: { maskSeed: 3 },
      });
    const [sub, admm] = [await run('subgradient', 60), await run('admm', 500)];
    const s = sub.frameworks.decentralized!;
    const a = admm.frameworks.decentralized!;
    expect(s.method).toMatch(/sub-gradient/);
    expect(s.iterations).toBe(60);
    expect(s.converged).toBe(false);
    // The certificate is rigorous whatever the method: bound ≤ optimum ≤ reported cost.
    expect(s.dualBound!).toBeLessThanOrEqual(sub.optimum! + 1e-9);
    expect(s.totalCost).toBeGreaterThanOrEqual(sub.optimum! - 1e-6);
    expect(s.certifiedGap!).toBeGreaterThanOrEqual(s.gap! - 1e-9);
    expectBillsAddUp(s, 'sub-gradient');
    expect(a.converged).toBe(true);
    expect(a.iterations).toBeLessThan(500);
    expect(s.relativeImbalance).toBeGreaterThan(10 * a.relativeImbalance);
    expect(s.gap!).toBeGreaterThan(a.gap!);
  });
});
