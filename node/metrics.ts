// Prometheus metrics of one node (prom-client), in a registry of its own (several nodes may share a
// process in tests). Served by the API at GET /metrics. The chain's and the API's are here; the market's
// (clearings, bills, deviations) are in market-metrics.ts, the VPPs' day-ahead runs in dayahead-metrics.ts.
// Adding a metric: `node.metrics.histogram({ name: 'vpp_auction_clearing_seconds', help: '…', buckets })`
// (or counter / gauge) once at wiring time, then `.observe(seconds)` where the work happens. Names
// start with `vpp_`; the helpers register the metric in this node's registry.
import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';
import type { ApiMetrics, NodeActivity } from '../api/port.ts';
import type { Chain, HeadChange, ProcessStatus } from '../consensus/chain.ts';
import type { DryRunCounts } from '../consensus/mempool-dryrun.ts';
import type { BlockError } from '../protocol/errors.ts';
import { exportDayAhead } from './dayahead-metrics.ts';
import { MarketMetrics } from './market-metrics.ts';

/** What the gauges read when scraped (peers, syncing and hash rate read 0 without network or miner). */
export interface MetricsSource {
  chain: Chain;
  mempool: { readonly size: number; readonly dryRunCounts: Readonly<DryRunCounts> };
  activity(): NodeActivity;
  /** Range syncs stopped because the peer's chain (or ours) moved between two responses (p2p/sync.ts). */
  syncChainMoves?(): number;
}

export interface MetricsOptions {
  /** The VPP agents' published results (`--vpp-file`): their day-ahead figures are exported as gauges. */
  publishedResults?: string;
}

export class NodeMetrics implements ApiMetrics {
  readonly registry = new Registry();
  readonly blocksProcessed: Counter<'result'>;
  readonly blocksRejected: Counter<'code'>;
  readonly blocksInvalid: Counter<'code'>;
  readonly reorgs: Counter;
  readonly reorgDepth: Histogram;
  readonly txSubmitted: Counter<'result'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly sseClients: Gauge;
  /** The real-time market, followed at confirmation depth. */
  readonly market: MarketMetrics;

  constructor(source: MetricsSource, opts: MetricsOptions = {}) {
    const { chain } = source;
    this.gauge({
      name: 'vpp_head_height',
      help: 'height of the main chain head',
      collect() {
        this.set(chain.height);
      },
    });
    this.gauge({
      name: 'vpp_peers',
      help: 'connected peers',
      collect() {
        this.set(source.activity().peers);
      },
    });
    this.gauge({
      name: 'vpp_syncing',
      help: '1 while a range sync runs',
      collect() {
        this.set(source.activity().syncing ? 1 : 0);
      },
    });
    this.gauge({
      name: 'vpp_mempool_size',
      help: 'pending transactions in the mempool',
      collect() {
        this.set(source.mempool.size);
      },
    });
    this.gauge({
      name: 'vpp_hash_rate',
      help: 'mining hash rate over the last ~10 s (hashes per second; 0 when not mining)',
      collect() {
        this.set(source.activity().hashRate);
      },
    });
    this.gauge({
      name: 'vpp_clock_offset_seconds',
      help: "our clock minus the peers' block times, from fresh gossip blocks (0 until enough blocks arrived)",
      collect() {
        this.set((source.activity().clock?.offsetMs ?? 0) / 1000);
      },
    });
    this.gauge({
      name: 'vpp_clock_skewed',
      help: "1 while our clock disagrees with the peers' block times beyond the drift rule (maxFutureDriftMs)",
      collect() {
        this.set(source.activity().clock?.skewed ? 1 : 0);
      },
    });
    this.watchDryRuns(source.mempool);
    this.counter({
      name: 'vpp_sync_chain_moved_total',
      help: "range syncs stopped without a penalty because the peer's chain (or ours) reorganised between two responses; a catch-up follows",
      collect() {
        this.reset();
        this.inc(source.syncChainMoves?.() ?? 0);
      },
    });
    this.blocksProcessed = this.counter({
      name: 'vpp_blocks_imported_total',
      help: 'blocks imported, by where they went (head or side-chain)',
      labelNames: ['result'],
    });
    this.blocksRejected = this.counter({
      name: 'vpp_blocks_rejected_total',
      help: 'blocks refused at import (gossip, sync, own miner), by BlockError code; DECODE: undecodable',
      labelNames: ['code'],
    });
    this.blocksInvalid = this.counter({
      name: 'vpp_blocks_invalid_total',
      help: "blocks marked invalid while connecting a branch (Chain 'invalid' event), by code",
      labelNames: ['code'],
    });
    this.reorgs = this.counter({ name: 'vpp_reorgs_total', help: 'head changes that disconnected blocks' });
    this.reorgDepth = this.histogram({
      name: 'vpp_reorg_depth',
      help: 'blocks disconnected per reorg',
      buckets: [1, 2, 3, 5, 8, 13, 21, 50, 100],
    });
    this.txSubmitted = this.counter({
      name: 'vpp_api_transactions_total',
      help: 'transactions submitted through the API, by result (accepted or the error code)',
      labelNames: ['result'],
    });
    this.httpDuration = this.histogram({
      name: 'vpp_http_request_duration_seconds',
      help: 'API request latency by route',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.sseClients = this.gauge({ name: 'vpp_sse_clients', help: 'open server-sent event streams' });
    this.watchChain(chain);
    this.market = new MarketMetrics(this.registry, chain);
    if (opts.publishedResults) exportDayAhead(this.registry, opts.publishedResults);
  }

  counter<L extends string = string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter<L>({ ...config, registers: [this.registry] });
  }

  gauge<L extends string = string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge<L>({ ...config, registers: [this.registry] });
  }

  histogram<L extends string = string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram<L>({ ...config, registers: [this.registry] });
  }

  /** Prometheus text exposition of every metric of this node. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The pool's contract-call dry-runs, read at each scrape from its own counts (the pool knows nothing of
   * Prometheus): made, and saved because the last pass still held (mempool-dryrun.ts), by occasion.
   */
  private watchDryRuns(mempool: MetricsSource['mempool']): void {
    const mirror = (name: string, help: string, field: 'run' | 'reused') =>
      this.counter({
        name,
        help,
        labelNames: ['at'],
        collect() {
          this.reset();
          for (const [at, counts] of Object.entries(mempool.dryRunCounts)) this.inc({ at }, counts[field]);
        },
      });
    mirror(
      'vpp_mempool_dry_runs_total',
      'contract calls next in line run against the head state by the mempool, by occasion (admission, head)',
      'run',
    );
    mirror(
      'vpp_mempool_dry_runs_skipped_total',
      'dry-runs saved because the last pass still held (the head moved by no block that wrote a key it read), by occasion',
      'reused',
    );
  }

  private watchChain(chain: Chain): void {
    chain.on('head', (change: HeadChange) => {
      if (change.disconnected.length > 0) {
        this.reorgs.inc();
        this.reorgDepth.observe(change.disconnected.length);
      }
    });
    chain.on('invalid', (_id: string, err: BlockError) => this.blocksInvalid.inc({ code: err.code }));
    // Every import goes through processBlock (gossip, sync, the miner, the API), which reports its outcome.
    chain.on('processed', (status: ProcessStatus) => this.blocksProcessed.inc({ result: status }));
    chain.on('rejected', (err: BlockError) => this.blocksRejected.inc({ code: err.code }));
  }
}
