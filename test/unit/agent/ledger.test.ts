import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEVNET_PRICES } from '../../../agent/fake-chain.ts';
import {
  dayAheadCostByPeriod,
  gridAloneCost,
  splitBill,
  splitExact,
  splitInterval,
} from '../../../agent/ledger.ts';
import { GridMeteringAgent, meterBatches, meterEntries } from '../../../agent/metering.ts';
import { billTotal, type MeterEntry } from '../../../contracts-vm/abi/index.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import { handVpp } from './helpers.ts';

describe('bill split', () => {
  it('splits exactly, in proportion, remainder to the largest fractions then the lowest index', () => {
    expect(splitExact(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(splitExact(-100n, [1n, 1n, 1n])).toEqual([-33n, -33n, -34n]);
    expect(splitExact(10n, [3n, 1n])).toEqual([8n, 2n]); // 7.5 and 2.5: the tie goes to index 0
    // Mixed signs: the VPP was short 100 Wh overall (a −150, b +50) and paid 1,000: a pays 1,500, b gets 500.
    expect(splitExact(-1000n, [-150n, 50n])).toEqual([-1500n, 500n]);
    expect(() => splitExact(5n, [1n, -1n])).toThrow();
  });

  it('shares always sum to the bill (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: 1, maxLength: 40 }),
        (total, devs) => {
          const shares = splitBill(total, devs);
          expect(shares.reduce((s, x) => s + x, 0n)).toBe(total);
          const W = devs.reduce((s, d) => s + d, 0);
          if (W !== 0) {
            // Each share is within one unit of the exact proportion.
            devs.forEach((d, i) => {
              const exact = (Number(total) * d) / W;
              expect(Math.abs(Number(shares[i]!) - exact)).toBeLessThan(1 + Math.abs(exact) * 1e-12);
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('falls back to |deviation| when the metered deviation is 0, and to equal shares when all are 0', () => {
    expect(splitBill(-90n, [30n, -30n, 0n].map(Number))).toEqual([-45n, -45n, 0n]);
    expect(splitBill(7n, [0, 0, 0])).toEqual([3n, 2n, 2n]);
  });

  it('battery owners are credited for redispatch, and everyone pays the average price of its own deviation', () => {
    // Hand VPP, short 117 Wh: a −167 Wh, b +50 Wh; b's battery covered everything (100 Wh at 75,000 and
    // 17 Wh at 125,263 per kWh = 9,629,471 milli), so the bill is empty.
    const s = splitInterval(0n, [-167, 50], [0n, 9_629_471n], true);
    expect(s.credits).toEqual([0n, 9629n]);
    expect(s.costUnits).toBe(9629n);
    // Shares ∝ [167, −50] / 117 of 9,629: a 13,743.96 → 13,744 (the one remaining unit: largest fraction),
    // b −4,114.96 → −4,115 (floor).
    expect(s.shares).toEqual([13744n, -4115n]);
    // a pays 13,744; b receives its credit plus its surplus's share: the tokens sum to the (zero) bill.
    expect(s.tokens).toEqual([13744n, -13744n]);
    // Long VPP: the battery owner who stored the surplus owes its value.
    const l = splitInterval(1000n, [300, 200], [0n, 50_500n], false);
    expect(l.credits).toEqual([0n, -50n]);
    expect(l.tokens.reduce((x, y) => x + y, 0n)).toBe(-1000n);
    expect(l.shares).toEqual([-630n, -420n]);
  });

  it('the bill total ignores unpaid lines', () => {
    expect(
      billTotal([
        { kind: 'auction-sell', wh: 10n, amount: 500n },
        { kind: 'unpaid', wh: 0n, amount: 200n },
        { kind: 'imbalance-short', wh: 1n, amount: -3n },
      ]),
    ).toBe(497n);
  });

  it('a prosumer alone settles with the grid at P (deficit, floor) or p (surplus, ceiling)', () => {
    expect(gridAloneCost(-1001, DEVNET_PRICES)).toBe(300_300n);
    expect(gridAloneCost(1001, DEVNET_PRICES)).toBe(-40_040n);
    expect(gridAloneCost(1, { ...DEVNET_PRICES, gridBuyPrice: 1 })).toBe(-1n);
  });

  it('day-ahead cost per period adds up to each prosumer cost', () => {
    const ctx = handVpp(1);
    const byPeriod = dayAheadCostByPeriod(ctx.scenario, ctx.dayAhead);
    // a: 0.5 kWh × 0.2 per period; b: −0.35 × 0.05 + 0.02 × 0.6 degradation.
    expect(byPeriod[0]![3]).toBeCloseTo(0.1, 12);
    expect(byPeriod[1]![3]).toBeCloseTo(-0.35 * 0.05 + 0.02 * 0.6, 12);
  });
});

describe('metering', () => {
  const a = devKeyPair('vpp-1').address;
  const b = devKeyPair('vpp-2').address;
  it('reports the metered net position as bigint Wh, by address, each VPP once', () => {
    const e = meterEntries([
      { vpp: a, meteredWh: -120 },
      { vpp: b, meteredWh: 45 },
    ]);
    expect(e).toEqual(
      [
        { vpp: a, meteredWh: -120n },
        { vpp: b, meteredWh: 45n },
      ].sort((x, y) => (x.vpp < y.vpp ? -1 : 1)),
    );
    expect(() => meterEntries([{ vpp: a, meteredWh: 1.5 }])).toThrow(/integer/);
    expect(() => meterEntries([{ vpp: a, meteredWh: -1e12 - 1 }])).toThrow(/exceeds/);
    expect(() =>
      meterEntries([
        { vpp: a, meteredWh: 1 },
        { vpp: a, meteredWh: 2 },
      ]),
    ).toThrow(/twice/);
    expect(meterBatches(new Array(600).fill(e[0]!)).map((x) => x.length)).toEqual([256, 256, 88]);
  });

  it('the grid agent submits through its port', async () => {
    const calls: [bigint, readonly MeterEntry[]][] = [];
    const grid = new GridMeteringAgent({
      reportMetering: async (k, entries) => {
        calls.push([k, entries]);
        return 'tx';
      },
    });
    expect(await grid.meter(7n, [{ vpp: a, meteredWh: 3 }])).toEqual(['tx']);
    expect(calls).toEqual([[7n, [{ vpp: a, meteredWh: 3n }]]]);
  });
});
