// The per-period closed-form solver for prosumers without storage against the interior-point solver.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tradeLimitKwh } from '../../../market/agent.ts';
import { buildProsumerModel } from '../../../market/model.ts';
import { QpSolver } from '../../../market/solver/ipm.ts';
import { canSolveSeparably, solveSeparable } from '../../../market/solver/separable.ts';
import { periodHours } from '../../../market/types.ts';
import { generated, inline } from './helpers.ts';

describe('separable subproblem solver', () => {
  const scenario = generated(40, 11, { batteryShare: 0, evShare: 0, generatorShare: 0.5, pvShare: 0.7 });
  const hours = periodHours(scenario);

  it('only takes prosumers whose periods are independent', () => {
    expect(scenario.prosumers.every(canSolveSeparably)).toBe(true);
    const withBattery = inline(1, { retail: [0.2], feedIn: [0.1] }, [
      { id: 'b', load: [1], battery: { capacityKwh: 1, initialKwh: 0, chargeKw: 1, dischargeKw: 1 } },
    ]);
    expect(canSolveSeparably(withBattery.prosumers[0]!)).toBe(false);
  });

  it('finds the same optimum as the interior-point method (alone, pool and peer slots)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: scenario.prosumers.length - 1 }),
        fc.constantFrom(0, 1, 3),
        fc.double({ min: 0.005, max: 5, noNaN: true }),
        fc.array(fc.double({ min: -0.5, max: 0.2, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (index, slots, rho, prices) => {
          const p = scenario.prosumers[index]!;
          const model = buildProsumerModel(p, scenario.tariffs, hours, slots);
          if (slots === 1) {
            const limit = tradeLimitKwh(p, hours);
            for (const c of model.col.trade) {
              model.structure.lower[c] = -limit;
              model.structure.upper[c] = limit;
            }
          }
          const cost = model.ownCost.slice();
          const q = new Float64Array(model.structure.n);
          model.col.trade.forEach((c, k) => {
            cost[c] = prices[Math.floor(k / scenario.periods)]! + 0.01 * Math.sin(k);
            q[c] = rho;
          });
          const x = new Float64Array(model.structure.n);
          expect(solveSeparable(model, p, scenario.tariffs, hours, cost, q, x)).toBe(true);
          const reference = new QpSolver(model.structure).solve(cost, q);
          let objective = 0;
          for (let j = 0; j < x.length; j++) objective += cost[j]! * x[j]! + 0.5 * q[j]! * x[j]! * x[j]!;
          expect(Math.abs(objective - reference.objective)).toBeLessThan(
            1e-7 * (1 + Math.abs(reference.objective)),
          );
          // Trades are unique (strictly convex in them); the interior-point answer is accurate to about
          // √(gap/ρ), which is what bounds the comparison for small ρ.
          const slack = 1e-6 + Math.sqrt((4e-9 * (1 + Math.abs(reference.objective))) / rho);
          for (const c of model.col.trade) expect(Math.abs(x[c]! - reference.x[c]!)).toBeLessThan(slack);
        },
      ),
      { numRuns: 60, seed: 5 },
    );
  });

  it('is exact where trades hit their bounds inside the merit order (6 bounded slots, negative feed-in)', () => {
    // Many bounded trades put the trades' breakpoints between ψ's slopes, where the solver locates the
    // crossing piece; a negative feed-in makes PV a priced segment instead of must-run output.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: scenario.prosumers.length - 1 }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.boolean(),
        fc.array(fc.double({ min: -0.3, max: 0.1, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (index, rho, limit, negativeFeedIn, prices) => {
          const p = scenario.prosumers[index]!;
          const tariffs = negativeFeedIn
            ? { ...scenario.tariffs, feedIn: scenario.tariffs.feedIn.map((f, t) => (t % 2 ? -0.02 : f)) }
            : scenario.tariffs;
          const model = buildProsumerModel(p, tariffs, hours, 6);
          const cost = model.ownCost.slice();
          const q = new Float64Array(model.structure.n);
          model.col.trade.forEach((c, k) => {
            model.structure.lower[c] = -limit * (1 + (k % 3));
            model.structure.upper[c] = limit;
            cost[c] = prices[Math.floor(k / scenario.periods)]! + 0.02 * Math.sin(3 * k);
            q[c] = rho * (1 + (k % 2));
          });
          const x = new Float64Array(model.structure.n);
          expect(solveSeparable(model, p, tariffs, hours, cost, q, x)).toBe(true);
          const reference = new QpSolver(model.structure).solve(cost, q);
          let objective = 0;
          for (let j = 0; j < x.length; j++) objective += cost[j]! * x[j]! + 0.5 * q[j]! * x[j]! * x[j]!;
          expect(Math.abs(objective - reference.objective)).toBeLessThan(
            1e-7 * (1 + Math.abs(reference.objective)),
          );
          // Feasible to rounding: bounds and every period's balance.
          for (let j = 0; j < x.length; j++) {
            expect(x[j]!).toBeGreaterThanOrEqual(model.structure.lower[j]! - 1e-12);
            expect(x[j]!).toBeLessThanOrEqual(model.structure.upper[j]! + 1e-12);
          }
          const { rowStart, colIndex, value, rhs } = model.structure;
          for (let i = 0; i < model.structure.m; i++) {
            let ax = 0;
            for (let k = rowStart[i]!; k < rowStart[i + 1]!; k++) ax += value[k]! * x[colIndex[k]!]!;
            expect(Math.abs(ax - rhs[i]!)).toBeLessThan(1e-9 * (1 + Math.abs(rhs[i]!)));
          }
        },
      ),
      { numRuns: 80, seed: 7 },
    );
  });

  it('declines when a trade has no proximal term (plain LP)', () => {
    const p = scenario.prosumers[0]!;
    const model = buildProsumerModel(p, scenario.tariffs, hours, 1);
    const x = new Float64Array(model.structure.n);
    expect(
      solveSeparable(
        model,
        p,
        scenario.tariffs,
        hours,
        model.ownCost,
        new Float64Array(model.structure.n),
        x,
      ),
    ).toBe(false);
  });
});
