// Bills add up (market/bills.ts): P2P payments sum to exactly zero, the imbalance charges to exactly the
// grid settlement, and the prosumers' bills to the framework's total cost, for every framework.
import { describe, expect, it } from 'vitest';
import {
  apportion,
  MONEY_UNIT,
  poolBills,
  poolLines,
  poolSettlement,
  poolTotals,
  roundSymmetric,
} from '../../../market/bills.ts';
import { runDayAhead } from '../../../market/dayahead.ts';
import {
  decodeRequest,
  encodeRequest,
  type Finish,
  Kind,
  SCHEDULE_FIELDS,
} from '../../../market/pool/messages.ts';
import { seededRandom } from '../../../market/random.ts';
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
      Object.fromEntries(SCHEDULE_FIELDS.map((f) => [f, [0]])) as unknown as ProsumerOutcome['schedule'];
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

describe('pool bills each member computes alone (weak market with secure sums)', () => {
  const T = 6;
  const tariffs = {
    retail: [0.3, 0.31, 0.25, 0.28, 0.3, 0.2],
    feedIn: [0.05, 0.04, 0.05, 0.06, 0.05, 0.05],
    source: 'test figures',
  };
  const prices = [0.2, 0.123457, 0.25, 0.06, 0.1, 0.2];
  const random = seededRandom(7);
  const trades = Array.from({ length: 25 }, () =>
    Array.from({ length: T }, () => (random() < 0.2 ? 0 : (random() - 0.45) * 3.7)),
  );
  const outcome = (q: number[], i: number): ProsumerOutcome => ({
    id: `p${i}`,
    ownCost: 0.01 * i + 1e-10 * i,
    p2pPayment: 0,
    cost: 0,
    schedule: { p2pNet: q } as unknown as ProsumerOutcome['schedule'],
  });

  it('a member needs only its own trades and the pool totals; the VPP takes at most a unit per member', () => {
    const totals = poolTotals(trades, T);
    const { bills } = poolBills(trades.map(outcome), prices, tariffs);
    trades.forEach((q, i) => {
      const alone = poolLines(q, prices, tariffs, totals);
      expect(bills.prosumers[i]!.p2p).toBe(alone.p2p);
      expect(bills.prosumers[i]!.imbalance).toBe(alone.imbalance);
    });
    // In the real numbers the contracts balance: the unrounded payments sum to zero, the unrounded
    // charges to the settlement; only the members' own rounding is left for the VPP's account.
    const n = trades.length;
    expect(Math.abs(bills.p2pSum)).toBeLessThanOrEqual(n / 2);
    expect(Math.abs(bills.imbalanceSum - bills.settlement)).toBeLessThanOrEqual(n / 2);
    expect(bills.settlement).toBe(poolSettlement(tariffs, totals));
    const own = bills.prosumers.reduce((s, l) => s + l.ownCost, 0);
    expect(bills.total + bills.residual).toBe(own + bills.settlement);
    expect(Math.abs(bills.residual)).toBeLessThanOrEqual(n);
    // Somebody of this pool is cut back, so the lines are not the whole trade at the pool price.
    expect(bills.prosumers.some((l) => l.imbalance !== 0)).toBe(true);
  });

  it('the totals are the only link between members: a change elsewhere with the same totals changes nothing', () => {
    // Two sellers swap 0.5 kWh of period 0 between them: the totals stay, a third member's lines too.
    const a = trades.map((q) => [...q]);
    const sellers = a.flatMap((q, x) => (q[0]! > 1 ? [x] : []));
    expect(sellers.length).toBeGreaterThanOrEqual(2);
    const [i, j] = sellers as [number, number];
    a[i]![0]! += 0.5;
    a[j]![0]! -= 0.5;
    // A member on period 0's long side (other than those two): the cut-back applies to it.
    const t0 = poolTotals(trades, T);
    const sellersLong = t0.sold[0]! > t0.bought[0]!;
    const k = a.findIndex((q, x) => x !== i && x !== j && (sellersLong ? q[0]! > 0 : q[0]! < 0));
    expect(k).toBeGreaterThanOrEqual(0);
    const before = poolLines(trades[k]!, prices, tariffs, poolTotals(trades, T));
    const after = poolLines(a[k]!, prices, tariffs, poolTotals(a, T));
    expect(after).toEqual(before);
    // …while the totals themselves do matter.
    const shifted = poolTotals(trades, T);
    (sellersLong ? (shifted.sold as number[]) : (shifted.bought as number[]))[0]! += 1;
    expect(poolLines(trades[k]!, prices, tariffs, shifted)).not.toEqual(before);
  });

  it('FINISH carries the totals (layout round trip), and refuses negative or missing ones', () => {
    const totals = poolTotals(trades, T);
    const m: Finish = {
      kind: Kind.finish,
      session: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
      round: 9,
      flags: 1,
      iterations: 42,
      converged: true,
      prices: Float64Array.from(prices),
      sold: Float64Array.from(totals.sold),
      bought: Float64Array.from(totals.bought),
      excluded: [3],
    };
    const bytes = encodeRequest(m);
    // version, kind, session, round, flags, iterations, converged, 3 × f64s, u32s of one.
    expect(bytes.length).toBe(2 + 8 + 4 + 1 + 4 + 1 + 3 * (2 + 8 * T) + 2 + 4);
    expect(decodeRequest(bytes, T)).toEqual(m);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const soldAt = 2 + 8 + 4 + 1 + 4 + 1 + (2 + 8 * T) + 2;
    expect(view.getFloat64(soldAt, true)).toBe(totals.sold[0]);
    view.setFloat64(soldAt, -1e-3, true);
    expect(() => decodeRequest(bytes, T)).toThrow(/negative pool total/);
    // The layout without the totals (the one before them) is refused, not misread.
    expect(() => decodeRequest(bytes.subarray(0, soldAt - 2), T)).toThrow();
    expect(MONEY_UNIT).toBe(1e-9);
  });
});

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
