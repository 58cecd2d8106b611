// Result shapes shared by all frameworks, and the accounting that makes a distributed iterate an
// honest, feasible outcome: whatever P2P imbalance is left when a method stops is settled by the VPP
// with the grid at the grid tariffs, so a reported total cost is never below what the schedules cost.
import type { AgentReport } from './agent.ts';
import type { Schedule } from './model.ts';
import type { Tariffs } from './types.ts';

export const FRAMEWORKS = ['traditional', 'central', 'weak', 'decentralized'] as const;
export type FrameworkName = (typeof FRAMEWORKS)[number];

export interface HistoryEntry {
  iteration: number;
  /** Σ_t |P2P sales - purchases| (pool) or Σ over pairs and periods |s_ij + s_ji| (bilateral), kWh. */
  imbalance: number;
  relativeImbalance: number;
  /** Total cost of this iterate after settling its imbalance with the grid. */
  cost: number;
  /** (cost - central optimum) / |central optimum|, when the optimum is known (research: --reference). */
  gap: number | null;
  rho: number;
  /** Where the method computed its certificate: (cost - dual bound) / max(|dual bound|, 1). */
  certifiedGap?: number;
  /** The Lagrangian dual bound at this iteration's prices: no optimum can be below it. */
  dualBound?: number;
}

export interface ProsumerOutcome {
  id: string;
  /** What the prosumer pays in total: own cost plus P2P payments plus its imbalance charge (bills.ts). */
  cost: number;
  /** Grid, generator and degradation cost. */
  ownCost: number;
  /** Paid to peers or the pool on its contracts (negative = received). */
  p2pPayment: number;
  /** Its share of the VPP's settlement of the left-over mismatch with the grid (bills.ts). */
  imbalanceCharge?: number;
  schedule: Schedule;
}

/** Bilateral trades of one pair, per period: positive = `from` sells to `to`. */
export interface PairTrade {
  from: string;
  to: string;
  energyKwh: number[];
  price: number[];
}

export interface FrameworkResult {
  framework: FrameworkName;
  /** Method detail, e.g. "exchange ADMM, adaptive rho" or "HiGHS dual simplex". */
  method: string;
  totalCost: number;
  gap: number | null;
  imbalance: number;
  relativeImbalance: number;
  tradedVolumeKwh: number;
  iterations: number;
  converged: boolean;
  seconds: number;
  messages: number;
  bytes: number;
  /** Internal price per period (pool price; for bilateral trading the volume-weighted mean). */
  prices: number[];
  prosumers: ProsumerOutcome[];
  /** Settlement of the left-over imbalance with the grid (included in totalCost). */
  settlementCost: number;
  /** The VPP's net grid position per period, kWh (+ import, - export): the real-time baseline. */
  netPositionKwh: number[];
  history: HistoryEntry[];
  pairTrades?: PairTrade[];
  /**
   * The prosumers' bills in integers (bills.ts): P2P payments sum to exactly zero, imbalance charges to
   * exactly the grid settlement. Present where the VPP has every prosumer's outcome (not a weak market
   * that disclosed aggregates only).
   */
  bills?: Bills;
  /** Why a method stopped, or what was not available (e.g. a time-limited HiGHS solve). */
  note?: string;
  /**
   * The method's own certificate (weak market): (totalCost - dualBound) / max(|dualBound|, 1), where the
   * dual bound is the securely summed Lagrangian bound of every prosumer, so the optimum lies in
   * [dualBound, totalCost]. Needs no central solve. Null where the method gives none.
   */
  certifiedGap?: number | null;
  dualBound?: number | null;
  /**
   * What the VPP learnt: 'aggregates' (sums only; `prosumers` is empty) or 'schedules' (every
   * prosumer's schedule and bill: simulation and research mode, labelled as such).
   */
  disclosure?: 'aggregates' | 'schedules';
  /** The VPP's schedule: each field summed over its members (what the coordinator learns at the end). */
  aggregateSchedule?: Schedule;
  /** Prosumers that cleared in the market (the others trade with the grid). */
  participants?: number;
  /** Prosumers out of the market and why (drop-out, refusal, malformed or hostile messages). */
  excluded?: { id: string; round: number; reason: string }[];
  /** Seconds of the session's set-up (hello, key agreement) before the first round. */
  setupSeconds?: number;
}

/** A prosumer's bill in integers of Bills.unit (market/bills.ts). */
export interface BillLines {
  id: string;
  /** Integers of MONEY_UNIT. */
  ownCost: number;
  p2p: number;
  imbalance: number;
  total: number;
}

export interface Bills {
  /** Currency per unit of every figure below (1e-9). */
  unit: number;
  rule: string;
  prosumers: BillLines[];
  /** Σ P2P payments: exactly 0 for bilateral contracts; a pool's differs by its members' rounding. */
  p2pSum: number;
  /** The VPP's settlement of the left-over mismatch with the grid, and Σ imbalance charges. */
  settlement: number;
  imbalanceSum: number;
  /**
   * What the VPP's own account takes: Σ own costs + settlement − Σ bills = −p2pSum + settlement −
   * imbalanceSum. 0 but for a pool, whose members each round their own lines (bills.ts poolLines).
   */
  residual: number;
  /** Σ bills = Σ own costs + settlement − residual. */
  total: number;
}

export interface DayAheadResult {
  scenario: {
    name: string;
    currency: string;
    periods: number;
    periodMinutes: number;
    prosumers: number;
    tariffSource: string;
  };
  frameworks: Partial<Record<FrameworkName, FrameworkResult>>;
  /** Optimum used for the gaps (the central LP), if it was solved. */
  optimum: number | null;
  /** Total cost of the traditional market, the baseline for savings (always computed). */
  baseline: number | null;
}

/** Cost of settling a pool mismatch e_t (kWh sold minus bought) with the grid: exports at feed-in, imports at retail. */
export function settlementCost(mismatch: ArrayLike<number>, tariffs: Tariffs): number {
  let c = 0;
  for (let t = 0; t < mismatch.length; t++) {
    const e = mismatch[t]!;
    c += e > 0 ? -tariffs.feedIn[t]! * e : -tariffs.retail[t]! * e;
  }
  return c;
}

/**
 * The VPP's net position with the grid per period (kWh, + import): its members' own grid exchanges plus
 * the settled P2P mismatch. The real-time stage measures deviations against this baseline.
 */
export function vppNetPosition(result: Pick<FrameworkResult, 'netPositionKwh'>): number[] {
  return result.netPositionKwh;
}

export function netPositionOf(schedules: Schedule[], mismatch: ArrayLike<number>): number[] {
  const T = mismatch.length;
  return Array.from(
    { length: T },
    (_, t) => schedules.reduce((s, x) => s + x.gridBuy[t]! - x.gridSell[t]!, 0) - mismatch[t]!,
  );
}

/** The VPP's schedule: every field summed over the prosumers (or the method's own aggregate). */
export function aggregateScheduleOf(
  r: Pick<FrameworkResult, 'prosumers' | 'aggregateSchedule' | 'netPositionKwh'>,
): Schedule {
  if (r.aggregateSchedule) return r.aggregateSchedule;
  const T = r.netPositionKwh.length;
  const sum = (f: keyof Schedule) =>
    Array.from({ length: T }, (_, t) => r.prosumers.reduce((s, p) => s + p.schedule[f][t]!, 0));
  return {
    pvUsed: sum('pvUsed'),
    pvCurtailed: sum('pvCurtailed'),
    generator: sum('generator'),
    charge: sum('charge'),
    discharge: sum('discharge'),
    soc: sum('soc'),
    flexible: sum('flexible'),
    gridBuy: sum('gridBuy'),
    gridSell: sum('gridSell'),
    p2pNet: sum('p2pNet'),
    load: sum('load'),
  };
}

export function outcomes(reports: AgentReport[]): ProsumerOutcome[] {
  return reports.map((r) => ({
    id: r.id,
    cost: r.ownCost + r.p2pPayment,
    ownCost: r.ownCost,
    p2pPayment: r.p2pPayment,
    schedule: r.schedule,
  }));
}

/** Where an iterative (distributed) method stopped: the last iterate's figures. */
export interface LastIterate {
  cost: number;
  imbalance: number;
  relative: number;
  volume: number;
  mismatch: ArrayLike<number>;
}

/** The result of an iterative framework from its last iterate; the left-over mismatch is settled with the grid. */
export function iterativeResult(r: {
  framework: 'weak' | 'decentralized';
  method: string;
  last: LastIterate;
  referenceCost: number | null | undefined;
  iterations: number;
  converged: boolean;
  maxIterations: number;
  startedMs: number;
  traffic: Traffic;
  prices: number[];
  prosumers: ProsumerOutcome[];
  tariffs: Tariffs;
  history: HistoryEntry[];
}): FrameworkResult {
  return {
    framework: r.framework,
    method: r.method,
    totalCost: r.last.cost,
    gap: relativeGap(r.last.cost, r.referenceCost),
    imbalance: r.last.imbalance,
    relativeImbalance: r.last.relative,
    tradedVolumeKwh: r.last.volume,
    iterations: r.iterations,
    converged: r.converged,
    seconds: (performance.now() - r.startedMs) / 1000,
    messages: r.traffic.messages,
    bytes: r.traffic.bytes,
    prices: r.prices,
    prosumers: r.prosumers,
    settlementCost: settlementCost(r.last.mismatch, r.tariffs),
    netPositionKwh: netPositionOf(
      r.prosumers.map((p) => p.schedule),
      r.last.mismatch,
    ),
    history: r.history,
    ...(r.converged ? {} : { note: `not converged within ${r.maxIterations} iterations` }),
  };
}

export function relativeGap(cost: number, optimum: number | null | undefined): number | null {
  if (optimum === null || optimum === undefined) return null;
  // Relative to the optimum; an optimum under one currency unit (toy cases) is measured absolutely.
  return (cost - optimum) / Math.max(Math.abs(optimum), 1);
}

/** Message and byte counter for the market's traffic (8 bytes per number, 16 per message header). */
export class Traffic {
  messages = 0;
  bytes = 0;
  count(messages: number, numbersEach: number): void {
    this.messages += messages;
    this.bytes += messages * (16 + 8 * numbersEach);
  }
  /** Messages of different lengths: `numbers` in all. */
  countTotal(messages: number, numbers: number): void {
    this.messages += messages;
    this.bytes += 16 * messages + 8 * numbers;
  }
}
