// The checks every framework's bills must pass (market/bills.ts), shared by the market tests.
import { expect } from 'vitest';
import { type Bills, MONEY_UNIT } from '../../../market/bills.ts';
import type { FrameworkResult } from '../../../market/result.ts';

/** The checks every framework's bills must pass. */
export function expectBillsAddUp(r: FrameworkResult, label: string): Bills {
  const b = r.bills!;
  expect(b, `${label}: bills`).toBeDefined();
  expect(
    b.prosumers.map((l) => l.id),
    label,
  ).toEqual(r.prosumers.map((p) => p.id));
  for (const l of b.prosumers) {
    for (const v of [l.ownCost, l.p2p, l.imbalance, l.total])
      expect(Number.isSafeInteger(v), label).toBe(true);
    expect(l.total, label).toBe(l.ownCost + l.p2p + l.imbalance);
  }
  // Exactly, in integers of the stated unit.
  const n = r.prosumers.length;
  const sumOf = (f: 'ownCost' | 'p2p' | 'imbalance' | 'total') => b.prosumers.reduce((s, l) => s + l[f], 0);
  expect(b.p2pSum, label).toBe(sumOf('p2p'));
  expect(b.imbalanceSum, label).toBe(sumOf('imbalance'));
  expect(b.total, label).toBe(sumOf('total'));
  expect(b.total + b.residual, `${label}: bills + the VPP's residual`).toBe(sumOf('ownCost') + b.settlement);
  expect(b.residual, label).toBe(b.settlement - b.imbalanceSum - b.p2pSum);
  if (r.framework === 'central' || r.framework === 'weak') {
    // A pool: each member rounds its own two lines (half a unit each); the VPP's account takes the rest.
    expect(Math.abs(b.p2pSum), `${label}: P2P payments`).toBeLessThanOrEqual(n / 2 + 1);
    expect(Math.abs(b.imbalanceSum - b.settlement), `${label}: imbalance charges`).toBeLessThanOrEqual(
      n / 2 + 1,
    );
  } else {
    expect(b.p2pSum, `${label}: P2P payments`).toBe(0);
    expect(b.imbalanceSum, `${label}: imbalance charges`).toBe(b.settlement);
    expect(b.residual, label).toBe(0);
  }
  // The settlement is the framework's own, and the bills its total cost: each own cost is rounded to
  // the unit (half a unit per prosumer), the weak market's totals come from fixed-point sums, and the
  // decentralised market's total is the upper end of the bracket its peers agreed by gossip (within
  // 1e-5 of the bound by its gossip rule, peer/peer.ts).
  const slack = r.framework === 'decentralized' ? 1e-5 * Math.max(1, Math.abs(r.totalCost)) : 1e-6;
  expect(Math.abs(b.settlement * MONEY_UNIT - r.settlementCost), `${label}: settlement`).toBeLessThan(1e-6);
  expect(Math.abs((b.total + b.residual) * MONEY_UNIT - r.totalCost), `${label}: total`).toBeLessThan(
    (n + 1) * MONEY_UNIT + slack,
  );
  if (r.framework === 'decentralized')
    expect(r.totalCost).toBeGreaterThanOrEqual(b.total * MONEY_UNIT - (n + 1) * MONEY_UNIT);
  // The float outcome fields are the integers in currency.
  r.prosumers.forEach((p, i) => {
    expect(p.cost).toBeCloseTo(b.prosumers[i]!.total * MONEY_UNIT, 12);
    expect(p.p2pPayment).toBeCloseTo(b.prosumers[i]!.p2p * MONEY_UNIT, 12);
  });
  return b;
}
