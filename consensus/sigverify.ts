// Signature verification for the mempool and block import: a pool of worker threads running the OpenSSL
// verifier, fed in micro-batches, and a verdict cache keyed by transaction hash (the hash covers the
// signature), so a transaction verified on admission is not verified again when its block is imported.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { verifyFast } from '../protocol/keys.ts';
import { type ChainDomain, sighashPreimage, type TxEnvelope } from '../protocol/tx.ts';
import type { TxSignatureVerifier } from './chain.ts';

const CACHE_LIMIT = 200_000;
const MAX_CHUNK = 256;

interface Pending {
  env: TxEnvelope;
  resolve: (ok: boolean) => void;
}

export interface VerifierStats {
  verified: number;
  cacheHits: number;
}

export class SignatureVerifier implements TxSignatureVerifier {
  private readonly domain: ChainDomain;
  private readonly workers: Worker[] = [];
  private readonly inflight: number[] = [];
  private readonly callbacks = new Map<
    number,
    { worker: number; chunk: Pending[]; done: (v: boolean[]) => void }
  >();
  private readonly cache = new Map<string, boolean>();
  private queue: Pending[] = [];
  private scheduled = false;
  private nextId = 0;
  readonly stats: VerifierStats = { verified: 0, cacheHits: 0 };

  /** `threads` 0 verifies on the calling thread (small tools, tests); default: one per core. */
  constructor(domain: ChainDomain, threads = availableParallelism()) {
    this.domain = domain;
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./sigverify-worker.ts', import.meta.url), { workerData: domain });
      w.on('message', (m: { id: number; verdicts: boolean[] }) => {
        this.inflight[i]! -= 1;
        if (this.inflight[i] === 0) w.unref(); // an idle pool must not keep the process alive
        this.callbacks.get(m.id)?.done(m.verdicts);
        this.callbacks.delete(m.id);
      });
      w.on('error', (err) => {
        // A worker that dies must not strand its batches: they are verified again on this thread.
        console.error('signature worker failed:', err);
        this.inflight[i] = Number.POSITIVE_INFINITY;
        for (const [id, cb] of this.callbacks) {
          if (cb.worker !== i) continue;
          this.callbacks.delete(id);
          cb.done(cb.chunk.map((p) => this.verifyInline(p.env)));
        }
      });
      w.unref();
      this.workers.push(w);
      this.inflight.push(0);
    }
  }

  cached(id: string): boolean | undefined {
    return this.cache.get(id);
  }

  private remember(id: string, ok: boolean): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, ok);
  }

  verifyTxs(txs: readonly TxEnvelope[]): Promise<boolean[]> {
    return Promise.all(txs.map((t) => this.verifyTx(t)));
  }

  verifyTx(env: TxEnvelope): Promise<boolean> {
    const hit = this.cache.get(env.id);
    if (hit !== undefined) {
      this.stats.cacheHits++;
      return Promise.resolve(hit);
    }
    if (this.workers.length === 0) {
      const ok = this.verifyInline(env);
      this.stats.verified++;
      this.remember(env.id, ok);
      return Promise.resolve(ok);
    }
    return new Promise((resolve) => {
      this.queue.push({ env, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private verifyInline(env: TxEnvelope): boolean {
    return verifyFast(env.tx.signature, sighashPreimage(env.tx, this.domain), env.tx.senderPubKey);
  }

  /** Splits what accumulated during this turn of the event loop into chunks, least-loaded worker first. */
  private flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    const per = Math.min(MAX_CHUNK, Math.max(1, Math.ceil(queue.length / this.workers.length)));
    for (let i = 0; i < queue.length; i += per) {
      const chunk = queue.slice(i, i + per);
      let w = 0;
      for (let j = 1; j < this.workers.length; j++) if (this.inflight[j]! < this.inflight[w]!) w = j;
      const id = this.nextId++;
      this.inflight[w]! += 1;
      this.workers[w]!.ref(); // pending verdicts keep the process alive
      this.callbacks.set(id, {
        worker: w,
        chunk,
        done: (verdicts) => {
          chunk.forEach((p, k) => {
            const ok = verdicts[k] === true;
            this.stats.verified++;
            this.remember(p.env.id, ok);
            p.resolve(ok);
          });
        },
      });
      this.workers[w]!.postMessage({ id, txs: chunk.map((p) => p.env.bytes) });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
