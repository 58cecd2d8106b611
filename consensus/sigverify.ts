// Signature verification for the mempool and block import: a pool of worker threads running the OpenSSL
// verifier, fed in micro-batches, and a verdict cache keyed by transaction hash (the hash covers the
// signature), so a transaction verified on admission is not verified again when its block is imported.
// A transaction asked for while its verification is under way waits for that one (a block prefetched by
// the chain and then imported is verified once). A batch travels as one transferred buffer (the
// transactions' bytes end to end, then their end offsets), not as an array of small typed arrays: the
// structured clone of thousands of separate buffers cost the main thread more than the verification
// itself saved (docs/performance.md, "Block import").
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { verifyFast } from '../protocol/keys.ts';
import { type ChainDomain, sighashPreimage, type TxEnvelope } from '../protocol/tx.ts';
import type { TxSignatureVerifier } from './chain.ts';

const CACHE_LIMIT = 200_000;
const MAX_CHUNK = 256;

/** A batch as the worker receives it: the transactions' bytes end to end, and where each one ends. */
export interface PackedBatch {
  id: number;
  bytes: ArrayBuffer;
  ends: Uint32Array;
}

export function packBatch(id: number, txs: readonly Uint8Array[]): PackedBatch {
  let total = 0;
  for (const t of txs) total += t.length;
  const out = new Uint8Array(total);
  const ends = new Uint32Array(txs.length);
  let at = 0;
  txs.forEach((t, i) => {
    out.set(t, at);
    at += t.length;
    ends[i] = at;
  });
  return { id, bytes: out.buffer, ends };
}

export function unpackBatch(b: PackedBatch): Uint8Array[] {
  const all = new Uint8Array(b.bytes);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const end of b.ends) {
    out.push(all.subarray(at, end));
    at = end;
  }
  return out;
}

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
    { worker: number; chunk: Pending[]; done: (v: ArrayLike<number | boolean>) => void }
  >();
  private readonly cache = new Map<string, boolean>();
  /** Verifications under way, by transaction id. */
  private readonly inProgress = new Map<string, Promise<boolean>>();
  private queue: Pending[] = [];
  private scheduled = false;
  private nextId = 0;
  readonly stats: VerifierStats = { verified: 0, cacheHits: 0 };

  /** `threads` 0 verifies on the calling thread (small tools, tests); default: one per core. */
  constructor(domain: ChainDomain, threads = availableParallelism()) {
    this.domain = domain;
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./sigverify-worker.ts', import.meta.url), { workerData: domain });
      w.on('message', (m: { id: number; verdicts: Uint8Array }) => {
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
    const running = this.inProgress.get(env.id);
    if (running) {
      this.stats.cacheHits++;
      return running;
    }
    const verdict = new Promise<boolean>((resolve) => {
      this.queue.push({ env, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
    this.inProgress.set(env.id, verdict);
    return verdict;
  }

  private verifyInline(env: TxEnvelope): boolean {
    return verifyFast(env.tx.signature, sighashPreimage(env.tx, this.domain), env.tx.senderPubKey);
  }

  /**
   * Splits what accumulated during this turn of the event loop into chunks of equal size (at most
   * MAX_CHUNK, a multiple of the workers in number, so that each worker gets the same share), least-loaded
   * worker first.
   */
  private flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    const n = this.workers.length;
    const chunks = n * Math.max(1, Math.ceil(queue.length / (n * MAX_CHUNK)));
    const per = Math.max(1, Math.ceil(queue.length / chunks));
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
            const ok = verdicts[k] === 1 || verdicts[k] === true;
            this.stats.verified++;
            this.remember(p.env.id, ok);
            this.inProgress.delete(p.env.id);
            p.resolve(ok);
          });
        },
      });
      const batch = packBatch(
        id,
        chunk.map((p) => p.env.bytes),
      );
      this.workers[w]!.postMessage(batch, [batch.bytes, batch.ends.buffer as ArrayBuffer]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
