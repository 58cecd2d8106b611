// The real-time market in Prometheus: per VPP and per interval what the chain settled — traded Wh, VCG
// payments, the grid residual, the VCG deficit, metered deviations from the committed schedules, confirmed
// bills — and how long a bill takes from its interval's gate to confirmation. Metrics served by
// GET /metrics (node/metrics.ts registers this); their names and meaning are in docs/api.md.
//
// Design: everything here follows the main chain `minConfirmations` blocks behind the head (the depth at
// which the API calls a bill confirmed), reading each block's receipts once it is that deep. So each
// clearing and each bill is counted once, figures do not flip back and forth with shallow reorgs, and the
// gate → confirmed latency is measured in chain time (the timestamp of the block that made the bill
// confirmed minus the gate), which a node syncing the same chain later reproduces exactly. A reorg deeper
// than that rewinds to the fork: the new branch's blocks are read again, and what was already counted for
// an interval (or a VPP's bill of it) is not counted twice.
// Labels are bounded: `vpp` is the address of a VPP the grid registered (only registered VPPs clear and
// are metered), never an interval number; the latest interval is a gauge's value, not a label.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Chain, HeadChange } from '../consensus/chain.ts';
import { billTotal } from '../contracts-vm/abi/bills.ts';
import { getBill } from '../contracts-vm/bills.ts';
import { getClearing } from '../contracts-vm/contracts/auction.ts';
import { gateOf } from '../contracts-vm/contracts/intervals.ts';
import { getRegistration } from '../contracts-vm/contracts/registry.ts';
import type { ContractEvent } from '../contracts-vm/runtime.ts';
import type { BlockReceipts } from '../contracts-vm/transition.ts';

/** Intervals whose counted clearings and bills are remembered (a reorg deeper than this is not deduplicated). */
const REMEMBERED_INTERVALS = 1000n;

/** Gate → bill confirmed buckets, in multiples of the interval length (a bill follows delivery). */
const LATENCY_BUCKETS_IN_INTERVALS = [0.5, 1, 1.25, 1.5, 2, 2.5, 3, 4, 6, 8, 12, 24];

/** What was counted per interval (a clearing: '', a VPP's bill: its address), pruned to recent intervals. */
class CountedOnce {
  private readonly byInterval = new Map<bigint, Set<string>>();
  private newest = -1n;

  /** True the first time (k, key) is seen. */
  first(k: bigint, key: string): boolean {
    let keys = this.byInterval.get(k);
    if (!keys) {
      if (k < this.newest - REMEMBERED_INTERVALS) return true;
      keys = new Set();
      this.byInterval.set(k, keys);
      if (k > this.newest) {
        this.newest = k;
        for (const old of [...this.byInterval.keys()])
          if (old < k - REMEMBERED_INTERVALS) this.byInterval.delete(old);
      }
    }
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  }
}

const num = (v: bigint): number => Number(v);

export class MarketMetrics {
  private readonly chain: Chain;
  private readonly depth: number;
  /** Highest height whose block has been read at confirmation depth. */
  private confirmedThrough: number;
  /** Set by a reorg below confirmedThrough: read again from the block after this height. */
  private rewindTo?: number;
  private work: Promise<void> = Promise.resolve();
  private readonly counted = new CountedOnce();
  private latestCleared = -1n;
  private readonly latestMetered = new Map<string, bigint>();
  /** VPPs seen in a clearing: their latest-interval gauges read 0 when they did not trade in it. */
  private readonly knownVpps = new Set<string>();

  private readonly g: Record<
    | 'clearedInterval'
    | 'intervalBids'
    | 'intervalTraded'
    | 'intervalDeficit'
    | 'intervalGridSold'
    | 'intervalGridBought',
    Gauge
  >;
  private readonly vppGauge: Record<
    | 'traded'
    | 'payment'
    | 'grid'
    | 'gridPayment'
    | 'meteredInterval'
    | 'metered'
    | 'committed'
    | 'deviation'
    | 'imbalance'
    | 'bill',
    Gauge<'vpp'>
  >;
  private readonly vppInfo: Gauge<'vpp' | 'name'>;
  private readonly clearings: Counter;
  private readonly traded: Counter<'vpp' | 'side'>;
  private readonly payments: Counter<'vpp' | 'side'>;
  private readonly deficit: Counter;
  private readonly gridSold: Counter;
  private readonly gridBought: Counter;
  private readonly billsConfirmed: Counter<'vpp'>;
  private readonly deviationTotal: Counter<'vpp' | 'direction'>;
  private readonly latency: Histogram;
  private readonly failures: Counter<'stage'>;

  constructor(registry: Registry, chain: Chain) {
    this.chain = chain;
    this.depth = Math.max(1, chain.params.market.minConfirmations);
    this.confirmedThrough = Math.max(0, chain.height - this.depth + 1);
    const registers = [registry];
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    const vppGauge = (name: string, help: string) =>
      new Gauge<'vpp'>({ name, help, labelNames: ['vpp'], registers });
    this.g = {
      clearedInterval: gauge(
        'vpp_market_cleared_interval',
        'number of the latest interval whose clearing is confirmed (the interval the vpp_market_interval_* gauges describe)',
      ),
      intervalBids: gauge('vpp_market_interval_bids', 'bids that took part in the latest confirmed clearing'),
      intervalTraded: gauge(
        'vpp_market_interval_traded_wh',
        'Wh traded between VPPs in the latest confirmed clearing',
      ),
      intervalDeficit: gauge(
        'vpp_market_interval_deficit_units',
        'VCG deficit of the latest confirmed clearing (token base units the market operator funds)',
      ),
      intervalGridSold: gauge(
        'vpp_market_interval_grid_sold_wh',
        'grid residual of the latest confirmed clearing: Wh the grid sold to short VPPs',
      ),
      intervalGridBought: gauge(
        'vpp_market_interval_grid_bought_wh',
        'grid residual of the latest confirmed clearing: Wh the grid bought from long VPPs',
      ),
    };
    this.vppGauge = {
      traded: vppGauge(
        'vpp_market_traded_wh',
        "a VPP's Wh traded in the auction in the latest confirmed clearing: + sold, - bought (0: it did not trade)",
      ),
      payment: vppGauge(
        'vpp_market_vcg_payment_units',
        "a VPP's VCG payment in the latest confirmed clearing, base units: + received (seller), - paid (buyer)",
      ),
      grid: vppGauge(
        'vpp_market_grid_wh',
        "a VPP's residual left to the grid in the latest confirmed clearing, Wh: + sold to it, - bought from it",
      ),
      gridPayment: vppGauge(
        'vpp_market_grid_payment_units',
        "a VPP's payment for its grid residual in the latest confirmed clearing, base units: + received, - paid",
      ),
      meteredInterval: vppGauge(
        'vpp_market_metered_interval',
        "number of a VPP's latest interval whose metered bill is confirmed (the interval its metered gauges describe)",
      ),
      metered: vppGauge('vpp_market_metered_wh', "a VPP's metered net position, Wh: + export, - import"),
      committed: vppGauge(
        'vpp_market_committed_wh',
        'the net position a VPP had committed for its latest metered interval, Wh (0: none committed)',
      ),
      deviation: vppGauge(
        'vpp_market_deviation_wh',
        "a VPP's deviation from its committed schedule in its latest metered interval, Wh: + surplus, - shortfall",
      ),
      imbalance: vppGauge(
        'vpp_market_imbalance_wh',
        "a VPP's deviation left after its trades (settled at the imbalance prices), Wh: + long, - short",
      ),
      bill: vppGauge(
        'vpp_market_bill_units',
        "total of a VPP's latest confirmed metered bill, base units: + received, - paid",
      ),
    };
    this.vppInfo = new Gauge({
      name: 'vpp_market_vpp_info',
      help: '1 per VPP seen in the market, with its registered name (join on the vpp label for legends)',
      labelNames: ['vpp', 'name'],
      registers,
    });
    this.clearings = new Counter({
      name: 'vpp_market_clearings_total',
      help: 'confirmed clearings of intervals with bids',
      registers,
    });
    this.traded = new Counter({
      name: 'vpp_market_traded_wh_total',
      help: 'Wh traded in the auction in confirmed clearings, by VPP and side (buy, sell)',
      labelNames: ['vpp', 'side'],
      registers,
    });
    this.payments = new Counter({
      name: 'vpp_market_vcg_payments_units_total',
      help: 'VCG payments in confirmed clearings, base units, by VPP and side (buy: paid, sell: received)',
      labelNames: ['vpp', 'side'],
      registers,
    });
    this.deficit = new Counter({
      name: 'vpp_market_deficit_units_total',
      help: 'VCG deficit of confirmed clearings, base units (funded by the market operator)',
      registers,
    });
    this.gridSold = new Counter({
      name: 'vpp_market_grid_sold_wh_total',
      help: 'grid residual in confirmed clearings: Wh the grid sold to short VPPs',
      registers,
    });
    this.gridBought = new Counter({
      name: 'vpp_market_grid_bought_wh_total',
      help: 'grid residual in confirmed clearings: Wh the grid bought from long VPPs',
      registers,
    });
    this.billsConfirmed = new Counter({
      name: 'vpp_market_bills_confirmed_total',
      help: 'metered bills that became confirmed (the metering block minConfirmations deep), by VPP',
      labelNames: ['vpp'],
      registers,
    });
    this.deviationTotal = new Counter({
      name: 'vpp_market_deviation_wh_total',
      help: 'absolute deviation from the committed schedules in confirmed metered bills, Wh, by VPP and direction (surplus, shortfall)',
      labelNames: ['vpp', 'direction'],
      registers,
    });
    const intervalSeconds = chain.params.market.intervalMs / 1000;
    this.latency = new Histogram({
      name: 'vpp_market_gate_to_bill_confirmed_seconds',
      help: "from an interval's gate closure to its metered bill confirmed, in chain time (block timestamps), per bill",
      buckets: LATENCY_BUCKETS_IN_INTERVALS.map((x) => x * intervalSeconds),
      registers,
    });
    this.failures = new Counter({
      name: 'vpp_market_metrics_failures_total',
      help: 'failures while deriving the market metrics, by stage (read: a ledger read, retried at the next head; block: a block skipped)',
      labelNames: ['stage'],
      registers,
    });
    // Known label values start at 0, so that a query sees the series before the first failure.
    for (const stage of ['read', 'block']) this.failures.inc({ stage }, 0);
    chain.on('head', (change) => this.onHead(change));
  }

  /** Resolves once every head change seen so far has been followed (for tests and orderly reads). */
  idle(): Promise<void> {
    return this.work;
  }

  private onHead(change: HeadChange): void {
    const lowest = change.disconnected.at(-1);
    if (lowest && lowest.header.height <= this.confirmedThrough) {
      const fork = lowest.header.height - 1;
      this.rewindTo = Math.min(this.rewindTo ?? fork, fork);
    }
    // A failure of ours must neither stop the following (the chain of work goes on) nor go unseen.
    this.work = this.work.then(() => this.catchUp()).catch(() => this.failures.inc({ stage: 'block' }));
  }

  /** Reads, in order, every main-chain block that has become `depth` deep since the last call. */
  private async catchUp(): Promise<void> {
    for (;;) {
      if (this.rewindTo !== undefined) {
        this.confirmedThrough = Math.min(this.confirmedThrough, this.rewindTo);
        this.rewindTo = undefined;
      }
      const h = this.confirmedThrough + 1;
      if (h > this.chain.height - this.depth + 1) return;
      let receipts: BlockReceipts | undefined;
      let confirmingTime: number | undefined;
      let node: Awaited<ReturnType<Chain['getMainNode']>>;
      try {
        node = await this.chain.getMainNode(h);
        receipts = node && (await this.chain.getReceipts(node.hash));
        if (receipts && hasMetering(receipts))
          confirmingTime = (await this.chain.getMainNode(h + this.depth - 1))?.header.timestamp;
      } catch {
        // The ledger could not be read (for instance while the node stops): the next head retries.
        this.failures.inc({ stage: 'read' });
        return;
      }
      // The head moved under the reads: start again from where the main chain now is.
      if (this.rewindTo !== undefined || !node || !this.chain.isMainChain(node)) continue;
      try {
        if (receipts) this.readBlock(receipts, confirmingTime ?? node.header.timestamp);
      } catch {
        this.failures.inc({ stage: 'block' });
      }
      this.confirmedThrough = h;
    }
  }

  private readBlock(receipts: BlockReceipts, confirmingTime: number): void {
    for (const e of receipts.block)
      if (e.contract === 'auction' && e.name === 'AuctionCleared')
        this.onCleared(BigInt(String(e.data.interval)));
    for (const events of receipts.txs)
      for (const e of events)
        if (e.contract === 'metering' && e.name === 'Metered') this.onMetered(e, confirmingTime);
  }

  private seeVpp(vpp: string): void {
    if (this.knownVpps.has(vpp)) return;
    this.knownVpps.add(vpp);
    const name = getRegistration(this.chain.headState, vpp)?.name ?? '';
    this.vppInfo.set({ vpp, name }, 1);
  }

  private onCleared(k: bigint): void {
    const rec = getClearing(this.chain.headState, k);
    if (!rec) return;
    for (const p of rec.participants) this.seeVpp(p.address);
    if (k >= this.latestCleared) {
      this.latestCleared = k;
      this.g.clearedInterval.set(num(k));
      this.g.intervalBids.set(rec.participants.length);
      this.g.intervalTraded.set(num(rec.tradedQty));
      this.g.intervalDeficit.set(num(rec.deficit));
      this.g.intervalGridSold.set(num(rec.gridSold));
      this.g.intervalGridBought.set(num(rec.gridBought));
      for (const vpp of this.knownVpps)
        for (const key of ['traded', 'payment', 'grid', 'gridPayment'] as const)
          this.vppGauge[key].set({ vpp }, 0);
      for (const p of rec.participants) {
        const signed = (x: bigint) => num(p.side === 'sell' ? x : -x);
        const vpp = p.address;
        this.vppGauge.traded.set({ vpp }, signed(p.qty));
        this.vppGauge.payment.set({ vpp }, signed(p.payment));
        this.vppGauge.grid.set({ vpp }, signed(p.gridQty));
        this.vppGauge.gridPayment.set({ vpp }, signed(p.gridPayment));
      }
    }
    if (!this.counted.first(k, '')) return;
    this.clearings.inc();
    this.deficit.inc(num(rec.deficit));
    this.gridSold.inc(num(rec.gridSold));
    this.gridBought.inc(num(rec.gridBought));
    for (const p of rec.participants) {
      this.traded.inc({ vpp: p.address, side: p.side }, num(p.qty));
      this.payments.inc({ vpp: p.address, side: p.side }, num(p.payment));
    }
  }

  private onMetered(e: ContractEvent, confirmingTime: number): void {
    const k = BigInt(String(e.data.interval));
    const vpp = String(e.data.vpp);
    const deviation = BigInt(String(e.data.deviationWh));
    this.seeVpp(vpp);
    if (k >= (this.latestMetered.get(vpp) ?? -1n)) {
      this.latestMetered.set(vpp, k);
      const bill = getBill(this.chain.headState, vpp, k);
      this.vppGauge.meteredInterval.set({ vpp }, num(k));
      this.vppGauge.metered.set({ vpp }, num(BigInt(String(e.data.meteredWh))));
      this.vppGauge.committed.set(
        { vpp },
        e.data.committedWh === null ? 0 : num(BigInt(String(e.data.committedWh))),
      );
      this.vppGauge.deviation.set({ vpp }, num(deviation));
      this.vppGauge.imbalance.set({ vpp }, num(BigInt(String(e.data.imbalanceWh))));
      if (bill) this.vppGauge.bill.set({ vpp }, num(billTotal(bill.lines)));
    }
    if (!this.counted.first(k, vpp)) return;
    this.billsConfirmed.inc({ vpp });
    if (deviation !== 0n)
      this.deviationTotal.inc(
        { vpp, direction: deviation > 0n ? 'surplus' : 'shortfall' },
        num(deviation < 0n ? -deviation : deviation),
      );
    this.latency.observe((confirmingTime - gateOf(this.chain.params, k)) / 1000);
  }
}

const hasMetering = (r: BlockReceipts): boolean =>
  r.txs.some((events) => events.some((e) => e.contract === 'metering' && e.name === 'Metered'));
