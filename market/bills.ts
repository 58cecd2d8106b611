// The prosumers' bills for a cleared day, in integers so that they add up exactly:
//
//   bill_i = own cost_i + P2P payments_i + imbalance charge_i            (nano-currency, 1e-9)
//
// Bilateral contracts are in whole Wh and prices in whole micro-currency per kWh, so every payment is an
// integer number of nano-currency units (Wh × µ/kWh = 1e-9): one integer that the seller receives and the
// buyer pays, so the P2P payments sum to exactly zero.
//
// Whatever a prosumer's schedule trades beyond its contracts is its imbalance, and the VPP settles the
// sum of those imbalances (the left-over P2P mismatch) with the grid. That settlement is charged to the
// prosumers who caused it, at the period's single imbalance price: feed-in when the VPP had a surplus to
// export, retail when it had a deficit to import (as GB's single imbalance price does for a balancing
// area). A prosumer pays −price × its own imbalance: the deviations sum to the VPP's mismatch, so the
// charges sum to the grid settlement.
// Who "caused" it:
//   bilateral (decentralised): a pair's contract is the midpoint of its two offers, (s_ij − s_ji)/2 (the
//     consensus variable of the ADMM), so each peer of a pair whose offers disagree carries half of it;
//     sub-Wh remainders go into the same line, and the charges are apportioned (largest remainder) to
//     sum to exactly the settlement;
//   pool (weak, central): the long side of the period — the sellers when more was sold than bought, the
//     buyers otherwise — is cut back pro rata to its trades until the pool balances (the rationing
//     rule of a call auction), and those cut back carry the surplus or deficit. A member's lines follow
//     from its own trades and the pool's per-period totals alone (poolLines), each rounded by the member
//     itself, so that a party of the weak market computes its own bill from the totals FINISH carries
//     without learning anyone else's figures. Exact zero-sum rounding would need every member's
//     remainders; the VPP's account takes the rounding residual instead (Bills.residual, about one unit
//     per member at most).
import type { BillLines, Bills, ProsumerOutcome } from './result.ts';

export type { BillLines, Bills };

import type { Tariffs } from './types.ts';

/** Currency per unit of a bill's integers. */
export const MONEY_UNIT = 1e-9;
/** Contracts are in whole Wh; prices in whole micro-currency per kWh. */
const WH_PER_KWH = 1000;
const PRICE_UNITS_PER_CURRENCY = 1e6;

/** A bilateral pair: `i` offered `offerI` to sell to `j`, `j` offered `offerJ`; `price` is what i receives. */
export interface PairOffers {
  i: number;
  j: number;
  offerI: ArrayLike<number>;
  offerJ: ArrayLike<number>;
  price: ArrayLike<number>;
}

/** Rounds half away from zero, so that round(−x) = −round(x): both ends of a pair get the same integer. */
export function roundSymmetric(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function safe(x: number, what: string): number {
  if (!Number.isSafeInteger(x)) throw new Error(`bill arithmetic out of range: ${what} = ${x}`);
  return x;
}

/**
 * Integers close to `raw` that sum to exactly `total` (largest remainder; ties by index). `raw` should
 * sum to about `total`; any float noise is spread one unit at a time.
 */
export function apportion(total: number, raw: ArrayLike<number>): number[] {
  const n = raw.length;
  if (n === 0) {
    if (total !== 0) throw new Error('cannot apportion a non-zero total among nobody');
    return [];
  }
  const out = Array.from(raw, (x) => Math.floor(x));
  let left = total - out.reduce((s, x) => s + x, 0);
  const order = Array.from({ length: n }, (_, k) => k).sort(
    (a, b) => raw[b]! - Math.floor(raw[b]!) - (raw[a]! - Math.floor(raw[a]!)) || a - b,
  );
  for (let k = 0; left !== 0; k = (k + 1) % n) {
    const step = left > 0 ? 1 : -1;
    out[left > 0 ? order[k]! : order[n - 1 - k]!]! += step;
    left -= step;
  }
  return out;
}

/** The period's single imbalance price: feed-in when the VPP exports its surplus, retail when it imports. */
function imbalancePrice(mismatch: number, tariffs: Tariffs, t: number): number {
  return mismatch > 0 ? tariffs.feedIn[t]! : tariffs.retail[t]!;
}

function priceUnits(price: number, what: string): number {
  if (!Number.isFinite(price)) throw new Error(`${what}: no price`);
  return Math.round(price * PRICE_UNITS_PER_CURRENCY);
}

/**
 * Finishes the bills once the contracts (per prosumer, Wh per period, summing to zero) and the P2P
 * payments are fixed: imbalance = schedule's P2P trades − contracts, charged at the imbalance price.
 */
function finish(
  prosumers: ProsumerOutcome[],
  contractsWh: Int32Array[] | number[][],
  p2p: number[],
  tariffs: Tariffs,
  rule: string,
): { prosumers: ProsumerOutcome[]; bills: Bills } {
  const T = tariffs.retail.length;
  const deviation = prosumers.map((p, i) =>
    Array.from({ length: T }, (_, t) => p.schedule.p2pNet[t]! - contractsWh[i]![t]! / WH_PER_KWH),
  );
  const mismatch = Array.from({ length: T }, (_, t) => deviation.reduce((s, d) => s + d[t]!, 0));
  let settlementCurrency = 0;
  for (let t = 0; t < T; t++) settlementCurrency += -imbalancePrice(mismatch[t]!, tariffs, t) * mismatch[t]!;
  const settlement = safe(Math.round(settlementCurrency / MONEY_UNIT), 'settlement');
  const raw = deviation.map(
    (d) => d.reduce((s, x, t) => s - imbalancePrice(mismatch[t]!, tariffs, t) * x, 0) / MONEY_UNIT,
  );
  const imbalance = apportion(settlement, raw);
  const lines: BillLines[] = prosumers.map((p, i) => {
    const ownCost = safe(Math.round(p.ownCost / MONEY_UNIT), `${p.id} own cost`);
    const total = safe(ownCost + p2p[i]! + imbalance[i]!, `${p.id} bill`);
    return { id: p.id, ownCost, p2p: p2p[i]!, imbalance: imbalance[i]!, total };
  });
  return assemble(prosumers, lines, settlement, rule);
}

/** The bills from their lines: sums, the VPP's residual, and the outcomes' float fields. */
function assemble(
  prosumers: ProsumerOutcome[],
  lines: BillLines[],
  settlement: number,
  rule: string,
): { prosumers: ProsumerOutcome[]; bills: Bills } {
  const sum = (f: keyof Omit<BillLines, 'id'>) => lines.reduce((s, l) => s + l[f], 0);
  const total = sum('total');
  return {
    prosumers: prosumers.map((p, i) => ({
      ...p,
      p2pPayment: lines[i]!.p2p * MONEY_UNIT,
      imbalanceCharge: lines[i]!.imbalance * MONEY_UNIT,
      cost: lines[i]!.total * MONEY_UNIT,
    })),
    bills: {
      unit: MONEY_UNIT,
      rule,
      prosumers: lines,
      p2pSum: sum('p2p'),
      settlement,
      imbalanceSum: sum('imbalance'),
      residual: sum('ownCost') + settlement - total,
      total,
    },
  };
}

/** A pool's per-period totals, kWh: Σ max(q_i, 0) (sold) and Σ max(−q_i, 0) (bought) over its members. */
export interface PoolTotals {
  sold: ArrayLike<number>;
  bought: ArrayLike<number>;
}

/** The totals by plain sums, where the VPP has every member's trades (central, research mode). */
export function poolTotals(trades: ArrayLike<number>[], periods: number): PoolTotals {
  const sold = new Array<number>(periods).fill(0);
  const bought = new Array<number>(periods).fill(0);
  for (const q of trades) {
    for (let t = 0; t < periods; t++) {
      const x = q[t]!;
      if (x > 0) sold[t]! += x;
      else bought[t]! -= x;
    }
  }
  return { sold, bought };
}

/**
 * One member's pool lines, from its own trades `q` (kWh per period) and the pool's totals alone, so
 * that a party of the weak market computes its own bill with nothing else (FINISH carries the totals).
 * Its contract in a period is `q × bought/sold` if it sells and more was sold than bought,
 * `q × sold/bought` if it buys and more was bought than sold, `q` otherwise (exact, not rounded to Wh).
 * It receives the pool price on its contract (µ/kWh × Wh = 1e-9; a buyer pays), and pays
 * −(imbalance price) × its deviation `q − contract` at the period's single imbalance price (feed-in when
 * sold > bought, retail otherwise). Each line is the day's sum rounded half away from zero to 1e-9: no
 * other member's figures are needed; the VPP's account takes what the rounding leaves (Bills.residual).
 */
export function poolLines(
  q: ArrayLike<number>,
  prices: ArrayLike<number>,
  tariffs: Tariffs,
  totals: PoolTotals,
): { p2p: number; imbalance: number } {
  const T = tariffs.retail.length;
  let p2p = 0;
  let imbalance = 0;
  for (let t = 0; t < T; t++) {
    const x = q[t]!;
    if (x === 0) continue;
    const sold = totals.sold[t]!;
    const bought = totals.bought[t]!;
    const scale =
      x > 0
        ? sold > bought && sold > 0
          ? bought / sold
          : 1
        : bought > sold && bought > 0
          ? sold / bought
          : 1;
    const contract = x * scale;
    if (contract !== 0) p2p -= priceUnits(prices[t]!, `period ${t}`) * WH_PER_KWH * contract;
    imbalance -= (imbalancePrice(sold - bought, tariffs, t) * (x - contract)) / MONEY_UNIT;
  }
  return {
    p2p: safe(roundSymmetric(p2p), 'pool payment'),
    imbalance: safe(roundSymmetric(imbalance), 'imbalance charge'),
  };
}

/** The VPP's settlement of the pool's mismatch (sold − bought per period) with the grid, in 1e-9. */
export function poolSettlement(tariffs: Tariffs, totals: PoolTotals): number {
  let currency = 0;
  for (let t = 0; t < tariffs.retail.length; t++) {
    const mismatch = totals.sold[t]! - totals.bought[t]!;
    currency -= imbalancePrice(mismatch, tariffs, t) * mismatch;
  }
  return safe(Math.round(currency / MONEY_UNIT), 'settlement');
}

/**
 * Bills of a pool market (weak, central) at pool prices `prices`: each member's `poolLines`. `totals`
 * are the pool's (the weak market's secure sums, which its parties were sent); by default their plain
 * sums. Σ P2P is not exactly 0 nor Σ imbalance exactly the settlement: each member rounds its own lines,
 * and the VPP's own account takes the difference (`residual`, at most about one unit per member).
 */
export function poolBills(
  prosumers: ProsumerOutcome[],
  prices: ArrayLike<number>,
  tariffs: Tariffs,
  totals: PoolTotals = poolTotals(
    prosumers.map((p) => p.schedule.p2pNet),
    tariffs.retail.length,
  ),
): { prosumers: ProsumerOutcome[]; bills: Bills } {
  const lines: BillLines[] = prosumers.map((p) => {
    const { p2p, imbalance } = poolLines(p.schedule.p2pNet, prices, tariffs, totals);
    const ownCost = safe(Math.round(p.ownCost / MONEY_UNIT), `${p.id} own cost`);
    return { id: p.id, ownCost, p2p, imbalance, total: safe(ownCost + p2p + imbalance, `${p.id} bill`) };
  });
  return assemble(
    prosumers,
    lines,
    poolSettlement(tariffs, totals),
    'pool: the long side cut back pro rata carries the imbalance, settled at the single imbalance price; each member rounds its own lines, the VPP takes the residual',
  );
}

/**
 * Bills of a bilateral market (decentralised). Each pair's contract is the midpoint of its two offers in
 * whole Wh, one integer the seller receives and the buyer pays at the pair's own price.
 */
export function pairBills(
  prosumers: ProsumerOutcome[],
  pairs: PairOffers[],
  tariffs: Tariffs,
): { prosumers: ProsumerOutcome[]; bills: Bills } {
  const T = tariffs.retail.length;
  const contracts = prosumers.map(() => new Array<number>(T).fill(0));
  const p2p = new Array<number>(prosumers.length).fill(0);
  for (const pair of pairs) {
    for (let t = 0; t < T; t++) {
      const wh = roundSymmetric((WH_PER_KWH * (pair.offerI[t]! - pair.offerJ[t]!)) / 2);
      if (wh === 0) continue;
      const payment = safe(priceUnits(pair.price[t]!, `pair ${pair.i}-${pair.j}`) * wh, 'payment');
      contracts[pair.i]![t]! += wh;
      contracts[pair.j]![t]! -= wh;
      p2p[pair.i]! -= payment;
      p2p[pair.j]! += payment;
    }
  }
  return finish(
    prosumers,
    contracts,
    p2p,
    tariffs,
    'bilateral: each pair contracts the midpoint of its offers; each peer carries its own deviation, settled at the single imbalance price',
  );
}

/** Bills without P2P trade (traditional): own costs only. */
export function ownBills(prosumers: ProsumerOutcome[]): { prosumers: ProsumerOutcome[]; bills: Bills } {
  const lines = prosumers.map((p) => {
    const ownCost = safe(Math.round(p.ownCost / MONEY_UNIT), `${p.id} own cost`);
    return { id: p.id, ownCost, p2p: 0, imbalance: 0, total: ownCost };
  });
  return {
    prosumers: prosumers.map((p, i) => ({ ...p, imbalanceCharge: 0, cost: lines[i]!.total * MONEY_UNIT })),
    bills: {
      unit: MONEY_UNIT,
      rule: 'no P2P trade: own costs only',
      prosumers: lines,
      p2pSum: 0,
      settlement: 0,
      imbalanceSum: 0,
      residual: 0,
      total: lines.reduce((s, l) => s + l.total, 0),
    },
  };
}
