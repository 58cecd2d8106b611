import { describe, expect, it } from 'vitest';
import { DEFAULT_ERRORS, loadMinuteData } from '../../../agent/actuals.ts';
import { DEVNET_PRICES } from '../../../agent/fake-chain.ts';
import {
  assessInterval,
  batteryFlows,
  buildBid,
  deliver,
  initialState,
  toSteps,
  type VppContext,
} from '../../../agent/realtime.ts';
import { buildDemoVpps, runVppDayAhead } from '../../../agent/scenarios.ts';
import { plannedPositionWh } from '../../../agent/schedule.ts';
import { previousSlice, sliceOf } from '../../../agent/timing.ts';
import { validateBid } from '../../../contracts-vm/auction/index.ts';
import { clnrProfile } from '../../../market/clnr.ts';
import { BATTERY, handVpp } from './helpers.ts';

const P = DEVNET_PRICES;
// Storage value λ = 0.1 GBP/kWh (flat day-ahead price), degradation d = 0.02, η = 0.95:
const STORE = Math.round((0.95 * 0.1 - 0.02) * 1e6); // a kWh charged / not charged: ηc·λ − d = 75,000
const KEEP = Math.round((0.1 / 0.95 + 0.02) * 1e6); // a kWh discharged / not discharged: λ/ηd + d = 125,263

describe('interval mapping', () => {
  it('maps chain intervals to slices of the day and wraps round midnight', () => {
    const s = { periodMinutes: 30 };
    const m = { minutesPerInterval: 5, startMinute: 720 };
    expect(sliceOf(0n, m, s)).toMatchObject({ day: 0, startMinute: 720, period: 24, fraction: 1 / 6 });
    expect(sliceOf(6n, m, s)).toMatchObject({ day: 0, startMinute: 750, period: 25 });
    expect(sliceOf(144n, m, s)).toMatchObject({ day: 1, startMinute: 0, period: 0 });
    expect(() => sliceOf(0n, { minutesPerInterval: 7, startMinute: 0 }, s)).toThrow(/divisor/);
    expect(() => sliceOf(-1n, m, s)).toThrow();
    expect(previousSlice(sliceOf(6n, m, s), 30)).toEqual(sliceOf(5n, m, s));
    expect(previousSlice(sliceOf(0n, { minutesPerInterval: 5, startMinute: 0 }, s), 30)).toMatchObject({
      day: -1,
      startMinute: 1435,
      period: 47,
    });
  });
});

describe('deviation (hand-checked)', () => {
  it('long VPP: A uses 1.2 kW instead of 1 kW, B makes 3 kW of PV instead of 2.4', () => {
    const ctx = handVpp(1.2);
    const a = assessInterval(ctx, initialState(ctx.scenario), 0n, P);
    // 5-minute slice = 1/6 of a half-hour. A: forecast 0.5/6 kWh, actual 1.2 kW × 5/60 h = 0.1 kWh.
    expect(a.prosumers[0]!.deviationKwh).toBeCloseTo(0.5 / 6 - 0.1, 12);
    expect(a.prosumers[0]!.deviationWh).toBe(-17);
    // B: PV 3 kW × 5/60 = 0.25 kWh against 1.2/6 = 0.2 planned.
    expect(a.prosumers[1]!.deviationWh).toBe(50);
    expect(a.deviationWh).toBe(33);
    expect(a.scheduledNetKwh).toBeCloseTo(0.15 / 6, 12);
    expect(a.actualNetKwh).toBeCloseTo(0.15 / 6 - 0.033, 12);
    // Long: B can cut no discharge (none planned) but can charge more: 2 kW × 1/12 h − 0.1 = 66.7 Wh.
    expect(a.remedies).toEqual([
      { prosumer: 1, kind: 'extra-charge', wh: 66, gbpPerKwh: expect.any(Number), price: STORE },
    ]);
    const bid = buildBid(a)!;
    expect(bid.side).toBe('sell');
    expect(bid.steps).toEqual([{ qty: 33, price: STORE }]);
  });

  it('short VPP: remedies priced at their marginal cost, the rest at the grid sell price', () => {
    const ctx = handVpp(3);
    const a = assessInterval(ctx, initialState(ctx.scenario), 0n, P);
    // A: 0.5/6 − 0.25 = −0.1667 kWh; B: +0.05 → −117 Wh.
    expect(a.deviationWh).toBe(-167 + 50);
    expect(a.remedies.map((r) => [r.kind, r.wh, r.price])).toEqual([
      ['reduce-charge', 100, STORE], // the planned 0.1 kWh of charging
      ['extra-discharge', 166, KEEP], // 2 kW × 1/12 h
    ]);
    const bid = buildBid(a)!;
    expect(bid.side).toBe('buy');
    expect(bid.steps).toEqual([
      { qty: 17, price: KEEP },
      { qty: 100, price: STORE },
    ]);
    // With a much larger deficit the remainder is bid at the grid's sell price P.
    const big = handVpp(10);
    const b2 = buildBid(assessInterval(big, initialState(big.scenario), 0n, P))!;
    const total = Math.round(((10 * 5) / 60) * 1000 - 500 / 6) - 50; // 833 − 83 − 50 = 700 Wh (rounded per prosumer)
    expect(b2.totalWh).toBe(total);
    expect(b2.steps).toEqual([
      { qty: total - 266, price: P.gridSellPrice },
      { qty: 166, price: KEEP },
      { qty: 100, price: STORE },
    ]);
    // A remedy dearer than the grid is not offered: with P below its cost the whole deficit is bid at P.
    const cheapGrid = { ...P, gridSellPrice: 100_000, gridBuyPrice: 10_000 };
    const b3 = buildBid(assessInterval(big, initialState(big.scenario), 0n, cheapGrid))!;
    expect(b3.steps).toEqual([
      { qty: total - 100, price: 100_000 },
      { qty: 100, price: STORE },
    ]);
  });

  it('no deviation, no bid', () => {
    const ctx = handVpp(1.2);
    // Make B's PV surplus cancel A's deficit exactly: A −17 Wh, B's PV exactly as planned + 17 Wh.
    ctx.scenario.prosumers[1]!.pvKw = new Array(48).fill(2.4 + 0.017 * 12);
    const a = assessInterval(ctx, initialState(ctx.scenario), 0n, P);
    expect(a.deviationWh).toBe(0);
    expect(buildBid(a)).toBeNull();
  });
});

describe('deviation from the committed schedule (hand-checked)', () => {
  it('commits -(net consumption × share) per interval and measures the deviation against what the chain holds', () => {
    const ctx = handVpp(1.2);
    // The VPP imports 0.15 kWh per half-hour day-ahead: a 5-minute interval is 25 Wh of import.
    expect(plannedPositionWh(ctx, 0n)).toBe(-25);
    const s0 = initialState(ctx.scenario);
    const plan = assessInterval(ctx, s0, 0n, P); // against the plan itself
    expect([plan.plannedPositionWh, plan.committedWh, plan.scheduleOffsetWh, plan.deviationWh]).toEqual([
      -25, -25, 0, 33,
    ]);
    // Committed 100 Wh of import, 75 more than planned: following the plan is 75 Wh long of it.
    const more = assessInterval(ctx, s0, 0n, P, 'actual', -100);
    expect([more.committedWh, more.scheduleOffsetWh, more.deviationWh]).toEqual([-100, 75, 33 + 75]);
    expect(more.actualNetKwh).toBeCloseTo(plan.actualNetKwh, 12); // the physics is the same
    expect(buildBid(more)).toMatchObject({ side: 'sell', totalWh: 108 });
    // Nothing committed: metering counts 0, so the planned 25 Wh of import is a deficit too.
    const none = assessInterval(ctx, s0, 0n, P, 'actual', null);
    expect([none.committedWh, none.scheduleOffsetWh, none.deviationWh]).toEqual([null, -25, 8]);
    // Delivered with everything traded (no redispatch): the meter reads the same net position, -25 + 33
    // = 8 Wh of export, whatever was committed; the deviation is measured from the commitment.
    for (const x of [plan, more, none]) {
      const d = deliver(ctx, s0, x, buildBid(x), { marketWh: Math.abs(x.deviationWh), gridWh: 0 });
      expect(d.meteredWh).toBe(8);
      expect(d.committedWh).toBe(x.committedWh);
      expect(d.actualDeviationWh).toBe(8 - (x.committedWh ?? 0));
    }
    expect(() => deliver(ctx, s0, plan, buildBid(plan), null, more)).toThrow(/committed/);
  });
});

describe('battery redispatch', () => {
  it('covers what the market did not take, cheapest first, and tracks the state of charge', () => {
    const ctx = handVpp(3);
    const s0 = initialState(ctx.scenario);
    const a = assessInterval(ctx, s0, 0n, P);
    const bid = buildBid(a)!;
    // Market took nothing: the batteries cover all 117 Wh: 100 by not charging, 17 by discharging.
    const d = deliver(ctx, s0, a, bid, { marketWh: 0, gridWh: 0 });
    expect(d.actions.map((x) => [x.kind, x.wh])).toEqual([
      ['reduce-charge', 100],
      ['extra-discharge', 17],
    ]);
    expect(d.actualDeviationWh).toBe(0);
    expect(d.state.socKwh[1]).toBeCloseTo(5 - 0.017 / 0.95, 12);
    expect(d.remedyValueMilli).toBe(100n * BigInt(STORE) + 17n * BigInt(KEEP));
    // Market took 50 Wh (the dearest block first): the cheapest 67 Wh are left to the battery.
    const d2 = deliver(ctx, s0, a, bid, { marketWh: 50, gridWh: 0 });
    expect(d2.actions.map((x) => [x.kind, x.wh])).toEqual([['reduce-charge', 67]]);
    expect(d2.actualDeviationWh).toBe(-50);
    expect(d2.prosumerDeviationWh).toEqual([-167, 50 + 67]);
  });

  it('uses only the remedies it offered once cleared, every remedy when its bid never cleared', () => {
    const ctx = handVpp(10);
    const s0 = initialState(ctx.scenario);
    const cheapGrid = { ...P, gridSellPrice: 100_000, gridBuyPrice: 10_000 };
    const a = assessInterval(ctx, s0, 0n, cheapGrid);
    const bid = buildBid(a)!; // 600 Wh at 100,000 (grid), 100 Wh reduce-charge at 75,000
    const cleared = deliver(ctx, s0, a, bid, { marketWh: 0, gridWh: 600 });
    expect(cleared.actions.map((x) => [x.kind, x.wh])).toEqual([['reduce-charge', 100]]);
    expect(cleared.actualDeviationWh).toBe(-600);
    const dropped = deliver(ctx, s0, a, bid, null);
    expect(dropped.actions.map((x) => [x.kind, x.wh])).toEqual([
      ['reduce-charge', 100],
      ['extra-discharge', 166],
    ]);
    expect(dropped.actualDeviationWh).toBe(-700 + 266);
  });

  it('a nearly full battery is clipped (the clipping is deviation) and offers no more charging', () => {
    const ctx = handVpp(1.2, { ...BATTERY, initialKwh: 9.99 });
    const a = assessInterval(ctx, initialState(ctx.scenario), 0n, P);
    const b = a.prosumers[1]!;
    expect(b.chargeKwh).toBeCloseTo(0.01 / 0.95, 12);
    expect(b.deviationWh).toBe(50 + Math.round((0.1 - 0.01 / 0.95) * 1000));
    expect(a.remedies).toEqual([]);
    const d = deliver(ctx, initialState(ctx.scenario), a, buildBid(a), { marketWh: 0, gridWh: 0 });
    expect(d.state.socKwh[1]).toBeCloseTo(10, 9);
  });

  it('over a day of a generated VPP: limits hold and |deviation| never grows', async () => {
    const [v] = buildDemoVpps({ vpps: 1, prosumersPerVpp: 10 });
    const da = await runVppDayAhead(v!.scenario, 'weak');
    const ctx: VppContext = {
      name: v!.name,
      scenario: v!.scenario,
      dayAhead: da.result,
      mapping: { minutesPerInterval: 15, startMinute: 0 },
      errors: DEFAULT_ERRORS,
      sources: v!.sources,
      minutes: loadMinuteData('summer'),
    };
    // The day-ahead net position is the members' physical net consumption, so deviations measured per
    // prosumer against their schedules are deviations from vppNetPosition.
    da.result.netPositionKwh.forEach((net, t) => {
      const physical = da.result.prosumers.reduce((sum, { schedule: x }) => {
        return (
          sum + x.load[t]! + x.charge[t]! + x.flexible[t]! - x.pvUsed[t]! - x.generator[t]! - x.discharge[t]!
        );
      }, 0);
      expect(net).toBeCloseTo(physical, 6);
    });
    const batteries = v!.scenario.prosumers.flatMap((p, i) => (p.battery ? [i] : []));
    expect(batteries.length).toBeGreaterThan(0);
    let state = initialState(ctx.scenario);
    let used = 0;
    for (let k = 0n; k < 96n; k++) {
      const a = assessInterval(ctx, state, k, P);
      const d = deliver(ctx, state, a, null, { marketWh: 0, gridWh: 0 }); // no market: batteries only
      expect(Math.abs(d.actualDeviationWh)).toBeLessThanOrEqual(Math.abs(d.deviationWh));
      expect(d.actualDeviationWh * d.deviationWh).toBeGreaterThanOrEqual(0); // never overshoots
      for (const i of batteries) {
        const b = ctx.scenario.prosumers[i]!.battery!;
        const f = batteryFlows(a, d, i);
        expect(f.charge).toBeGreaterThanOrEqual(-1e-12);
        expect(f.discharge).toBeGreaterThanOrEqual(-1e-12);
        expect(f.charge).toBeLessThanOrEqual(b.chargeKw * 0.25 + 1e-9);
        expect(f.discharge).toBeLessThanOrEqual(b.dischargeKw * 0.25 + 1e-9);
        expect(d.state.socKwh[i]).toBeGreaterThanOrEqual(b.socMinKwh);
        expect(d.state.socKwh[i]).toBeLessThanOrEqual(b.socMaxKwh);
      }
      used += d.actions.length;
      state = d.state;
    }
    expect(used).toBeGreaterThan(0);
  });
});

describe('persistence nowcast', () => {
  it('bids on the previous slice, delivers and meters the actual one', () => {
    const ctx = handVpp(3);
    // A's load: 1 kW in period 0, 3 kW after (no 1-minute data: the profile is the actual). The nowcast of
    // interval 6 (00:30-00:35) is the previous slice (00:25-00:30).
    ctx.scenario.prosumers[0]!.loadKw = ctx.scenario.prosumers[0]!.loadKw.map((_, t) => (t === 0 ? 1 : 3));
    const persistence: VppContext = { ...ctx, forecast: 'persistence' };
    const s0 = initialState(ctx.scenario);
    const d6 = assessInterval(persistence, s0, 6n, P, 'declared');
    const a6 = assessInterval(persistence, s0, 6n, P, 'actual');
    expect(d6.prosumers[0]!.actualLoadKwh).toBeCloseTo(1 / 12, 12); // 00:25-00:30 at 1 kW
    expect(a6.prosumers[0]!.actualLoadKwh).toBeCloseTo(3 / 12, 12); // 00:30-00:35 at 3 kW
    expect(d6.deviationWh).toBe(0 + 50); // A as forecast (1 kW), B's PV +50 Wh
    expect(a6.deviationWh).toBe(-117);
    // The bid covers the declared +50 Wh surplus; the market takes none, the battery charges 50 Wh more.
    const bid = buildBid(d6)!;
    expect(bid.side).toBe('sell');
    const d = deliver(persistence, s0, d6, bid, { marketWh: 0, gridWh: 0 }, a6);
    expect(d.actions.map((x) => [x.kind, x.wh])).toEqual([['extra-charge', 50]]);
    expect(d.declaredDeviationWh).toBe(50);
    expect(d.deviationWh).toBe(-117);
    expect(d.actualDeviationWh).toBe(-117 - 50); // metered: the forecast error is the imbalance
  });
});

describe('actuals', () => {
  it('1-minute data: the six 5-minute slices of a half-hour add up to the half-hourly forecast', () => {
    const [v] = buildDemoVpps({ vpps: 1 });
    const minutes = loadMinuteData('summer');
    const i = v!.scenario.prosumers.findIndex(
      (_p, j) => v!.sources[j]!.load && minutes.load.has(v!.sources[j]!.load!.column),
    );
    const src = v!.sources[i]!.load!;
    const halfHourly = clnrProfile('load', 'summer', src.column, 48);
    const col = minutes.load.get(src.column)!;
    for (const t of [0, 17, 36]) {
      let sum = 0;
      for (let m = t * 30; m < t * 30 + 30; m++) sum += col[m]!;
      expect(sum / 30).toBeCloseTo(halfHourly[t]!, 3);
    }
  });
});

describe('bids within contract limits', () => {
  it('merges more than 32 price levels into 32 steps, keeping the quantity', () => {
    const blocks = Array.from({ length: 40 }, (_, i) => ({
      qty: 10 + i,
      price: 1000 * (i + 1),
      remedy: null,
    }));
    for (const side of ['buy', 'sell'] as const) {
      const steps = toSteps(blocks, side);
      expect(steps.length).toBe(32);
      expect(steps.reduce((s, x) => s + x.qty, 0)).toBe(blocks.reduce((s, x) => s + x.qty, 0));
      validateBid({ id: 'vpp-1', side, steps });
    }
  });

  it('splits a block over 1e9 Wh', () => {
    const steps = toSteps([{ qty: 2_500_000_000, price: 5, remedy: null }], 'sell');
    expect(steps.map((s) => s.qty)).toEqual([1e9, 1e9, 5e8]);
  });
});
