// The miner: builds a template on the tip from the mempool, searches nonces in worker threads (the event
// loop stays free), abandons the template as soon as the tip changes, and refreshes it periodically so
// the clock is picked up, soon after a new transaction arrives, and as soon as the clock passes an
// interval's gate.
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { intervalAt, intervalStart } from '../contracts-vm/contracts/intervals.ts';
import { Overlay } from '../contracts-vm/state.ts';
import { blockContext, executeBlock } from '../contracts-vm/transition.ts';
import { type Block, computeTxRoot, decodeHeader, encodeHeader, HEADER_VERSION } from '../protocol/block.ts';
import { bitsToTarget } from '../protocol/difficulty.ts';
import { BlockError } from '../protocol/errors.ts';
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import type { Chain } from './chain.ts';
import type { Mempool } from './mempool.ts';
import type { PowJob, PowReply } from './pow-worker.ts';
import { blockSize } from './validation.ts';

export interface MinerOptions {
  address: Address;
  threads?: number;
  /** Rebuild the template at least this often (fresher timestamp). */
  refreshMs?: number;
  /**
   * A transaction added to the mempool ends the search once the template is this old (at once if it is
   * older): new transactions reach the next block without a template rebuilt for each of a burst.
   */
  txRefreshMs?: number;
  now?: () => number;
  /** After a failure (no template on this tip, or a failing import), wait this long before trying again. */
  retryMs?: number;
}

/** The shortest wait before a rebuild, so that a clock standing just before a gate cannot spin the loop. */
export const MIN_REFRESH_MS = 10;

/**
 * How long a template stamped `timestamp` is mined before it is rebuilt: `refreshMs`, or until just past
 * the next interval gate after its timestamp if that comes sooner. A block stamped at or past a gate is
 * the one that clears that interval's auction and admits the metering reports for the interval that
 * ended there (contracts-vm/contracts/intervals.ts); a template stamped before the gate could only yield a
 * block before it, so without this the clearing would wait for the periodic refresh (up to `refreshMs`)
 * on top of the search.
 */
export function refreshDelay(timestamp: number, now: number, params: ChainParams, refreshMs: number): number {
  const nextGate = intervalStart(params, intervalAt(params, timestamp) + 1n);
  // +1: timers run on the event loop's millisecond clock, which may be just short of the wall clock.
  return Math.min(refreshMs, Math.max(MIN_REFRESH_MS, nextGate - now + 1));
}

/** A failure of the mining loop that is not a verdict on a block: reported, then retried after a pause. */
export interface MinerFailure {
  stage: 'template' | 'import';
  /** The tip the template was built on, and the height of the block being built. */
  parent: string;
  height: number;
  error: unknown;
}

export class Miner extends EventEmitter<{
  mined: [Block];
  rejected: [BlockError];
  failed: [MinerFailure];
}> {
  private readonly chain: Chain;
  private readonly mempool: Mempool;
  private readonly address: Address;
  private readonly threads: number;
  private readonly refreshMs: number;
  private readonly txRefreshMs: number;
  private readonly now: () => number;
  private readonly retryMs: number;
  private wakeFromPause: (() => void) | undefined;
  private workers: Worker[] = [];
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private currentStop: Int32Array | undefined;
  private searchStartedAt = 0;
  private txRefresh: NodeJS.Timeout | undefined;
  private hashWindow: { t: number; hashes: number }[] = [];
  totalHashes = 0;
  blocksMined = 0;

  constructor(chain: Chain, mempool: Mempool, opts: MinerOptions) {
    super();
    this.chain = chain;
    this.mempool = mempool;
    this.address = opts.address;
    this.threads = Math.max(1, opts.threads ?? Math.max(1, availableParallelism() - 1));
    this.refreshMs = opts.refreshMs ?? 2000;
    this.txRefreshMs = opts.txRefreshMs ?? 250;
    this.now = opts.now ?? Date.now;
    this.retryMs = opts.retryMs ?? 1000;
    this.onHead = this.onHead.bind(this);
    this.onTxAdded = this.onTxAdded.bind(this);
  }

  private onTxAdded(): void {
    const stop = this.currentStop;
    if (!stop || this.txRefresh) return;
    const wait = this.txRefreshMs - (performance.now() - this.searchStartedAt);
    if (wait <= 0) Atomics.store(stop, 0, 1);
    else this.txRefresh = setTimeout(() => Atomics.store(stop, 0, 1), wait);
  }

  private onHead(): void {
    if (this.currentStop) Atomics.store(this.currentStop, 0, 1);
    this.wakeFromPause?.();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.workers = Array.from(
      { length: this.threads },
      () => new Worker(new URL('./pow-worker.ts', import.meta.url)),
    );
    this.chain.on('head', this.onHead);
    this.mempool.on('added', this.onTxAdded);
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.onHead();
    this.chain.off('head', this.onHead);
    this.mempool.off('added', this.onTxAdded);
    await this.loopDone;
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }

  /** Hashes per second over the last ~10 seconds. */
  hashRate(): number {
    const now = performance.now();
    this.hashWindow = this.hashWindow.filter((s) => now - s.t < 10_000);
    if (this.hashWindow.length < 2) return 0;
    const span = (now - this.hashWindow[0]!.t) / 1000;
    const hashes = this.hashWindow.slice(1).reduce((a, s) => a + s.hashes, 0);
    return span > 0 ? hashes / span : 0;
  }

  private countHashes(n: number): void {
    this.totalHashes += n;
    this.hashWindow.push({ t: performance.now(), hashes: n });
  }

  /**
   * A block template on the current tip (nonce 0), executed by the same executor as validation: pending
   * transactions that fail on the tip state with a TxError are left out. Throws anything else, including
   * BlockError(HOOK_FAILED) when the end-of-block hooks cannot run on this tip.
   */
  buildTemplate(): Block {
    const tip = this.chain.tip;
    const params = this.chain.params;
    const candidates = this.mempool.select(
      this.chain.headState,
      params.maxBlockTxs,
      params.maxBlockBytes - 4096,
    );
    // The state root covers the end-of-block hooks (auction clearings), which depend on the timestamp:
    // so the timestamp is fixed per template and never changed during the nonce search.
    const height = tip.header.height + 1;
    const timestamp = Math.max(this.now(), this.chain.medianTimePast(tip) + 1);
    const ctx = blockContext({ height, timestamp }, this.address, params);
    const view = new Overlay(this.chain.headState);
    const { txs } = executeBlock(view, ctx, candidates, 'skip-tx');
    const header = {
      version: HEADER_VERSION,
      height,
      parentHash: tip.hash,
      txRoot: computeTxRoot(this.address, txs),
      stateRoot: this.chain.headState.rootWith(view.changes),
      timestamp,
      bits: this.chain.nextBitsAfter(tip),
      nonce: 0,
    };
    const block = { header, miner: this.address, txs };
    if (blockSize(block) > params.maxBlockBytes) throw new Error('template over the block size limit');
    return block;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const tip = this.chain.tip;
      let template: Block;
      try {
        template = this.buildTemplate();
      } catch (error) {
        await this.failed({ stage: 'template', parent: tip.id, height: tip.header.height + 1, error });
        continue;
      }
      const found = await this.search(template);
      if (!found || !this.running) continue;
      try {
        await this.chain.processBlock(found);
        this.blocksMined++;
        this.emit('mined', found);
      } catch (error) {
        if (error instanceof BlockError) this.emit('rejected', error);
        else await this.failed({ stage: 'import', parent: tip.id, height: found.header.height, error });
      }
    }
  }

  /**
   * Reports a failure with its context and waits before trying again, so a tip on which no template can
   * be built (or a failing store) neither stops mining for good nor spins; a new tip or stop ends the wait.
   */
  private async failed(failure: MinerFailure): Promise<void> {
    this.emit('failed', failure);
    if (!this.running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(wake, this.retryMs);
      function wake() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeFromPause = wake;
    });
    this.wakeFromPause = undefined;
  }

  /**
   * Runs all workers on disjoint nonce ranges until one finds a nonce, the tip changes, or refresh time
   * (refreshDelay: the periodic refresh or the next gate).
   */
  private search(template: Block): Promise<Block | undefined> {
    const stopBuf = new SharedArrayBuffer(4);
    const stop = new Int32Array(stopBuf);
    this.currentStop = stop;
    this.searchStartedAt = performance.now();
    const target = bitsToTarget(template.header.bits)!;
    const headerBytes = encodeHeader(template.header);
    const span = Math.floor(0x1_0000_0000 / this.workers.length);
    const refresh = setTimeout(
      () => Atomics.store(stop, 0, 1),
      refreshDelay(template.header.timestamp, this.now(), this.chain.params, this.refreshMs),
    );
    return new Promise((resolve) => {
      let pending = this.workers.length;
      let result: Block | undefined;
      this.workers.forEach((w, i) => {
        const onMessage = (m: PowReply) => {
          this.countHashes(m.hashes);
          if (m.kind === 'progress') return;
          if (m.kind === 'found' && !result) {
            const header = decodeHeader(headerBytes);
            result = { ...template, header: { ...header, nonce: m.nonce } };
          }
          w.off('message', onMessage);
          if (--pending === 0) {
            clearTimeout(refresh);
            clearTimeout(this.txRefresh);
            this.txRefresh = undefined;
            this.currentStop = undefined; // a transaction from now on is in the next template anyway
            resolve(result);
          }
        };
        w.on('message', onMessage);
        const job: PowJob = {
          header: headerBytes.slice(),
          target: target.toString(16),
          start: i * span,
          end: i === this.workers.length - 1 ? 0x1_0000_0000 : (i + 1) * span,
          stop: stopBuf,
        };
        w.postMessage(job);
      });
    });
  }
}
