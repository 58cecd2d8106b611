// Scenario generator and trading graphs.
import { describe, expect, it } from 'vitest';
import { bundledTariffs } from '../../../market/clnr.ts';
import { generateScenario } from '../../../market/generator.ts';
import { floodRounds, isConnected, tradingGraph } from '../../../market/graph.ts';
import { parseScenario } from '../../../market/scenario.ts';

describe('scenario generator', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    expect(generateScenario({ prosumers: 20, seed: 9 })).toEqual(
      generateScenario({ prosumers: 20, seed: 9 }),
    );
    expect(generateScenario({ prosumers: 20, seed: 9 })).not.toEqual(
      generateScenario({ prosumers: 20, seed: 10 }),
    );
  });

  it('makes valid scenarios at 24, 48 and 96 periods with the day energy preserved', () => {
    const daily = (periods: 24 | 48 | 96) => {
      const s = parseScenario(
        generateScenario({ prosumers: 5, seed: 1, periods, season: 'winter', heatPumpShare: 1 }),
      );
      expect(s.periods).toBe(periods);
      expect(s.prosumers.every((p) => p.flexibleLoads.some((f) => f.name === 'heat pump'))).toBe(true);
      return s.prosumers.reduce((sum, p) => sum + p.loadKw.reduce((a, b) => a + b, 0) * (24 / periods), 0);
    };
    const e48 = daily(48);
    // Hourly means of the half-hourly data keep the energy; 15-minute data is a finer view of the same day.
    expect(daily(24)).toBeCloseTo(e48, 2);
    expect(Math.abs(daily(96) - e48) / e48).toBeLessThan(0.02);
  });

  it('uses real CLNR homes: around 10 kWh per home on the summer day', () => {
    const s = parseScenario(generateScenario({ prosumers: 100, seed: 4 }));
    const mean = s.prosumers.reduce((sum, p) => sum + p.loadKw.reduce((a, b) => a + b, 0) / 2, 0) / 100;
    expect(mean).toBeGreaterThan(6);
    expect(mean).toBeLessThan(14);
    expect(new Set(s.prosumers.slice(0, 100).map((p) => JSON.stringify(p.loadKw))).size).toBe(100);
  });

  it('derives tariffs from the bundled wholesale prices with the evening peak uplift', () => {
    const t = bundledTariffs(48);
    expect(t.retail).toHaveLength(48);
    expect(t.feedIn[0]).toBeCloseTo(0.08155, 6);
    expect(t.retail[0]).toBeCloseTo(2.2 * 0.08155, 4);
    expect(t.retail[33]! - 2.2 * t.feedIn[33]!).toBeCloseTo(0.12, 4);
    t.retail.forEach((r, i) => {
      expect(r).toBeGreaterThan(t.feedIn[i]!);
    });
  });
});

describe('trading graphs', () => {
  it('full mesh and sparse small-world graphs are symmetric and connected', () => {
    const full = tradingGraph(6, { type: 'full' });
    expect(full.every((n, i) => n.length === 5 && !n.includes(i))).toBe(true);
    const sparse = tradingGraph(200, { type: 'sparse', degree: 6, seed: 3 });
    expect(isConnected(sparse)).toBe(true);
    sparse.forEach((n, i) => {
      for (const j of n) expect(sparse[j]).toContain(i);
    });
    const mean = sparse.reduce((s, n) => s + n.length, 0) / 200;
    expect(mean).toBeGreaterThanOrEqual(5.5);
    expect(mean).toBeLessThanOrEqual(7.5);
    expect(isConnected([[1], [0], []])).toBe(false);
  });

  it('flood rounds are the exact diameter (one breadth-first search per peer as the reference)', () => {
    const diameter = (g: number[][]) => {
      let far = 0;
      const distance = new Int32Array(g.length);
      for (let from = 0; from < g.length; from++) {
        distance.fill(-1);
        distance[from] = 0;
        const queue = [from];
        for (let head = 0; head < queue.length; head++)
          for (const b of g[queue[head]!]!)
            if (distance[b] === -1) {
              distance[b] = distance[queue[head]!]! + 1;
              far = Math.max(far, distance[b]!);
              queue.push(b);
            }
      }
      return far;
    };
    // Sizes that are not multiples of the 32-source batches, a long ring (levels far beyond 32) and the
    // default graph above 1,000 peers, where the bound 2·eccentricity was used before.
    for (const g of [
      tradingGraph(37, { type: 'sparse', degree: 3, seed: 4 }),
      tradingGraph(300, { type: 'sparse', degree: 2, seed: 1 }),
      tradingGraph(1500, { type: 'sparse', degree: 6, seed: 1 }),
      tradingGraph(8, { type: 'full' }),
    ])
      expect(floodRounds(g)).toBe(diameter(g));
    expect(floodRounds(tradingGraph(300, { type: 'sparse', degree: 2, seed: 1 }))).toBe(150);
  });
});
