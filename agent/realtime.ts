// The pure real-time core of a VPP agent: for one chain interval, the VPP's actual load and PV, its
// deviation from the schedule it committed on chain (its day-ahead plan, unless the commitment differs),
// what its batteries can do about it and at what true marginal cost, the step bid, and — once the auction
// has cleared — the redispatch it carries out, the state of charge it leaves and the net position the grid
// meters. No I/O: everything is a function of the scenario, the day-ahead result, the seeds, the battery
// states, the committed position and the interval's prices. See docs/agent.md for the rules.

import type { BidStep, IntervalPrices, Side } from '../contracts-vm/abi/index.ts';
import { MAX_STEP_QTY_WH, MAX_STEPS_PER_BID } from '../contracts-vm/auction/limits.ts';
import type { FrameworkResult } from '../market/result.ts';
import { vppNetPosition } from '../market/result.ts';
import { periodHours, type Scenario } from '../market/types.ts';
import {
  type ActualSlice,
  actualSlice,
  type ForecastErrorModel,
  type MinuteData,
  type ProsumerSources,
} from './actuals.ts';
import { plannedPositionWh } from './schedule.ts';
import { type IntervalMapping, previousSlice, type Slice, sliceOf } from './timing.ts';
import { gbpPerKwhToPrice, kwhToWh } from './units.ts';

/** Everything fixed about one VPP for the day: who it is, its prosumers, its day-ahead outcome. */
export interface VppContext {
  /** Name used in the error draws and reports (e.g. "vpp-1"). */
  name: string;
  scenario: Scenario;
  /** The day-ahead result of the framework the VPP trades by: schedules, prices, net position. */
  dayAhead: FrameworkResult;
  mapping: IntervalMapping;
  errors: ForecastErrorModel;
  /** CLNR columns of each prosumer (same order as scenario.prosumers), when known. */
  sources?: ProsumerSources[];
  minutes?: MinuteData;
  /**
   * What the agent knows when it bids: 'perfect' (default) — the interval's actuals; 'persistence' — a
   * nowcast: each prosumer's load and PV as in the previous slice. Delivery and metering always use the
   * actuals, so with a nowcast the forecast error is settled as imbalance.
   */
  forecast?: 'perfect' | 'persistence';
}

/** What carries over from one interval to the next: each battery's state of charge (kWh). */
export interface VppState {
  /** Per prosumer (scenario order); undefined without a battery. */
  socKwh: (number | undefined)[];
  /** Next interval the state is valid for (intervals are delivered in order). */
  nextInterval: bigint | null;
}

export function initialState(scenario: Scenario): VppState {
  return { socKwh: scenario.prosumers.map((p) => p.battery?.initialKwh), nextInterval: null };
}

export type RemedyKind = 'reduce-charge' | 'extra-discharge' | 'reduce-discharge' | 'extra-charge';

/** One way a battery can absorb part of the deviation in this interval. */
export interface Remedy {
  prosumer: number;
  kind: RemedyKind;
  /** Most Wh it can provide (short VPP) or absorb (long VPP) this interval, within power and SoC limits. */
  wh: number;
  /** Short VPP: its cost per kWh; long VPP: the value of keeping the kWh this way. GBP/kWh. */
  gbpPerKwh: number;
  /** The same in base units per kWh (rounded, clamped to the contract's price range). */
  price: number;
}

export interface ProsumerInterval {
  id: string;
  forecastLoadKwh: number;
  actualLoadKwh: number;
  scheduledPvKwh: number;
  actualPvKwh: number;
  source: Pick<ActualSlice, 'loadSource' | 'pvSource'>;
  /** Battery flows of the day-ahead plan in the slice, and what the battery could actually do (clipped at its SoC bounds). */
  plannedChargeKwh: number;
  plannedDischargeKwh: number;
  chargeKwh: number;
  dischargeKwh: number;
  socStartKwh: number | undefined;
  /** Deviation from the schedule before any redispatch, + surplus / - deficit. */
  deviationKwh: number;
  /** The same rounded to integer Wh (the VPP's deviation is the sum of these). */
  deviationWh: number;
}

export interface IntervalAssessment {
  vpp: string;
  slice: Slice;
  prices: IntervalPrices;
  prosumers: ProsumerInterval[];
  /** The VPP's day-ahead net position over the slice (kWh, + import): vppNetPosition × slice share. */
  scheduledNetKwh: number;
  /** Actual net import before redispatch: scheduledNetKwh - Σ prosumer deviations. */
  actualNetKwh: number;
  /** The plan's net position as the agent commits it: + export / - import, integer Wh (schedule.ts). */
  plannedPositionWh: number;
  /** The position committed on chain, which metering measures against; null: none (counted as 0). */
  committedWh: number | null;
  /** plannedPositionWh - committed: deviation the VPP has even when every prosumer follows the plan. */
  scheduleOffsetWh: number;
  /** Deviation from the committed position: Σ prosumer deviationWh + scheduleOffsetWh; + surplus (long),
   *  - deficit (short), integer Wh. */
  deviationWh: number;
  /** Battery remedies in the direction that reduces |deviation|, in merit order (best first). */
  remedies: Remedy[];
}

/** Value of a kWh held in storage in each period: the mean day-ahead marginal price over the rest of the day. */
export function storageValue(scenario: Scenario, dayAhead: FrameworkResult): number[] {
  const { retail, feedIn } = scenario.tariffs;
  const T = scenario.periods;
  const marginal = Array.from({ length: T }, (_, t) => {
    const p = dayAhead.prices[t];
    return typeof p === 'number' && Number.isFinite(p) ? p : (retail[t]! + feedIn[t]!) / 2;
  });
  const out = new Array<number>(T);
  let sum = 0;
  for (let t = T - 1; t >= 0; t--) {
    sum += marginal[t]!;
    out[t] = sum / (T - t);
  }
  return out;
}

const storageCache = new WeakMap<FrameworkResult, number[]>();

/**
 * Actuals, deviation and remedies of interval k, from the battery states at its start. `view` 'declared' is
 * what the agent bids on: the actuals under a perfect forecast, the previous slice's load and PV under the
 * persistence nowcast; 'actual' is what happens. `committed` is the position committed on chain for k
 * (Wh, + export), null when none is (metering then counts 0), or 'plan' to measure against the plan itself.
 */
export function assessInterval(
  ctx: VppContext,
  state: VppState,
  k: bigint,
  prices: IntervalPrices,
  view: 'actual' | 'declared' = 'actual',
  committed: number | null | 'plan' = 'plan',
): IntervalAssessment {
  const { scenario, dayAhead } = ctx;
  if (dayAhead.prosumers.length !== scenario.prosumers.length)
    throw new Error('the day-ahead result does not match the scenario');
  const slice = sliceOf(k, ctx.mapping, scenario);
  const t = slice.period;
  const f = slice.fraction;
  const hours = periodHours(scenario) * f;
  let lambda = storageCache.get(dayAhead);
  if (!lambda) {
    lambda = storageValue(scenario, dayAhead);
    storageCache.set(dayAhead, lambda);
  }
  const value = lambda[t]!;
  const prosumers: ProsumerInterval[] = [];
  const options: Remedy[] = [];
  const short: Remedy[] = [];
  const long: Remedy[] = [];
  scenario.prosumers.forEach((p, i) => {
    const s = dayAhead.prosumers[i]!;
    if (s.id !== p.id) throw new Error(`day-ahead prosumer ${i} is ${s.id}, the scenario's is ${p.id}`);
    const sch = s.schedule;
    const measured =
      view === 'declared' && ctx.forecast === 'persistence'
        ? previousSlice(slice, scenario.periodMinutes)
        : slice;
    const actual = actualSlice(p, measured, {
      vppKey: ctx.name,
      errors: ctx.errors,
      ...(ctx.minutes ? { minutes: ctx.minutes } : {}),
      ...(ctx.sources?.[i] ? { sources: ctx.sources[i] } : {}),
    });
    const forecastLoadKwh = sch.load[t]! * f;
    const scheduledPvKwh = sch.pvUsed[t]! * f;
    const plannedCharge = sch.charge[t]! * f;
    const plannedDischarge = sch.discharge[t]! * f;
    let charge = 0;
    let discharge = 0;
    const b = p.battery;
    const soc = state.socKwh[i];
    if (b && soc !== undefined) {
      // Follow the plan as far as the actual state of charge allows.
      charge = Math.max(0, Math.min(plannedCharge, (b.socMaxKwh - soc) / b.chargeEfficiency));
      discharge = Math.max(
        0,
        Math.min(plannedDischarge, (soc + b.chargeEfficiency * charge - b.socMinKwh) * b.dischargeEfficiency),
      );
      const d = b.degradationCostPerKwh;
      const kept = value / b.dischargeEfficiency + d; // a kWh not discharged (or discharged extra) at the terminals
      const stored = Math.max(0, b.chargeEfficiency * value - d); // a kWh charged (or not charged) at the terminals
      const floorWh = (kwh: number) => Math.max(0, Math.floor(kwh * 1000 + 1e-9));
      // Short: cut planned charging, then discharge more (power and SoC limits, charging cut to zero first).
      const extraDischarge = Math.min(
        b.dischargeKw * hours - discharge,
        (soc - b.socMinKwh) * b.dischargeEfficiency - discharge,
      );
      short.push(
        { prosumer: i, kind: 'reduce-charge', wh: floorWh(charge), gbpPerKwh: stored, price: 0 },
        { prosumer: i, kind: 'extra-discharge', wh: floorWh(extraDischarge), gbpPerKwh: kept, price: 0 },
      );
      // Long: cut planned discharging, then charge more.
      const extraCharge = Math.min(
        b.chargeKw * hours - charge,
        (b.socMaxKwh - soc - b.chargeEfficiency * charge) / b.chargeEfficiency,
      );
      long.push(
        { prosumer: i, kind: 'reduce-discharge', wh: floorWh(discharge), gbpPerKwh: kept, price: 0 },
        { prosumer: i, kind: 'extra-charge', wh: floorWh(extraCharge), gbpPerKwh: stored, price: 0 },
      );
    }
    const deviationKwh =
      forecastLoadKwh -
      actual.loadKwh +
      (actual.pvKwh - scheduledPvKwh) +
      (plannedCharge - charge) -
      (plannedDischarge - discharge);
    prosumers.push({
      id: p.id,
      forecastLoadKwh,
      actualLoadKwh: actual.loadKwh,
      scheduledPvKwh,
      actualPvKwh: actual.pvKwh,
      source: { loadSource: actual.loadSource, pvSource: actual.pvSource },
      plannedChargeKwh: plannedCharge,
      plannedDischargeKwh: plannedDischarge,
      chargeKwh: charge,
      dischargeKwh: discharge,
      socStartKwh: soc,
      deviationKwh,
      deviationWh: kwhToWh(deviationKwh),
    });
  });
  const plannedWh = plannedPositionWh(ctx, k);
  const committedWh = committed === 'plan' ? plannedWh : committed;
  const scheduleOffsetWh = plannedWh - (committedWh ?? 0);
  const deviationWh = prosumers.reduce((sum, p) => sum + p.deviationWh, 0) + scheduleOffsetWh;
  const kindOrder: RemedyKind[] = ['reduce-charge', 'extra-discharge', 'reduce-discharge', 'extra-charge'];
  const tie = (a: Remedy, b: Remedy) =>
    a.prosumer - b.prosumer || kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind);
  if (deviationWh < 0) {
    // Short: cheapest remedy first.
    options.push(...short.filter((r) => r.wh > 0).sort((a, b) => a.gbpPerKwh - b.gbpPerKwh || tie(a, b)));
  } else if (deviationWh > 0) {
    // Long: the most valuable way of keeping the energy first.
    options.push(...long.filter((r) => r.wh > 0).sort((a, b) => b.gbpPerKwh - a.gbpPerKwh || tie(a, b)));
  }
  for (const r of options) r.price = gbpPerKwhToPrice(r.gbpPerKwh);
  const scheduledNetKwh = vppNetPosition(dayAhead)[t]! * f;
  return {
    vpp: ctx.name,
    slice,
    prices,
    prosumers,
    scheduledNetKwh,
    actualNetKwh: scheduledNetKwh - (deviationWh - scheduleOffsetWh) / 1000,
    plannedPositionWh: plannedWh,
    committedWh,
    scheduleOffsetWh,
    deviationWh,
    remedies: options,
  };
}

/** A block of the bid before it is written as contract steps: its Wh, its price, the remedy behind it. */
export interface BidBlock {
  qty: number;
  price: number;
  /** The battery remedy the VPP uses for this block if the market does not take it; null = the grid's. */
  remedy: Remedy | null;
}

export interface PlannedBid {
  interval: bigint;
  side: Side;
  /** Contract steps (1..32), buyer's by price descending, seller's ascending. */
  steps: BidStep[];
  /** The blocks in the VPP's remedy merit order (remedies first, then the grid block), before merging. */
  blocks: BidBlock[];
  /** |deviation| in Wh = Σ steps' qty. */
  totalWh: number;
}

/**
 * The step bid for an assessed interval, or null when the deviation is zero.
 * Short VPP (buyer): for each battery remedy in merit order while it is cheaper than the grid's sell price
 * P, a block at its cost; what is left, at P (settled with the grid if the market does not take it).
 * Long VPP (seller): for each remedy while keeping the energy is worth more than the grid's buy price p, a
 * block at that value; the rest at p.
 */
export function buildBid(a: IntervalAssessment): PlannedBid | null {
  const D = a.deviationWh;
  if (D === 0) return null;
  const side: Side = D < 0 ? 'buy' : 'sell';
  const grid = side === 'buy' ? a.prices.gridSellPrice : a.prices.gridBuyPrice;
  let left = Math.abs(D);
  const blocks: BidBlock[] = [];
  for (const r of a.remedies) {
    if (left === 0) break;
    const betterThanGrid = side === 'buy' ? r.price < grid : r.price > grid;
    if (!betterThanGrid) break; // the rest are no better either (merit order)
    const qty = Math.min(r.wh, left);
    blocks.push({ qty, price: r.price, remedy: r });
    left -= qty;
  }
  if (left > 0) blocks.push({ qty: left, price: grid, remedy: null });
  const steps = toSteps(blocks, side);
  return { interval: a.slice.interval, side, steps, blocks, totalWh: Math.abs(D) };
}

/** Blocks to contract steps: equal prices merged, at most 32 steps and 1e9 Wh each. */
export function toSteps(blocks: readonly BidBlock[], side: Side): BidStep[] {
  const byPrice = new Map<number, number>();
  for (const b of blocks) byPrice.set(b.price, (byPrice.get(b.price) ?? 0) + b.qty);
  let steps = [...byPrice].map(([price, qty]) => ({ qty, price })).sort((x, y) => x.price - y.price);
  // Too many distinct prices (more than 31 battery remedies): merge the two neighbours closest in price,
  // at their quantity-weighted price, rounded in the direction that never overstates the VPP's value
  // (down for a buyer, up for a seller).
  while (steps.length > MAX_STEPS_PER_BID) {
    let best = 0;
    for (let i = 1; i < steps.length - 1; i++)
      if (steps[i + 1]!.price - steps[i]!.price < steps[best + 1]!.price - steps[best]!.price) best = i;
    const x = steps[best]!;
    const y = steps[best + 1]!;
    const qty = x.qty + y.qty;
    const weighted = (x.qty * x.price + y.qty * y.price) / qty;
    steps.splice(best, 2, { qty, price: side === 'buy' ? Math.floor(weighted) : Math.ceil(weighted) });
  }
  // Split any step over the contract's quantity limit (a VPP deviating by more than 1 GWh).
  steps = steps.flatMap((s) => {
    const parts: BidStep[] = [];
    for (let q = s.qty; q > 0; q -= MAX_STEP_QTY_WH)
      parts.push({ qty: Math.min(q, MAX_STEP_QTY_WH), price: s.price });
    return parts;
  });
  if (steps.length > MAX_STEPS_PER_BID) throw new RangeError('deviation too large for one bid');
  return side === 'buy' ? steps.reverse() : steps;
}

/** What the market and the grid took of a bid, read from the cleared bill (Wh). */
export interface ClearedQuantities {
  marketWh: number;
  gridWh: number;
}

export interface RedispatchAction {
  prosumer: number;
  kind: RemedyKind;
  wh: number;
  /** The remedy's price (base units per kWh): what using it is worth to the VPP. */
  price: number;
}

export interface Delivery {
  interval: bigint;
  /** Battery redispatch carried out, in merit order. */
  actions: RedispatchAction[];
  /** Wh the VPP settled by redispatch (same sign convention as the deviation). */
  redispatchWh: number;
  /** Direction of the redispatch: a short VPP's remedies add surplus, a long VPP's absorb it. */
  short: boolean;
  /** The deviation the bid was built on (= deviationWh under a perfect forecast). */
  declaredDeviationWh: number;
  /** Actual deviation from the committed position before redispatch, and after it: what metering settles. */
  deviationWh: number;
  actualDeviationWh: number;
  /** The position metering measures against (null: none committed, counted as 0). */
  committedWh: number | null;
  /** The actual net position after redispatch, + export / - import, Wh: what the grid's meter measures
   *  (committed + actualDeviationWh = the planned position + the prosumers' deviations after redispatch). */
  meteredWh: number;
  /** Per prosumer: deviation from its plan after its own battery's redispatch (Wh); sums to
   *  actualDeviationWh - the schedule offset. */
  prosumerDeviationWh: number[];
  /** Own remedies valued at their bid prices, exact milli base units (Wh × base units per kWh). */
  remedyValueMilli: bigint;
  /** Battery states after the interval. */
  state: VppState;
}

/**
 * Redispatch: cover `wh` (≥ 0) of the deviation with the remedies, in merit order (batteries first,
 * cheapest for a short VPP, most valuable for a long one). Returns the actions; what the remedies cannot
 * cover stays as deviation.
 */
export function redispatch(a: IntervalAssessment, wh: number): RedispatchAction[] {
  const actions: RedispatchAction[] = [];
  let left = Math.max(0, Math.min(wh, Math.abs(a.deviationWh)));
  for (const r of a.remedies) {
    if (left === 0) break;
    const use = Math.min(r.wh, left);
    actions.push({ prosumer: r.prosumer, kind: r.kind, wh: use, price: r.price });
    left -= use;
  }
  return actions;
}

/**
 * Delivery of an interval: the market took `cleared.marketWh` and the grid `cleared.gridWh` of the bid;
 * the VPP covers the rest of its deviation with the bid's own remedies (the blocks left unfilled are the
 * cheapest / most valuable ones: the market fills a buyer's highest and a seller's lowest prices first),
 * applies the battery flows and returns the actual deviation for metering. `cleared` null means there is
 * no clearing outcome for a bid (it never reached the chain, or the VPP was excluded at the gate): then
 * every remedy is used, since the alternative is the imbalance price.
 * `a` is the assessment the bid was built on; `actual` (default `a`) what really happened: the redispatch
 * follows the plan made at the gate, and any forecast error is left for metering to settle as imbalance.
 */
export function deliver(
  ctx: VppContext,
  state: VppState,
  a: IntervalAssessment,
  bid: PlannedBid | null,
  cleared: ClearedQuantities | null,
  actual: IntervalAssessment = a,
): Delivery {
  if (actual.slice.interval !== a.slice.interval) throw new Error('assessments of different intervals');
  if (actual.committedWh !== a.committedWh)
    throw new Error('assessments against different committed positions');
  const D = a.deviationWh;
  const needed = Math.max(0, Math.abs(D) - (cleared ? cleared.marketWh + cleared.gridWh : 0));
  // With a clearing outcome only the remedies the bid offered (those better than the grid) are used;
  // without one every remedy helps, since the alternative is the imbalance price.
  const offered = bid && cleared ? bid.blocks.filter((b) => b.remedy !== null) : null;
  let actions: RedispatchAction[];
  if (offered) {
    actions = [];
    let left = needed;
    for (const b of offered) {
      if (left === 0) break;
      const use = Math.min(b.qty, left);
      actions.push({ prosumer: b.remedy!.prosumer, kind: b.remedy!.kind, wh: use, price: b.price });
      left -= use;
    }
  } else {
    actions = redispatch(a, needed);
  }
  const sign = D < 0 ? 1 : -1; // a short VPP's remedies add surplus, a long VPP's absorb it
  const perProsumer = actual.prosumers.map((p) => p.deviationWh);
  const soc = [...state.socKwh];
  const charge = actual.prosumers.map((p) => p.chargeKwh);
  const discharge = actual.prosumers.map((p) => p.dischargeKwh);
  let redispatchWh = 0;
  let remedyValueMilli = 0n;
  for (const x of actions) {
    const kwh = x.wh / 1000;
    if (x.kind === 'reduce-charge') charge[x.prosumer] = Math.max(0, charge[x.prosumer]! - kwh);
    else if (x.kind === 'extra-discharge') discharge[x.prosumer]! += kwh;
    else if (x.kind === 'reduce-discharge') discharge[x.prosumer] = Math.max(0, discharge[x.prosumer]! - kwh);
    else charge[x.prosumer]! += kwh;
    perProsumer[x.prosumer]! += sign * x.wh;
    redispatchWh += sign * x.wh;
    remedyValueMilli += BigInt(x.wh) * BigInt(x.price);
  }
  ctx.scenario.prosumers.forEach((p, i) => {
    const b = p.battery;
    const s = soc[i];
    if (!b || s === undefined) return;
    const next = s + b.chargeEfficiency * charge[i]! - discharge[i]! / b.dischargeEfficiency;
    if (next < b.socMinKwh - 1e-6 || next > b.socMaxKwh + 1e-6)
      throw new Error(`battery of ${p.id} would leave its bounds: ${next} kWh`);
    soc[i] = Math.min(b.socMaxKwh, Math.max(b.socMinKwh, next));
  });
  return {
    interval: a.slice.interval,
    actions,
    redispatchWh,
    short: D < 0,
    declaredDeviationWh: D,
    deviationWh: actual.deviationWh,
    actualDeviationWh: actual.deviationWh + redispatchWh,
    committedWh: actual.committedWh,
    meteredWh: (actual.committedWh ?? 0) + actual.deviationWh + redispatchWh,
    prosumerDeviationWh: perProsumer,
    remedyValueMilli,
    state: { socKwh: soc, nextInterval: a.slice.interval + 1n },
  };
}

/** Battery flows (kWh) a delivery implies for prosumer i: for checking power limits. */
export function batteryFlows(
  a: IntervalAssessment,
  d: Delivery,
  i: number,
): { charge: number; discharge: number } {
  let charge = a.prosumers[i]!.chargeKwh;
  let discharge = a.prosumers[i]!.dischargeKwh;
  for (const x of d.actions) {
    if (x.prosumer !== i) continue;
    const kwh = x.wh / 1000;
    if (x.kind === 'reduce-charge') charge -= kwh;
    else if (x.kind === 'extra-discharge') discharge += kwh;
    else if (x.kind === 'reduce-discharge') discharge -= kwh;
    else charge += kwh;
  }
  return { charge, discharge };
}
