// What the demo prints, for a person following it: progress while the day-ahead markets solve, each
// interval numbered from the run's start with the time of day it stands for, money in GBP (base units only
// with --raw; the rate is said once), every term explained the first time it appears, and savings and
// costs signed and labelled.
import type { VppAgent } from '../../agent/agent.ts';
import type { HistoryEntry } from '../../market/result.ts';
import { clock, type DemoSummary, type IntervalReport, type RunInfo } from './types.ts';

const UNITS_PER_GBP = 1_000_000;

/** Terms, explained once each, the first time a line uses them. */
const TERMS = {
  'day-ahead':
    'day-ahead market: before the day, each VPP clears a P2P market among its own prosumers and plans every battery, EV and heat pump; the plan is the baseline for real time',
  imbalance:
    'imbalance (day-ahead): sales minus purchases the market has not matched yet, relative to the traded volume; the market stops below 1e-4',
  'certified gap':
    'certified gap: how much above the cheapest possible plan the cost can be at most, proven from bounds the prosumers compute themselves',
  traditional: 'traditional: every prosumer alone against the grid tariffs, day-ahead and in real time',
  P2P: 'P2P: the VPP’s day-ahead P2P market plus real-time trading between VPPs',
  deviation:
    'deviation: how far a VPP’s prosumers are from their day-ahead plan in the interval; + surplus (more energy than planned), − shortfall',
  bid: 'bid: a VPP offers its deviation in steps: what its own batteries can do, at their true cost, first; the rest at the grid’s price',
  'own batteries':
    'covered by own batteries: part of a bid the VPP’s batteries resolved more cheaply than the grid; nothing is traded or billed for it',
  'VCG payment':
    'VCG payment: the auction’s price for a VPP’s trade (Vickrey–Clarke–Groves): what its trade is worth to the other VPPs, so bidding true costs pays best',
  deficit: 'VCG deficit: how much more the sellers receive than the buyers pay; the grid operator covers it',
  grid: 'left to the grid: what the auction did not trade; a shortfall is bought at the grid’s sell price, a surplus sold at its buy price',
  bill: 'bill: what a VPP pays or receives for the interval, settled in tokens on chain after the grid has metered it; read once it is confirmed',
  'imbalance charge':
    'imbalance charge: metered energy that was not traded, settled at the grid’s imbalance prices',
  reorg:
    'reorg: the chain switched to a heavier branch; bills are read only once confirmed, so a short reorg changes none',
  saving:
    'saving = traditional cost − P2P cost: how much less the prosumers pay with P2P trading; a negative saving is an extra cost',
} as const;
type Term = keyof typeof TERMS;

export interface ConsoleOptions {
  log: (line: string) => void;
  /** Base units instead of pounds. */
  raw?: boolean;
  /** Progress lines redrawn in place (a terminal) rather than printed every few seconds. */
  status?: (line: string | null) => void;
}

export class DemoConsole {
  private readonly log: (line: string) => void;
  private readonly raw: boolean;
  private readonly status?: (line: string | null) => void;
  private readonly explained = new Set<Term>();
  private readonly lastProgress = new Map<string, number>();

  constructor(o: ConsoleOptions) {
    this.log = o.log;
    this.raw = o.raw ?? false;
    if (o.status) this.status = o.status;
  }

  line(s: string): void {
    this.status?.(null);
    this.log(s);
  }

  /** Ends a progress line being redrawn in place, before something else writes to the terminal. */
  clearStatus(): void {
    this.status?.(null);
  }

  /** Explains the terms not explained yet, under the line that used them. */
  explain(...terms: Term[]): void {
    for (const t of terms) {
      if (this.explained.has(t)) continue;
      this.explained.add(t);
      this.log(`      · ${TERMS[t]}`);
    }
  }

  /** An amount of money, base units in; '£0.0147' (or '14,662 base units' with --raw). */
  money(units: bigint | string | number): string {
    const u = BigInt(units);
    const abs = u < 0n ? -u : u;
    if (this.raw) return `${abs.toLocaleString('en-GB')} base units`;
    return `£${(Number(abs) / UNITS_PER_GBP).toFixed(4)}`;
  }

  /** GBP (floats of the day-ahead market) the same way, signed: a negative cost was earned. */
  gbp(x: number): string {
    const units = Math.round(x * UNITS_PER_GBP);
    return `${units < 0 ? '−' : ''}${this.money(units)}`;
  }

  /** A GBP amount whose sign the words say ('saved', 'extra cost'). */
  gbpAbs(x: number): string {
    return this.money(Math.round(Math.abs(x) * UNITS_PER_GBP));
  }

  /** A saving in words: 'saved £x', 'extra cost £x', or 'even'. */
  saving(x: number): string {
    if (Math.abs(x) < 0.00005 && !this.raw) return 'even';
    return x >= 0 ? `saved ${this.gbpAbs(x)}` : `extra cost ${this.gbpAbs(x)}`;
  }

  rate(): void {
    this.line(
      this.raw
        ? 'Money is shown in token base units: 1,000,000 base units = 1 token = £1.'
        : 'Money is shown in GBP (£): on the chain 1 token = £1 = 1,000,000 base units (--raw shows base units).',
    );
  }

  /** One iteration of a VPP's day-ahead market: redrawn on a terminal, else a line every few seconds. */
  progress(vpp: string, h: HistoryEntry, max: number): void {
    const gap =
      h.certifiedGap === undefined ? '' : `, certified gap ${(100 * Math.abs(h.certifiedGap)).toFixed(3)}%`;
    const text = `  ${vpp}: iteration ${h.iteration} of at most ${max}, imbalance ${h.relativeImbalance.toExponential(1)}${gap}`;
    if (this.status) {
      this.status(text);
      return;
    }
    const now = Date.now();
    const last = this.lastProgress.get(vpp);
    if (last !== undefined && now - last < 3000) return;
    this.lastProgress.set(vpp, now);
    this.log(text);
    if (h.certifiedGap !== undefined) this.explain('imbalance', 'certified gap');
    else this.explain('imbalance');
  }

  dayAheadDone(
    vpp: { name: string; label: string; prosumers: number },
    r: {
      traditional: number;
      p2p: number;
      iterations: number;
      converged: boolean;
      certifiedGap?: number | null;
      seconds: number;
    },
  ): void {
    const saving = r.traditional - r.p2p;
    const gap =
      r.certifiedGap === null || r.certifiedGap === undefined
        ? ''
        : `, certified gap ${(100 * Math.abs(r.certifiedGap)).toFixed(3)}%`;
    this.line(
      `  ${vpp.name} (${vpp.label}, ${vpp.prosumers} prosumers): ${r.converged ? 'converged' : 'NOT converged'} after ${r.iterations} iterations in ${r.seconds.toFixed(1)} s${gap}; the day costs ${this.gbp(r.p2p)} with P2P trading vs ${this.gbp(r.traditional)} traditionally (${saving >= 0 ? `saving ${this.gbpAbs(saving)}` : `extra cost ${this.gbpAbs(saving)}`})`,
    );
    this.explain('traditional', 'P2P');
  }

  /** One completed interval. */
  interval(r: IntervalReport, of: number, minConfirmations: number): void {
    const end = r.minute + r.minutes;
    const delivery = new Date(r.deliveryStart).toISOString().slice(11, 19);
    this.line(
      `\ninterval ${r.n}${of ? ` of ${of}` : ''} · ${clock(r.minute)}–${clock(end)} of the simulated day · chain interval ${r.interval} (delivered from ${delivery} UTC)`,
    );
    const c = r.auction?.clearing;
    const width = Math.max(...r.vpps.map((v) => v.name.length));
    const used: Term[] = ['deviation'];
    for (const v of r.vpps) {
      const dev = `${v.deviationWh > 0 ? '+' : v.deviationWh < 0 ? '−' : ''}${Math.abs(v.deviationWh).toLocaleString('en-GB')} Wh ${v.deviationWh > 0 ? 'surplus' : v.deviationWh < 0 ? 'shortfall' : ''}`;
      const parts: string[] = [];
      if (!v.bid) parts.push('no bid');
      else {
        used.push('bid');
        parts.push(
          `${v.bid.side === 'buy' ? 'bids to buy' : 'offers to sell'} ${v.bid.wh.toLocaleString('en-GB')} Wh in ${v.bid.steps} step${v.bid.steps === 1 ? '' : 's'}`,
        );
        const p = c?.participants.find((x) => x.vpp === v.address);
        if (p && p.qtyWh !== '0') {
          used.push('VCG payment');
          parts.push(
            `${p.side === 'buy' ? 'bought' : 'sold'} ${Number(p.qtyWh).toLocaleString('en-GB')} Wh ${p.side === 'buy' ? 'from' : 'to'} other VPPs, ${p.side === 'buy' ? 'paid' : 'received'} ${this.money(p.payment)} (VCG payment)`,
          );
        }
        if (p && p.gridWh !== '0') {
          used.push('grid');
          parts.push(
            `${Number(p.gridWh).toLocaleString('en-GB')} Wh left to the grid, ${p.side === 'buy' ? 'paid' : 'received'} ${this.money(p.gridPayment)}`,
          );
        }
        if (v.ownWh !== 0) {
          used.push('own batteries');
          parts.push(`${Math.abs(v.ownWh).toLocaleString('en-GB')} Wh covered by own batteries`);
        }
      }
      this.line(`  ${v.name.padEnd(width)}  ${dev.padEnd(20)} ${parts.join('; ')}`);
    }
    this.explain(...used);
    if (c) {
      this.line(
        `  auction: ${Number(c.tradedWh).toLocaleString('en-GB')} Wh traded between VPPs, VCG deficit ${this.money(c.deficit)} (cleared in block ${c.height})`,
      );
      this.explain('deficit');
    } else this.line('  auction: no bids, nothing to clear');
    const bills = r.bills.map((b) => {
      const total = BigInt(b.total);
      const own = r.vpps.find((v) => v.name === b.name)?.ownWh ?? 0;
      const what =
        total < 0n
          ? `pays ${this.money(-total)}`
          : total > 0n
            ? `receives ${this.money(total)}`
            : own !== 0
              ? 'nothing to pay (its own batteries covered it)'
              : 'nothing to pay';
      const kinds = new Map<string, bigint>();
      for (const l of b.lines) {
        const k = l.kind.startsWith('auction')
          ? 'auction'
          : l.kind.startsWith('grid')
            ? 'grid'
            : l.kind.startsWith('imbalance')
              ? 'imbalance'
              : 'unpaid';
        kinds.set(k, (kinds.get(k) ?? 0n) + BigInt(l.amount));
      }
      const detail = [...kinds].map(([k, a]) => `${k} ${a < 0n ? '−' : '+'}${this.money(a)}`).join(', ');
      return `${b.name} ${what}${kinds.size > 1 || kinds.has('imbalance') ? ` (${detail})` : ''}`;
    });
    this.line(
      `  bills (metered, ${minConfirmations} confirmation${minConfirmations === 1 ? '' : 's'}): ${bills.join(' · ')}`,
    );
    const used2: Term[] = ['bill'];
    if (r.bills.some((b) => b.lines.some((l) => l.kind.startsWith('imbalance'))))
      used2.push('imbalance charge');
    this.explain(...used2);
  }

  summary(s: DemoSummary, agents: VppAgent[], run: RunInfo): void {
    const minutes = s.intervals * run.minutesPerInterval;
    this.line(
      `\nsummary after ${s.intervals} interval${s.intervals === 1 ? '' : 's'} (${minutes} minutes of the simulated day, from ${clock(run.startMinute)}): ${s.blocks} blocks mined, ${s.reorgs} reorg${s.reorgs === 1 ? '' : 's'} seen`,
    );
    this.explain('reorg');
    this.line(`  cost of those ${minutes} minutes: the day-ahead plan's share plus real time (− = earned)`);
    const width = Math.max(5, ...s.vpps.map((v) => v.name.length));
    this.line(
      `  ${'VPP'.padEnd(width)}  prosumers  ${'traditional'.padStart(14)}  ${'P2P'.padStart(14)}  saving`,
    );
    for (const v of s.vpps) {
      this.line(
        `  ${v.name.padEnd(width)}  ${String(v.prosumers).padStart(9)}  ${this.gbp(v.traditionalGbp).padStart(14)}  ${this.gbp(v.p2pGbp).padStart(14)}  ${this.saving(v.savingGbp)}`,
      );
    }
    this.explain('saving');
    this.line('  per prosumer (saved: cheaper with P2P trading; extra cost: dearer than trading alone):');
    for (const a of agents) {
      const ps = a.ledger.summary().prosumers;
      this.line(`  ${a.name}: ${ps.map((p) => `${p.id} ${this.saving(p.savingGbp)}`).join(', ')}`);
    }
    const bills = s.vpps
      .filter((v) => v.billTotalUnits !== null)
      .map((v) => {
        const t = BigInt(v.billTotalUnits!);
        return `${v.name} ${t < 0n ? 'paid' : 'received'} ${this.money(t)}`;
      });
    if (bills.length) this.line(`  real-time bills on chain over the run: ${bills.join(', ')}`);
  }
}
