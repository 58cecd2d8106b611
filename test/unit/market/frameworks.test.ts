// The four frameworks on the bundled realistic scenario (30 CLNR homes), with agents in worker threads.
import { beforeAll, describe, expect, it } from 'vitest';
import { runDayAhead } from '../../../market/dayahead.ts';
import { scheduleViolations } from '../../../market/feasibility.ts';
import { type DayAheadResult, FRAMEWORKS, vppNetPosition } from '../../../market/result.ts';
import { loadScenario } from '../../../market/scenario.ts';
import { periodHours, type Scenario } from '../../../market/types.ts';
import { BUNDLED_SCENARIO } from '../../../node/commands/dayahead.ts';
import { expectBillsAddUp } from './bills-check.ts';

describe('bundled CLNR scenario', () => {
  let scenario: Scenario;
  let result: DayAheadResult;
  beforeAll(async () => {
    scenario = loadScenario(BUNDLED_SCENARIO);
    result = await runDayAhead(scenario, { frameworks: FRAMEWORKS, threads: 2 });
  });

  it('is a few dozen real homes with PV, batteries, EVs and a generator', () => {
    expect(scenario.prosumers.length).toBe(30);
    expect(scenario.periods).toBe(48);
    expect(scenario.prosumers.filter((p) => p.pvKw).length).toBeGreaterThan(5);
    expect(scenario.prosumers.filter((p) => p.battery).length).toBeGreaterThan(2);
    expect(scenario.prosumers.filter((p) => p.flexibleLoads.length > 0).length).toBeGreaterThan(2);
    expect(scenario.prosumers.some((p) => p.generator)).toBe(true);
  });

  it('orders the costs: central optimum <= distributed <= traditional', () => {
    const f = result.frameworks;
    const optimum = f.central!.totalCost;
    expect(f.central!.converged).toBe(true);
    for (const name of ['weak', 'decentralized'] as const) {
      expect(f[name]!.totalCost, name).toBeGreaterThanOrEqual(optimum - 1e-6);
      expect(f[name]!.totalCost, name).toBeLessThan(f.traditional!.totalCost);
    }
    // P2P trading inside the VPP is worth something here: well over 1% of the traditional bill.
    expect(optimum).toBeLessThan(0.99 * f.traditional!.totalCost);
  });

  it('the distributed methods converge within the documented tolerances', () => {
    for (const name of ['weak', 'decentralized'] as const) {
      const r = result.frameworks[name]!;
      expect(r.converged, name).toBe(true);
      expect(r.gap!, name).toBeLessThanOrEqual(1e-3);
      expect(r.relativeImbalance, name).toBeLessThanOrEqual(1e-4);
      expect(r.history.length, name).toBe(r.iterations);
      expect(r.history.at(-1)!.cost, name).toBeCloseTo(r.totalCost, 9);
    }
  });

  it('every schedule is feasible for its prosumer', () => {
    const hours = periodHours(scenario);
    for (const name of FRAMEWORKS) {
      const r = result.frameworks[name]!;
      r.prosumers.forEach((o, i) => {
        expect(o.id).toBe(scenario.prosumers[i]!.id);
        expect(scheduleViolations(scenario.prosumers[i]!, o.schedule, hours), `${name} ${o.id}`).toEqual([]);
      });
    }
  });

  it('bills add up: P2P payments to exactly zero, imbalance charges to the settlement, bills to the total', () => {
    for (const name of FRAMEWORKS) {
      const r = result.frameworks[name]!;
      expectBillsAddUp(r, name);
      const own = r.prosumers.reduce((s, p) => s + p.ownCost, 0);
      expect(own + r.settlementCost, name).toBeCloseTo(r.totalCost, 6);
    }
  });

  it('the internal prices lie within the grid spread and match the LP duals', () => {
    const { retail, feedIn } = scenario.tariffs;
    const central = result.frameworks.central!.prices;
    const weak = result.frameworks.weak!.prices;
    for (let t = 0; t < scenario.periods; t++) {
      expect(central[t]!).toBeGreaterThanOrEqual(feedIn[t]! - 1e-6);
      expect(central[t]!).toBeLessThanOrEqual(retail[t]! + 1e-6);
    }
    // Prices may be non-unique where nothing is traded at the margin; on average they agree closely.
    const meanDiff = weak.reduce((s, p, t) => s + Math.abs(p - central[t]!), 0) / weak.length;
    expect(meanDiff).toBeLessThan(0.01);
  });

  it('gives the VPP net position per period as the real-time baseline', () => {
    for (const name of FRAMEWORKS) {
      const r = result.frameworks[name]!;
      const net = vppNetPosition(r);
      expect(net).toHaveLength(scenario.periods);
      const fromSchedules = r.prosumers.reduce(
        (s, p) =>
          s + p.schedule.gridBuy.reduce((a, b) => a + b, 0) - p.schedule.gridSell.reduce((a, b) => a + b, 0),
        0,
      );
      expect(
        net.reduce((a, b) => a + b, 0),
        name,
      ).toBeCloseTo(fromSchedules, 1);
    }
    // P2P trading lowers the VPP's exports: what one home would have exported, a neighbour uses.
    const exports = (name: 'traditional' | 'central') =>
      vppNetPosition(result.frameworks[name]!).reduce((s, x) => s + Math.max(-x, 0), 0);
    expect(exports('central')).toBeLessThanOrEqual(exports('traditional') + 1e-6);
  });

  it('certifies both distributed markets by their own dual bounds, which the central optimum confirms', () => {
    const optimum = result.frameworks.central!.totalCost;
    for (const name of ['weak', 'decentralized'] as const) {
      const r = result.frameworks[name]!;
      expect(r.dualBound!, name).toBeLessThanOrEqual(optimum + 1e-9);
      expect(r.certifiedGap!, name).toBeLessThanOrEqual(1e-3);
      expect(r.certifiedGap!, name).toBeGreaterThanOrEqual(r.gap!);
    }
  });

  it('counts the messages of each method', () => {
    const weak = result.frameworks.weak!;
    // A request and a reply per prosumer in every iteration, certificate round, the totals round and
    // the final round.
    const certificateRounds = weak.history.filter((h) => h.certifiedGap !== undefined).length;
    expect(weak.messages).toBe(2 * 30 * (weak.iterations + certificateRounds + 2));
    // Every peer sends each neighbour one message per tick (offers, then the stop check, masks, gossip
    // and agreement of the certificate) until the tick in which they all stop.
    const dec = result.frameworks.decentralized!;
    const ticks = Number(/after (\d+) ticks/.exec(dec.note!)![1]);
    expect(dec.messages).toBe(30 * 29 * (ticks - 1));
    expect(ticks).toBeGreaterThan(dec.iterations);
  });
});
