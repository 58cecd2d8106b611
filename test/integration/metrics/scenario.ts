// A live node (in process, its API on a real port) and one market interval driven through it with crafted
// blocks: schedules committed, bids placed, the interval cleared at its gate, every VPP metered after
// delivery, and the bills confirmed. The metrics tests and the Grafana board test read /metrics from it.

import { commitScheduleCall, meterReportCall, placeBidCall } from '../../../contracts-vm/abi/calls.ts';
import type { TxEnvelope } from '../../../protocol/tx.ts';
import { type ApiNode, startApiNode } from '../../helpers/api-node.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

/** Intervals of 10 s, blocks 1 s apart (block h has timestamp genesis + h s), minConfirmations 2. */
export const params = testParams();
/** The interval the scenario trades: its bids are accepted from 10 s, its gate closes at 50 s. */
export const K = 5n;
export const GATE_HEIGHT = 50;
export const METERING_HEIGHT = 61;
/** Committed positions (+ export, - import) and metered ones: deviations -100, +100 and +40 Wh. */
export const COMMITTED = { vpp1: -1000n, vpp2: 800n } as const;
export const METERED = { vpp1: -1100n, vpp2: 900n, vpp3: 40n } as const;

export class MarketScenario {
  readonly api: ApiNode;
  readonly b = new ChainBuilder(params);
  tip: string;

  private constructor(api: ApiNode) {
    this.api = api;
    this.tip = this.b.genesisId;
  }

  static async start(vppFile?: string): Promise<MarketScenario> {
    return new MarketScenario(await startApiNode(params, { api: vppFile ? { vppFile } : {} }));
  }

  get height(): number {
    return this.b.get(this.tip).block.header.height;
  }

  /** Imports blocks on the tip up to `height`, with the given transactions at their heights. */
  async growTo(height: number, txsAt: Record<number, TxEnvelope[]> = {}, miner?: string): Promise<void> {
    while (this.height < height) {
      const blk = this.b.next(this.tip, { txs: txsAt[this.height + 1] ?? [], miner });
      await this.api.node.chain.processBlock(blk);
      this.tip = this.b.idOf(blk);
    }
    await this.api.node.metrics.market.idle();
  }

  /** The transactions of the interval up to its metering (at METERING_HEIGHT, with `metered`). */
  txs(metered: Record<'vpp1' | 'vpp2' | 'vpp3', bigint> = METERED): Record<number, TxEnvelope[]> {
    const { b } = this;
    return {
      1: [
        b.call(keys.vpp1, commitScheduleCall(K, [COMMITTED.vpp1]), 0n),
        b.call(keys.vpp2, commitScheduleCall(K, [COMMITTED.vpp2]), 0n),
      ],
      12: [
        b.call(keys.vpp1, placeBidCall(K, 'buy', [{ qty: 1500, price: 250_000 }]), 1n),
        b.call(keys.vpp2, placeBidCall(K, 'sell', [{ qty: 1000, price: 100_000 }]), 1n),
      ],
      [METERING_HEIGHT]: [
        b.call(
          keys.grid,
          meterReportCall(K, [
            { vpp: keys.vpp1.address, meteredWh: metered.vpp1 },
            { vpp: keys.vpp2.address, meteredWh: metered.vpp2 },
            { vpp: keys.vpp3.address, meteredWh: metered.vpp3 },
          ]),
          0n,
        ),
      ],
    };
  }

  /** GET /metrics over HTTP. */
  async scrape(): Promise<string> {
    const r = await fetch(`${this.api.url}/metrics`);
    if (!r.ok) throw new Error(`GET /metrics: ${r.status}`);
    return r.text();
  }

  async getJson<T>(path: string): Promise<T> {
    const r = await fetch(`${this.api.url}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }

  close(): Promise<void> {
    return this.api.close();
  }
}

/** One sample of the Prometheus text format: name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (label values without escapes, which ours never need). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The metric families an exposition declares (`# TYPE name type`), by name. */
export function metricFamilies(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const hits = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (hits.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${hits.length} samples`);
  return hits[0]?.value;
}
