// Splitting a VPP's real-time bill among its prosumers, and the per-prosumer ledger of day-ahead and
// real-time costs. Money that is settled (the bill) stays integer: shares are exact and sum to the bill
// total. Day-ahead costs come from the market in GBP (floats) and are kept as such.
import {
  type BidStep,
  type Bill,
  billTotal,
  type IntervalPrices,
  type Side,
} from '../contracts-vm/abi/index.ts';
import type { FrameworkResult } from '../market/result.ts';
import type { Scenario } from '../market/types.ts';
import type { Delivery, IntervalAssessment } from './realtime.ts';
import type { Slice } from './timing.ts';
import { unitsToGbp } from './units.ts';

const floorDiv = (a: bigint, b: bigint): bigint => {
  // b > 0
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
};

/**
 * Splits `total` exactly in proportion to integer `weights` (any signs, Σ weights ≠ 0): each share is the
 * floor of total × w / Σw, and the remaining units (0 ≤ r < n) go one each to the largest fractional parts,
 * ties to the lower index. The shares always sum to `total`.
 */
export function splitExact(total: bigint, weights: readonly bigint[]): bigint[] {
  let W = weights.reduce((s, w) => s + w, 0n);
  if (W === 0n) throw new RangeError('weights must not sum to zero');
  const ws = W < 0n ? weights.map((w) => -w) : [...weights];
  if (W < 0n) W = -W;
  const floors = ws.map((w) => floorDiv(total * w, W));
  const fractions = ws.map((w, i) => total * w - floors[i]! * W); // in [0, W)
  let r = total - floors.reduce((s, x) => s + x, 0n);
  const order = ws
    .map((_, i) => i)
    .sort((a, b) => (fractions[b]! > fractions[a]! ? 1 : fractions[b]! < fractions[a]! ? -1 : a - b));
  for (const i of order) {
    if (r === 0n) break;
    floors[i]! += 1n;
    r -= 1n;
  }
  return floors;
}

/**
 * Pro rata split of an amount by integer deviations (Wh, + surplus / - deficit): in proportion to each
 * deviation when they do not sum to 0; otherwise in proportion to |deviation|; if every deviation is 0,
 * equally. Exact (splitExact): the shares sum to `total`.
 */
export function splitBill(total: bigint, prosumerDeviationWh: readonly number[]): bigint[] {
  const n = prosumerDeviationWh.length;
  if (n === 0) throw new RangeError('no prosumers');
  let weights = prosumerDeviationWh.map((d) => BigInt(d));
  if (weights.reduce((s, w) => s + w, 0n) === 0n) weights = weights.map((w) => (w < 0n ? -w : w));
  if (weights.every((w) => w === 0n)) weights = weights.map(() => 1n);
  return splitExact(total, weights);
}

export interface IntervalSplit {
  /** The VPP's real-time cost of the interval, base units: tokens paid (- bill total) + redispatch credits. */
  costUnits: bigint;
  /** Each prosumer's share of that cost (sums to costUnits). */
  shares: bigint[];
  /** What each battery owner is credited for its redispatch (+ owed to it by a short VPP, - owed by it in a long one). */
  credits: bigint[];
  /** Token cost of each prosumer: share - credit; sums exactly to - bill total. */
  tokens: bigint[];
}

/**
 * The bill split rule. The VPP's real-time cost of an interval is the tokens it paid (- bill total) plus
 * the redispatch its batteries did for it, valued at the bid prices (the remedies' true marginal costs;
 * floor of the exact milli amount per battery): a battery owner who discharged or stopped charging for a
 * short VPP is credited that value, one who stored a long VPP's surplus owes it. That cost is shared among
 * the prosumers in proportion to their own deviation before redispatch (splitBill), so every Wh of
 * deviation costs (or earns) the VPP's average real-time price: the short pay, the long are paid for
 * surplus the others used. A prosumer's token cost is its share minus its credit; the token costs sum
 * exactly to the bill total.
 */
export function splitInterval(
  billTotalUnits: bigint,
  rawDeviationWh: readonly number[],
  remedyMilliByProsumer: readonly bigint[],
  short: boolean,
): IntervalSplit {
  const credits = remedyMilliByProsumer.map((m) => (short ? 1n : -1n) * (m / 1000n));
  const costUnits = -billTotalUnits + credits.reduce((s, c) => s + c, 0n);
  const shares = splitBill(costUnits, rawDeviationWh);
  return { costUnits, shares, credits, tokens: shares.map((x, i) => x - credits[i]!) };
}

/** Day-ahead cost of each prosumer per period (GBP): own cost of the period's schedule plus its P2P
 *  payment spread over periods in proportion to |p2pNet_t|. Sums to the prosumer's day-ahead cost. */
export function dayAheadCostByPeriod(scenario: Scenario, result: FrameworkResult): number[][] {
  const { retail, feedIn } = scenario.tariffs;
  return result.prosumers.map((o, i) => {
    const p = scenario.prosumers[i]!;
    const s = o.schedule;
    const d = p.battery?.degradationCostPerKwh ?? 0;
    const cg = p.generator?.marginalCostPerKwh ?? 0;
    const volume = s.p2pNet.reduce((sum, x) => sum + Math.abs(x), 0);
    return s.load.map(
      (_, t) =>
        retail[t]! * s.gridBuy[t]! -
        feedIn[t]! * s.gridSell[t]! +
        cg * s.generator[t]! +
        d * (s.charge[t]! + s.discharge[t]!) +
        (volume > 0 ? (o.p2pPayment * Math.abs(s.p2pNet[t]!)) / volume : o.p2pPayment / s.load.length),
    );
  });
}

/** One interval of one prosumer's ledger. Costs: + paid, - received. */
export interface ProsumerLedgerEntry {
  interval: bigint;
  /** Day-ahead cost of the slice under the VPP's framework and under the traditional market, GBP. */
  dayAheadGbp: number;
  traditionalDayAheadGbp: number;
  /** Deviation before and after its battery's redispatch, Wh. */
  deviationWh: number;
  actualDeviationWh: number;
  /** Its token cost in base units (+ paid): its share of the VPP's real-time cost minus its redispatch credit. */
  realtimeUnits: bigint;
  /** Its battery's redispatch credit, base units: the cost it bore for a short VPP (+), or the value of the
   *  surplus it stored for a long one (-). realtimeUnits + redispatchUnits is its share of the VPP's cost. */
  redispatchUnits: bigint;
  /** Traditional real time: its own deviation settled alone with the grid at the interval's grid prices, base units. */
  gridAloneUnits: bigint;
}

export interface VppInterval {
  interval: bigint;
  slice: Slice;
  billTotal: bigint;
  unpaid: bigint;
  /** From the bill: the metered net position (+ export / - import) and the committed one it was measured against. */
  meteredWh: bigint | null;
  committedWh: bigint | null;
  /** The VPP's real-time cost (tokens + redispatch credits, base units) that was shared among the prosumers. */
  costUnits: bigint;
  /** Deviation from the committed position the bid was built on, the actual one before redispatch, and
   *  after it (what metering settled), Wh. */
  declaredDeviationWh: number;
  deviationWh: number;
  actualDeviationWh: number;
  /** VPP-level real-time cost with the market (tokens paid + own remedies at their bid prices), and the cost
   *  of resolving the same deviation without the market (each block at min(remedy, grid)), milli base units. */
  p2pMilli: bigint;
  gridAloneMilli: bigint;
}

/** A prosumer's own deviation settled alone with the grid: a deficit bought at P (floor), a surplus sold at p (ceil). */
export function gridAloneCost(deviationWh: number, prices: IntervalPrices): bigint {
  if (deviationWh < 0) return (BigInt(-deviationWh) * BigInt(prices.gridSellPrice)) / 1000n;
  return -((BigInt(deviationWh) * BigInt(prices.gridBuyPrice) + 999n) / 1000n);
}

export interface LedgerTotals {
  id: string;
  traditional: { dayAheadGbp: number; realtimeGbp: number; totalGbp: number };
  p2p: { dayAheadGbp: number; realtimeGbp: number; redispatchGbp: number; totalGbp: number };
  savingGbp: number;
}

export interface CostSummary {
  vpp: string;
  intervals: number;
  prosumers: LedgerTotals[];
  total: LedgerTotals;
  /** Σ of the prosumers' real-time shares, base units (= - Σ bill totals). */
  realtimeUnits: bigint;
}

/** A VPP's ledger: per prosumer and interval, day-ahead and real-time costs. */
export class VppLedger {
  readonly vpp: string;
  readonly ids: string[];
  readonly intervals: VppInterval[] = [];
  readonly entries: ProsumerLedgerEntry[][];
  private readonly daCost: number[][];
  private readonly tradCost: number[][];

  constructor(vpp: string, scenario: Scenario, dayAhead: FrameworkResult, traditional: FrameworkResult) {
    this.vpp = vpp;
    this.ids = scenario.prosumers.map((p) => p.id);
    this.entries = this.ids.map(() => []);
    this.daCost = dayAheadCostByPeriod(scenario, dayAhead);
    this.tradCost = dayAheadCostByPeriod(scenario, traditional);
  }

  /** Records interval k from its actual assessment, delivery, the bid blocks' grid-alone value and its final bill. */
  record(
    a: IntervalAssessment,
    d: Delivery,
    bill: Pick<Bill, 'lines' | 'meteredWh' | 'committedWh'> | undefined,
    gridAloneMilli: bigint,
  ): VppInterval {
    const k = a.slice.interval;
    if (this.intervals.some((x) => x.interval === k)) throw new Error(`interval ${k} already recorded`);
    const lines = bill?.lines ?? [];
    const total = billTotal(lines);
    const sign = d.short ? 1 : -1;
    const remedyMilli = this.ids.map(() => 0n);
    for (const x of d.actions) remedyMilli[x.prosumer]! += BigInt(x.wh) * BigInt(x.price);
    const split = splitInterval(
      total,
      a.prosumers.map((p) => p.deviationWh),
      remedyMilli,
      d.short,
    );
    const { period, fraction } = a.slice;
    this.ids.forEach((_, i) => {
      this.entries[i]!.push({
        interval: k,
        dayAheadGbp: this.daCost[i]![period]! * fraction,
        traditionalDayAheadGbp: this.tradCost[i]![period]! * fraction,
        deviationWh: a.prosumers[i]!.deviationWh,
        actualDeviationWh: d.prosumerDeviationWh[i]!,
        realtimeUnits: split.tokens[i]!,
        redispatchUnits: split.credits[i]!,
        gridAloneUnits: gridAloneCost(a.prosumers[i]!.deviationWh, a.prices),
      });
    });
    const entry: VppInterval = {
      interval: k,
      slice: a.slice,
      billTotal: total,
      unpaid: lines.filter((l) => l.kind === 'unpaid').reduce((s, l) => s + l.amount, 0n),
      meteredWh: bill?.meteredWh ?? null,
      committedWh: bill?.committedWh ?? null,
      costUnits: split.costUnits,
      declaredDeviationWh: d.declaredDeviationWh,
      deviationWh: d.deviationWh,
      actualDeviationWh: d.actualDeviationWh,
      p2pMilli: -total * 1000n + BigInt(sign) * d.remedyValueMilli,
      gridAloneMilli,
    };
    this.intervals.push(entry);
    return entry;
  }

  summary(): CostSummary {
    const prosumers = this.ids.map((id, i): LedgerTotals => {
      const e = this.entries[i]!;
      const da = e.reduce((s, x) => s + x.dayAheadGbp, 0);
      const tda = e.reduce((s, x) => s + x.traditionalDayAheadGbp, 0);
      const rt = unitsToGbp(e.reduce((s, x) => s + x.realtimeUnits, 0n));
      const rd = unitsToGbp(e.reduce((s, x) => s + x.redispatchUnits, 0n));
      const trt = unitsToGbp(e.reduce((s, x) => s + x.gridAloneUnits, 0n));
      const p2pTotal = da + rt + rd;
      const tradTotal = tda + trt;
      return {
        id,
        traditional: { dayAheadGbp: tda, realtimeGbp: trt, totalGbp: tradTotal },
        p2p: { dayAheadGbp: da, realtimeGbp: rt, redispatchGbp: rd, totalGbp: p2pTotal },
        savingGbp: tradTotal - p2pTotal,
      };
    });
    const sum = (f: (x: LedgerTotals) => number) => prosumers.reduce((s, x) => s + f(x), 0);
    const total: LedgerTotals = {
      id: this.vpp,
      traditional: {
        dayAheadGbp: sum((x) => x.traditional.dayAheadGbp),
        realtimeGbp: sum((x) => x.traditional.realtimeGbp),
        totalGbp: sum((x) => x.traditional.totalGbp),
      },
      p2p: {
        dayAheadGbp: sum((x) => x.p2p.dayAheadGbp),
        realtimeGbp: sum((x) => x.p2p.realtimeGbp),
        redispatchGbp: sum((x) => x.p2p.redispatchGbp),
        totalGbp: sum((x) => x.p2p.totalGbp),
      },
      savingGbp: sum((x) => x.savingGbp),
    };
    return {
      vpp: this.vpp,
      intervals: this.intervals.length,
      prosumers,
      total,
      realtimeUnits: this.entries.reduce((s, e) => s + e.reduce((t, x) => t + x.realtimeUnits, 0n), 0n),
    };
  }
}

/** Grid-alone value of a bid's blocks (milli base units, as a cost: + for a buyer, - for a seller). */
export function gridAloneMilli(blocks: readonly BidStep[], side: Side): bigint {
  const v = blocks.reduce((s, b) => s + BigInt(b.qty) * BigInt(b.price), 0n);
  return side === 'buy' ? v : -v;
}
