// The run as the agents publish it for the dashboard: devnet/vpps.json, served by every node at GET /v1/vpps
// (api/vpps.ts has its schema). Written whole and renamed, so a node never serves half a file; from the
// first moment (phase 'starting') through the day-ahead markets' progress to every completed interval.
import { renameSync, writeFileSync } from 'node:fs';
import type { VppAgent } from '../../agent/agent.ts';
import type { PublishedInterval, PublishedRun, PublishedVpp, RunPhase } from '../../api/vpps.ts';
import type { IntervalPrices } from '../../contracts-vm/abi/index.ts';
import type { FrameworkResult, HistoryEntry } from '../../market/result.ts';
import type { IntervalReport, RunInfo } from './types.ts';

/** At most this many intervals are published (the CSV exports have them all). */
const MAX_PUBLISHED = 1000;
const round = (x: number, d: number) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

/** A completed interval as the dashboard reads it. */
export function publishedInterval(r: IntervalReport, prices: IntervalPrices): PublishedInterval {
  const c = r.auction?.clearing ?? null;
  return {
    n: r.n,
    interval: r.interval,
    minute: r.minute,
    tradedWh: c?.tradedWh ?? '0',
    deficitUnits: c?.deficit ?? '0',
    gridSoldWh: c?.grid.soldWh ?? '0',
    gridBoughtWh: c?.grid.boughtWh ?? '0',
    gridSellPrice: prices.gridSellPrice,
    gridBuyPrice: prices.gridBuyPrice,
    clearingHeight: c?.height ?? null,
    vpps: r.vpps.map((v, i) => {
      const p = c?.participants.find((x) => x.vpp === v.address);
      const sign = p?.side === 'sell' ? -1n : 1n; // + paid, - received
      return {
        name: v.name,
        deviationWh: v.deviationWh,
        side: (v.bid?.side as 'buy' | 'sell' | undefined) ?? null,
        bidWh: v.bid?.wh ?? 0,
        tradedWh: p?.qtyWh ?? '0',
        paymentUnits: p ? (sign * BigInt(p.payment)).toString() : '0',
        gridWh: p?.gridWh ?? '0',
        gridPaymentUnits: p ? (sign * BigInt(p.gridPayment)).toString() : '0',
        ownWh: Math.abs(v.ownWh),
        billUnits: r.bills[i]?.total ?? null,
      };
    }),
  };
}

export class RunPublisher {
  private readonly file: string;
  private readonly doc: PublishedRun & {
    run: NonNullable<PublishedRun['run']>;
    intervals: PublishedInterval[];
  };
  private lastWrite = 0;

  constructor(
    file: string,
    run: RunInfo,
    vpps: { name: string; label: string; address: string; prosumers: number }[],
  ) {
    this.file = file;
    this.doc = {
      run: {
        name: run.name,
        phase: 'starting',
        framework: run.framework,
        startMinute: run.startMinute,
        minutesPerInterval: run.minutesPerInterval,
        intervalMs: run.intervalMs,
        intervals: run.intervals,
        completed: 0,
      },
      intervals: [],
      vpps: vpps.map((v) => ({
        name: v.name,
        address: v.address,
        label: v.label,
        mix: v.label,
        prosumers: v.prosumers,
        framework: run.framework,
        intervals: 0,
        dayAhead: {
          status: 'waiting',
          iteration: 0,
          maxIterations: 0,
          relativeImbalance: null,
          certifiedGap: null,
          converged: null,
          seconds: null,
        },
      })),
    };
    this.write();
  }

  phase(phase: RunPhase, message?: string): void {
    this.doc.run.phase = phase;
    if (message === undefined) delete this.doc.run.message;
    else this.doc.run.message = message;
    this.write();
  }

  /** A day-ahead iteration of VPP i: written at most once a second. */
  progress(i: number, h: HistoryEntry, max: number): void {
    const d = this.doc.vpps[i]!.dayAhead!;
    d.status = 'solving';
    d.iteration = h.iteration;
    d.maxIterations = max;
    d.relativeImbalance = round(h.relativeImbalance, 8);
    d.certifiedGap = h.certifiedGap === undefined ? null : round(Math.abs(h.certifiedGap), 8);
    if (Date.now() - this.lastWrite >= 1000) this.write();
  }

  solving(i: number): void {
    this.doc.vpps[i]!.dayAhead!.status = 'solving';
    this.write();
  }

  /** VPP i's day-ahead market is done: its outcome and its plan. */
  dayAheadDone(i: number, da: FrameworkResult, periodMinutes: number, seconds: number): void {
    const v = this.doc.vpps[i]!;
    v.dayAhead = {
      status: 'done',
      iteration: da.iterations,
      maxIterations: Math.max(da.iterations, v.dayAhead?.maxIterations ?? 0),
      relativeImbalance: round(da.relativeImbalance, 8),
      certifiedGap:
        da.certifiedGap === undefined || da.certifiedGap === null
          ? null
          : round(Math.abs(da.certifiedGap), 8),
      converged: da.converged,
      seconds: round(seconds, 2),
    };
    const soc = da.prosumers.reduce<number[]>(
      (acc, p) => p.schedule.soc.map((x, t) => (acc[t] ?? 0) + x),
      [],
    );
    v.periodMinutes = periodMinutes;
    v.prices = da.prices.map((p) => round(p, 5));
    v.soc = soc.map((x) => round(x, 3));
    v.net = da.netPositionKwh.map((x) => round(x, 3));
    this.write();
  }

  /** After each interval: the interval and every VPP's costs so far. */
  interval(r: IntervalReport, prices: IntervalPrices, agents: VppAgent[]): void {
    this.doc.intervals.push(publishedInterval(r, prices));
    if (this.doc.intervals.length > MAX_PUBLISHED) this.doc.intervals.shift();
    this.doc.run.completed = r.n;
    this.costs(agents, r.n);
    this.write();
  }

  private costs(agents: VppAgent[], completed: number): void {
    agents.forEach((a, i) => {
      const s = a.ledger.summary();
      const v: PublishedVpp = this.doc.vpps[i]!;
      v.intervals = completed;
      v.traditionalCost = round(s.total.traditional.totalGbp, 6);
      v.p2pCost = round(s.total.p2p.totalGbp, 6);
      v.savings = round(s.total.savingGbp, 6);
      v.prosumerCosts = s.prosumers.map((p) => ({
        id: p.id,
        traditional: round(p.traditional.totalGbp, 6) ?? 0,
        p2p: round(p.p2p.totalGbp, 6) ?? 0,
        saving: round(p.savingGbp, 6) ?? 0,
      }));
    });
  }

  /** The document as written last (the run's report is drawn from it too). */
  get current(): PublishedRun {
    return this.doc;
  }

  write(): void {
    this.doc.updated = Date.now();
    this.lastWrite = this.doc.updated;
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.doc));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
