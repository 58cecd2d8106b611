// A VPP's real-time agent: holds one VPP's state across chain intervals and talks to the chain only through
// the ChainPort interface (implemented over the node's REST API elsewhere, in memory by agent/fake-chain.ts).
//
// Before the day: commitSchedule / commitScheduleFrom commit the day-ahead plan's net position per interval
// on chain, before each interval's bidding window opens (after that the chain refuses it).
// Loop, per interval k (in order):
//   1. planInterval(k)  before k's gate: read the position committed for k, assess actuals and the
//                       deviation from that position, build the step bid, submit it.
//   2. deliver(k)       once k has cleared (its bill is confirmed, or no bill exists): redispatch the
//                       batteries for what the market and grid did not take, update the states of charge,
//                       and return the actual deviation that the grid operator meters.
//   3. onBill(k, bill)  once the metered bill is confirmed: split it among the prosumers into the ledger.
// settle(k) does 3 by polling the port.

import type { BidStep, Bill, IntervalPrices, Side } from '../contracts-vm/abi/index.ts';
import type { Season } from '../market/clnr.ts';
import type { FrameworkResult } from '../market/result.ts';
import type { Scenario } from '../market/types.ts';
import type { Address } from '../protocol/keys.ts';
import { type ForecastErrorModel, loadMinuteData, type ProsumerSources } from './actuals.ts';
import { gridAloneMilli, type VppInterval, VppLedger } from './ledger.ts';
import {
  assessInterval,
  buildBid,
  type ClearedQuantities,
  type Delivery,
  deliver,
  type IntervalAssessment,
  initialState,
  type PlannedBid,
  type VppContext,
  type VppState,
} from './realtime.ts';
import { intervalsPerDay, plannedPositionWh, scheduleCommitments } from './schedule.ts';
import { checkMapping, DEFAULT_MAPPING, type IntervalMapping } from './timing.ts';

/** What a VPP agent needs from the chain. Every call is for this agent's own VPP account. */
export interface ChainPort {
  /** Prices in force for interval k (genesis `market` defaults unless the grid set them before the gate). */
  intervalPrices(interval: bigint): Promise<IntervalPrices>;
  /** Signs and submits auction.placeBid(interval, side, steps) (`placeBidCall`); resolves to the tx hash. */
  submitBid(interval: bigint, side: Side, steps: readonly BidStep[]): Promise<string>;
  /** The VPP's bill for interval k, once the block that last changed it is confirmed; undefined before or if none. */
  fetchBill(interval: bigint): Promise<Bill | undefined>;
  /** Signs and submits metering.commitSchedule(first, positions) (`commitScheduleCall`): net positions,
   *  + export / - import Wh, of intervals first, first + 1, …; resolves to the tx hash. */
  commitSchedule(firstInterval: bigint, positionsWh: readonly bigint[]): Promise<string>;
  /** The position committed on chain for interval k (Wh, + export / - import), or null when there is none. */
  committedPosition(interval: bigint): Promise<bigint | null>;
}

export interface VppAgentOptions {
  /** Account name, e.g. "vpp-1"; also keys the forecast-error draws. */
  name: string;
  address: Address;
  scenario: Scenario;
  /** Day-ahead result of the VPP's framework, and of the traditional market (the savings baseline). */
  dayAhead: FrameworkResult;
  traditional: FrameworkResult;
  port: ChainPort;
  mapping?: IntervalMapping;
  errors: ForecastErrorModel;
  sources?: ProsumerSources[];
  /** Season of the CLNR data behind the scenario: enables the 1-minute actuals. */
  season?: Season;
  /** What the agent knows at the gate (see VppContext.forecast); default 'perfect'. */
  forecast?: 'perfect' | 'persistence';
}

interface IntervalRecord {
  /** The position committed on chain for the interval when it was planned (null: none). */
  committedWh: number | null;
  /** What the bid was built on. */
  assessment: IntervalAssessment;
  /** What happened (the same object under a perfect forecast); set at delivery. */
  actual?: IntervalAssessment;
  prices: IntervalPrices;
  bid: PlannedBid | null;
  txHash?: string;
  delivery?: Delivery;
  settled?: VppInterval;
}

/** What the market and the grid took of the bid, from the bill written at clearing. */
export function clearedFromBill(bill: Bill | undefined): ClearedQuantities | null {
  if (!bill) return null;
  let marketWh = 0;
  let gridWh = 0;
  for (const l of bill.lines) {
    if (l.kind === 'auction-buy' || l.kind === 'auction-sell') marketWh += Number(l.wh);
    if (l.kind === 'grid-buy' || l.kind === 'grid-sell') gridWh += Number(l.wh);
  }
  return { marketWh, gridWh };
}

export class VppAgent {
  readonly name: string;
  readonly address: Address;
  readonly context: VppContext;
  readonly ledger: VppLedger;
  /** The traditional market's result for the same day (the savings baseline). */
  readonly traditional: FrameworkResult;
  private readonly port: ChainPort;
  private state: VppState;
  private readonly records = new Map<bigint, IntervalRecord>();
  private undelivered: bigint | null = null;
  /** The first interval after the schedule submitted so far (null before the first commitment). */
  private scheduleEnd: bigint | null = null;

  constructor(o: VppAgentOptions) {
    this.name = o.name;
    this.address = o.address;
    this.port = o.port;
    this.traditional = o.traditional;
    const mapping = o.mapping ?? DEFAULT_MAPPING;
    checkMapping(mapping, o.scenario.periodMinutes);
    this.context = {
      name: o.name,
      scenario: o.scenario,
      dayAhead: o.dayAhead,
      mapping,
      errors: o.errors,
      ...(o.sources ? { sources: o.sources } : {}),
      ...(o.season ? { minutes: loadMinuteData(o.season) } : {}),
      ...(o.forecast ? { forecast: o.forecast } : {}),
    };
    this.state = initialState(o.scenario);
    this.ledger = new VppLedger(o.name, o.scenario, o.dayAhead, o.traditional);
  }

  /** Battery states of charge now (kWh per prosumer, undefined without a battery). */
  get socKwh(): readonly (number | undefined)[] {
    return this.state.socKwh;
  }

  record(k: bigint): Readonly<IntervalRecord> | undefined {
    return this.records.get(k);
  }

  /** The day-ahead plan's net position of interval k as the agent commits it (+ export / - import, Wh). */
  plannedPositionWh(k: bigint): number {
    return plannedPositionWh(this.context, k);
  }

  /**
   * Commits the plan's net positions of intervals [first, first + count) on chain (calls of at most 1,000
   * intervals); resolves to the transaction hashes. Call it once the day-ahead market has cleared and
   * before the intervals' bidding windows open: the chain refuses a schedule after that. Committing an
   * interval again (a re-plan) revises it while it is still open.
   */
  async commitSchedule(first: bigint, count: number): Promise<string[]> {
    const hashes: string[] = [];
    for (const c of scheduleCommitments(this.context, first, count)) {
      hashes.push(await this.port.commitSchedule(c.firstInterval, c.positionsWh));
      const end = c.firstInterval + BigInt(c.positionsWh.length);
      if (this.scheduleEnd === null || end > this.scheduleEnd) this.scheduleEnd = end;
    }
    return hashes;
  }

  /**
   * Keeps the schedule committed ahead of real time, a day of chain intervals at a time. `firstOpen` is
   * an interval whose position the chain still takes (its bidding window has not opened): while the
   * schedule submitted so far covers it, nothing happens; once it does not (the submitted schedule ends
   * at or before it), the day from firstOpen is committed. Resolves to the hashes (none when nothing was due).
   */
  async commitScheduleFrom(firstOpen: bigint): Promise<string[]> {
    if (this.scheduleEnd !== null && this.scheduleEnd > firstOpen) return [];
    return this.commitSchedule(firstOpen, intervalsPerDay(this.context.mapping));
  }

  /**
   * Before k's gate: assesses the interval from the battery states left by k-1 and submits the bid.
   * Resolves to the bid, or null when the VPP has no deviation. Intervals must be planned in order, each
   * after the previous one was delivered (the states of charge depend on it).
   */
  async planInterval(k: bigint): Promise<PlannedBid | null> {
    const expected = this.state.nextInterval;
    if (expected !== null && k !== expected)
      throw new Error(`${this.name}: interval ${k} planned out of order (next is ${expected})`);
    const existing = this.records.get(k);
    if (existing) {
      // Idempotent: already planned; a submission that failed before is retried.
      if (existing.bid && existing.txHash === undefined)
        existing.txHash = await this.port.submitBid(k, existing.bid.side, existing.bid.steps);
      return existing.bid;
    }
    if (this.undelivered !== null)
      throw new Error(`${this.name}: interval ${this.undelivered} must be delivered before ${k} is planned`);
    const prices = await this.port.intervalPrices(k);
    // Metering measures against what the chain holds, not what the agent meant to commit.
    const onChain = await this.port.committedPosition(k);
    const committedWh = onChain === null ? null : Number(onChain);
    const assessment = assessInterval(this.context, this.state, k, prices, 'declared', committedWh);
    const bid = buildBid(assessment);
    const rec: IntervalRecord = { committedWh, assessment, bid, prices };
    this.records.set(k, rec);
    this.undelivered = k;
    if (bid) rec.txHash = await this.port.submitBid(k, bid.side, bid.steps);
    return bid;
  }

  /**
   * After k cleared (call it once the block that cleared k is confirmed): redispatches for what the market
   * and grid did not take, read from the bill written at clearing, and returns the delivery, whose
   * meteredWh (net position) the grid meters. A bid without a bill (dropped, or the VPP was excluded) is treated
   * as nothing taken: every battery remedy is used and the rest is settled at the imbalance prices.
   */
  async deliver(k: bigint): Promise<Delivery> {
    const rec = this.records.get(k);
    if (!rec) throw new Error(`${this.name}: interval ${k} was not planned`);
    if (rec.delivery) return rec.delivery;
    const bill = rec.bid ? await this.port.fetchBill(k) : undefined;
    const actual =
      this.context.forecast === 'persistence'
        ? assessInterval(this.context, this.state, k, rec.prices, 'actual', rec.committedWh)
        : rec.assessment;
    const d = deliver(this.context, this.state, rec.assessment, rec.bid, clearedFromBill(bill), actual);
    rec.actual = actual;
    rec.delivery = d;
    this.state = d.state;
    this.undelivered = null;
    return d;
  }

  /** The final (metered) bill of k: split among the prosumers into the ledger. Returns undefined if the
   *  bill is not final yet (not metered); recording twice is an error. */
  onBill(k: bigint, bill: Bill | undefined): VppInterval | undefined {
    const rec = this.records.get(k);
    if (!rec?.delivery) throw new Error(`${this.name}: interval ${k} was not delivered`);
    if (rec.settled) return rec.settled;
    if (bill && bill.meteredWh === null) return undefined;
    const grid = rec.bid ? gridAloneMilli(rec.bid.blocks, rec.bid.side) : 0n;
    rec.settled = this.ledger.record(rec.actual ?? rec.assessment, rec.delivery, bill, grid);
    return rec.settled;
  }

  /** Fetches k's bill and records it if it is final; resolves to whether k is settled. */
  async settle(k: bigint): Promise<boolean> {
    const bill = await this.port.fetchBill(k);
    if (!bill || bill.meteredWh === null) return false;
    return this.onBill(k, bill) !== undefined;
  }
}
