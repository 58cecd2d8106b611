// Inexact ADMM (agent.ts): far from agreement the subproblem is solved loosely, near it tightly, and the
// certificate's Lagrangian solve is exact either way.
import { describe, expect, it } from 'vitest';
import { ProsumerAgent } from '../../../market/agent.ts';
import { canSolveSeparably } from '../../../market/solver/separable.ts';
import { periodHours } from '../../../market/types.ts';
import { generated } from './helpers.ts';

describe('inexact ADMM subproblem solves', () => {
  const scenario = generated(40, 3, { batteryShare: 1, evShare: 0.5 });
  const hours = periodHours(scenario);
  const T = scenario.periods;
  const rho = 0.05;
  const base = scenario.tariffs.retail.map((r, t) => (r + scenario.tariffs.feedIn[t]!) / 2);

  it('solves the same subproblem in fewer iterations when the pool is far from balance', () => {
    let tight = 0;
    let loose = 0;
    for (const p of scenario.prosumers.filter((q) => !canSolveSeparably(q)).slice(0, 12)) {
      const a = new ProsumerAgent(p, scenario.tariffs, hours, 'pool');
      const b = new ProsumerAgent(p, scenario.tariffs, hours, 'pool');
      const first = { prices: base, meanTrade: new Float64Array(T), rho };
      a.poolStep(first, false);
      b.poolStep(first, false);
      const before = [a.report().solverIterations, b.report().solverIterations];
      // Cost of the trade: -π - ρ·(q_prev - q̄). Shifting the prices by ρ·q̄ makes b's subproblem a's
      // exactly, with a mean trade of 0.5 kWh (tolerance 1e-4) against a's zero (1e-8).
      const shift = 0.5;
      const ra = a.poolStep({ prices: base.map((x) => x + 0.1), meanTrade: new Float64Array(T), rho }, false);
      const rb = b.poolStep(
        { prices: base.map((x) => x + 0.1 + rho * shift), meanTrade: new Float64Array(T).fill(shift), rho },
        false,
      );
      tight += a.report().solverIterations - before[0]!;
      loose += b.report().solverIterations - before[1]!;
      // Both are the same subproblem's solution, the loose one to its tolerance.
      for (let t = 0; t < T; t++) expect(Math.abs(ra.trade[t]! - rb.trade[t]!)).toBeLessThan(0.05);
      expect(Math.abs(ra.ownCost - rb.ownCost)).toBeLessThan(1e-2 * (1 + Math.abs(ra.ownCost)));
      // The certificate solves at 1e-9 whatever the last iterate's tolerance: the same bound.
      const prices = base.map((x) => x + 0.02);
      const ba = a.lagrangianBound(prices);
      const bb = b.lagrangianBound(prices);
      expect(Math.abs(ba - bb)).toBeLessThan(1e-6 * (1 + Math.abs(ba)));
    }
    expect(loose).toBeLessThan(tight);
  });
});
