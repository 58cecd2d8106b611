// The specialised subproblem solver against HiGHS on the same programs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProsumerModel } from '../../../market/model.ts';
import { BorderedBandMatrix } from '../../../market/solver/banded.ts';
import { solveSparse } from '../../../market/solver/highs.ts';
import { QpSolver } from '../../../market/solver/ipm.ts';
import { periodHours } from '../../../market/types.ts';
import { generated } from './helpers.ts';

describe('bordered band Cholesky', () => {
  it('solves an arrowhead SPD system like a dense solve', () => {
    const m = 9;
    const w = 2;
    const k = 2;
    const dense = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    const M = new BorderedBandMatrix(m, w, k);
    const set = (i: number, j: number, v: number) => {
      dense[i]![j] = v;
      dense[j]![i] = v;
      M.add(Math.max(i, j), Math.min(i, j), v);
    };
    for (let i = 0; i < m; i++) set(i, i, 10 + i);
    for (let i = 1; i < m - k; i++) set(i, i - 1, 1.5);
    for (let i = 2; i < m - k; i++) set(i, i - 2, -0.7);
    for (let j = 0; j < m - 1; j++) set(m - 1, j, 0.3 * (j + 1));
    for (let j = 0; j < m - 2; j++) set(m - 2, j, -0.2 * j);
    M.factor();
    const x = new Float64Array(m).map((_, i) => i + 1);
    const b = dense.map((row) => row.reduce((s, v, j) => s + v * x[j]!, 0));
    const solved = Float64Array.from(b);
    M.solve(solved);
    for (let i = 0; i < m; i++) expect(solved[i]).toBeCloseTo(x[i]!, 10);
  });

  it('rejects entries outside the band', () => {
    expect(() => new BorderedBandMatrix(6, 1, 0).add(4, 1, 1)).toThrow(/outside the band/);
  });
});

describe('interior-point QP solver', () => {
  const scenario = generated(24, 3, { batteryShare: 0.6, evShare: 0.5, generatorShare: 0.3 });
  const hours = periodHours(scenario);

  it('matches HiGHS on prosumer LPs and proximal QPs (random prices, 0/1/4 trade slots)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: scenario.prosumers.length - 1 }),
        fc.constantFrom(0, 1, 4),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (index, slots, rho, seed) => {
          const model = buildProsumerModel(scenario.prosumers[index]!, scenario.tariffs, hours, slots);
          const s = model.structure;
          const cost = model.ownCost.slice();
          const q = new Float64Array(s.n);
          let r = seed;
          for (const c of model.col.trade) {
            r = (r * 16807) % 2147483647;
            cost[c] = -0.35 + (0.5 * r) / 2147483647;
            q[c] = rho;
          }
          const ours = new QpSolver(s).solve(cost, q);
          const reference = await solveSparse({
            n: s.n,
            cost,
            lower: s.lower,
            upper: s.upper,
            ...(slots > 0 ? { qdiag: q } : {}),
            rowStart: s.rowStart,
            colIndex: s.colIndex,
            value: s.value,
            rowLower: s.rhs,
            rowUpper: s.rhs,
          });
          expect(reference.status).toBe('optimal');
          expect(Math.abs(ours.objective - reference.objective)).toBeLessThan(
            1e-6 * (1 + Math.abs(reference.objective)),
          );
          // Equality rows hold at the returned point.
          for (let i = 0; i < s.m; i++) {
            let ax = 0;
            for (let a = s.rowStart[i]!; a < s.rowStart[i + 1]!; a++)
              ax += s.value[a]! * ours.x[s.colIndex[a]!]!;
            expect(Math.abs(ax - s.rhs[i]!)).toBeLessThan(1e-7);
          }
        },
      ),
      { numRuns: 25, seed: 42 },
    );
  });

  it('a warm start from a nearby solution reaches the same optimum in fewer iterations', () => {
    const p = scenario.prosumers.find((x) => x.battery && x.flexibleLoads.length)!;
    const model = buildProsumerModel(p, scenario.tariffs, hours, 1);
    const s = model.structure;
    const solver = new QpSolver(s);
    const cost = model.ownCost.slice();
    const q = new Float64Array(s.n);
    const trade = [...model.col.trade];
    trade.forEach((c) => {
      q[c] = 0.1;
      cost[c] = -0.15;
    });
    solver.solve(cost, q);
    trade.forEach((c, t) => {
      cost[c] = -0.15 - 0.002 * Math.sin(t);
    });
    const cold = new QpSolver(s).solve(cost, q);
    const warm = solver.solve(cost, q, 1e-9, 80, true);
    expect(warm.objective).toBeCloseTo(cold.objective, 7);
    expect(warm.iterations).toBeLessThan(cold.iterations);
  });

  it('reports a bound conflict instead of iterating', () => {
    const lower = Float64Array.of(1);
    const upper = Float64Array.of(0);
    expect(
      () =>
        new QpSolver({
          n: 1,
          m: 0,
          lower,
          upper,
          rowStart: Int32Array.of(0),
          colIndex: new Int32Array(0),
          value: new Float64Array(0),
          rhs: new Float64Array(0),
          bandwidth: 0,
          border: 0,
        }),
    ).toThrow(/lower bound/);
  });
});
