// Signature verification for the mempool and block import: a pool of worker threads running the fast
// verifier (libsecp256k1, else OpenSSL: protocol/keys.ts verifyFast), fed in micro-batches, and a verdict
// cache keyed by transaction hash (the hash covers the signature), so a transaction verified on admission is not verified again when its block is imported.
// A transaction asked for while its verification is under way waits for that one (a block prefetched by
// the chain and then imported is verified once). A batch travels as one transferred buffer (the
// transactions' bytes end to end, then their end offsets), not as an array of small typed arrays: the
// structured clone of thousands of separate buffers cost the main thread more than the verification
// itself saved (docs/performance.md, "Block import"). A request leaves at once when a worker has room
// (not at the end of the event loop's turn: a block's signatures are then verified while this thread
// executes it); each worker holds at most two batches, so that while every worker is busy the queue waits
// and grows and under load one message carries everything that arrived meanwhile. A worker with nothing
// in flight first gets a short batch, so the first block of a long run (a range-sync batch of 64 blocks)
// has its verdicts after a few dozen verifications, not after hundreds.
import * as nodeModule from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { verifyFast } from '../protocol/keys.ts';
import { type ChainDomain, sighashPreimage, type TxEnvelope } from '../protocol/tx.ts';
import type { TxSignatureVerifier } from './chain.ts';

const CACHE_LIMIT = 200_000;

/**
 * The workers' environment: the process's, with Node's module compile cache (the process's own if it has
 * one, else Node's default directory). Without it every worker isolate loads the TypeScript stripper (a
 * WebAssembly build of swc) and strips and compiles each module again: about 50 ms of CPU per worker at
 * every pool start, twice what a worker costs from the cache (docs/performance.md, "Range sync"). The
 * cache is keyed by the modules' contents, and NODE_DISABLE_COMPILE_CACHE=1 still turns it off.
 */
const workerEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_COMPILE_CACHE:
    process.env.NODE_COMPILE_CACHE ??
    // Optional: getCompileCacheDir is Node 22.8's; an older Node ignores the variable.
    (nodeModule as Partial<typeof nodeModule>).getCompileCacheDir?.() ??
    join(tmpdir(), 'node-compile-cache'),
});
/** The most signatures in one message, and in the first message to a worker with nothing in flight. */
const MAX_CHUNK = 128;
const FIRST_CHUNK = 32;
/** Batches a worker may hold: the second waits in its port while it verifies the first (no idle gap). */
const MAX_IN_FLIGHT = 2;
/** How long close() lets a worker finish its batches and exit before terminating it. */
const CLOSE_GRACE_MS = 10_000;
/** Asks a worker to exit once the batches before it are answered (sigverify-worker.ts). */
export const CLOSE_MESSAGE = 'close';

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
  for (let i = 0; i < txs.length; i++) {
    out.set(txs[i]!, at);
    at += txs[i]!.length;
    ends[i] = at;
  }
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

/** A verification queued or under way, and who waits for its verdict. */
interface Pending {
  env: TxEnvelope;
  /** Called once the verdict is known: one per request asking for it while it was pending. */
  waiters: ((ok: boolean) => void)[];
}

export interface VerifierStats {
  verified: number;
  cacheHits: number;
  /** Batches posted to the workers. */
  batches: number;
}

export class SignatureVerifier implements TxSignatureVerifier {
  private readonly domain: ChainDomain;
  private readonly workers: Worker[] = [];
  private readonly exits: Promise<void>[] = [];
  private readonly inflight: number[] = [];
  private readonly callbacks = new Map<
    number,
    { worker: number; chunk: Pending[]; done: (v: ArrayLike<number | boolean>) => void }
  >();
  private readonly cache = new Map<string, boolean>();
  /** Verifications queued or under way, by transaction id. */
  private readonly inProgress = new Map<string, Pending>();
  private queue: Pending[] = [];
  private nextId = 0;
  readonly stats: VerifierStats = { verified: 0, cacheHits: 0, batches: 0 };

  /** `threads` 0 verifies on the calling thread (small tools, tests); default: one per core. */
  constructor(domain: ChainDomain, threads = availableParallelism()) {
    this.domain = domain;
    const env = threads > 0 ? workerEnv() : undefined;
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./sigverify-worker.ts', import.meta.url), { workerData: domain, env });
      w.on('message', (m: { id: number; verdicts: Uint8Array }) => {
        this.inflight[i]! -= 1;
        if (this.inflight[i] === 0) w.unref(); // an idle pool must not keep the process alive
        this.callbacks.get(m.id)?.done(m.verdicts);
        this.callbacks.delete(m.id);
        this.dispatch();
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
        this.dispatch();
      });
      w.unref();
      this.exits.push(new Promise((resolve) => w.once('exit', () => resolve())));
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

  /**
   * The verdicts of `txs`, in order, as one promise: a block's transactions wait on one counter, not on a
   * promise each gathered by Promise.all (this runs for every block imported, on the import's thread).
   */
  verifyTxs(txs: readonly TxEnvelope[]): Promise<boolean[]> {
    const verdicts = new Array<boolean>(txs.length);
    let waiting = 0;
    let settle!: (verdicts: boolean[]) => void;
    const all = new Promise<boolean[]>((resolve) => {
      settle = resolve;
    });
    for (let i = 0; i < txs.length; i++) {
      const known = this.request(txs[i]!);
      if (typeof known === 'boolean') {
        verdicts[i] = known;
        continue;
      }
      waiting++;
      known.waiters.push((ok) => {
        verdicts[i] = ok;
        if (--waiting === 0) settle(verdicts);
      });
    }
    if (waiting === 0) settle(verdicts);
    else this.dispatch();
    return all;
  }

  verifyTx(env: TxEnvelope): Promise<boolean> {
    const known = this.request(env);
    if (typeof known === 'boolean') return Promise.resolve(known);
    const verdict = new Promise<boolean>((resolve) => known.waiters.push(resolve));
    this.dispatch();
    return verdict;
  }

  /**
   * The verdict from the cache (or verified here when there are no workers), else the verification
   * under way or newly queued (not yet dispatched) for the caller to wait on.
   */
  private request(env: TxEnvelope): boolean | Pending {
    const hit = this.cache.get(env.id);
    if (hit !== undefined) {
      this.stats.cacheHits++;
      return hit;
    }
    if (this.workers.length === 0) {
      const ok = this.verifyInline(env);
      this.stats.verified++;
      this.remember(env.id, ok);
      return ok;
    }
    const running = this.inProgress.get(env.id);
    if (running) {
      this.stats.cacheHits++;
      return running;
    }
    // Queued only with its entry in inProgress: a dispatch that verifies on this thread (every worker
    // dead) settles and removes it at once.
    const pending: Pending = { env, waiters: [] };
    this.inProgress.set(env.id, pending);
    this.queue.push(pending);
    return pending;
  }

  /** Records a verdict and hands it to everyone waiting for it. */
  private settle(p: Pending, ok: boolean): void {
    this.stats.verified++;
    this.remember(p.env.id, ok);
    this.inProgress.delete(p.env.id);
    for (const waiter of p.waiters) waiter(ok);
  }

  private verifyInline(env: TxEnvelope): boolean {
    return verifyFast(env.tx.signature, sighashPreimage(env.tx, this.domain), env.tx.senderPubKey);
  }

  /**
   * Sends the queue to workers with room: first a short batch to each worker with nothing in flight,
   * then a batch of at most MAX_CHUNK to each worker holding one, equal shares of what is queued; the
   * rest waits for the first answer. If every worker has died, verifies on this thread.
   */
  private dispatch(): void {
    if (this.queue.length === 0) return;
    if (this.inflight.every((n) => n === Number.POSITIVE_INFINITY)) {
      const queue = this.queue;
      this.queue = [];
      for (const p of queue) this.settle(p, this.verifyInline(p.env));
      return;
    }
    for (let held = 0; held < MAX_IN_FLIGHT; held++) {
      const room: number[] = [];
      this.inflight.forEach((n, w) => {
        if (n === held) room.push(w);
      });
      const limit = held === 0 ? FIRST_CHUNK : MAX_CHUNK;
      room.forEach((w, k) => {
        if (this.queue.length === 0) return;
        const share = Math.ceil(this.queue.length / (room.length - k));
        this.send(w, this.queue.splice(0, Math.min(limit, share)));
      });
    }
  }

  private send(w: number, chunk: Pending[]): void {
    const id = this.nextId++;
    this.stats.batches++;
    this.inflight[w]! += 1;
    this.workers[w]!.ref(); // pending verdicts keep the process alive
    this.callbacks.set(id, {
      worker: w,
      chunk,
      done: (verdicts) => {
        for (let k = 0; k < chunk.length; k++)
          this.settle(chunk[k]!, verdicts[k] === 1 || verdicts[k] === true);
      },
    });
    const batch = packBatch(
      id,
      chunk.map((p) => p.env.bytes),
    );
    this.workers[w]!.postMessage(batch, [batch.bytes, batch.ends.buffer as ArrayBuffer]);
  }

  /**
   * Stops the workers gracefully: each answers what it was sent, then exits by itself. terminate() is
   * only the fallback after CLOSE_GRACE_MS, because terminating a worker while it runs native code (the
   * libsecp256k1 addon loading, or a call into it throwing) can abort the whole process (node-addon-api
   * treats a throw into a terminating environment as fatal). Anything asked for after close() is
   * verified on this thread.
   */
  async close(): Promise<void> {
    this.inflight.fill(Number.POSITIVE_INFINITY);
    await Promise.all(
      this.workers.map(async (w, i) => {
        w.ref(); // the exit must be awaited even when nothing else keeps the process alive
        w.postMessage(CLOSE_MESSAGE);
        const fallback = setTimeout(() => void w.terminate(), CLOSE_GRACE_MS);
        await this.exits[i];
        clearTimeout(fallback);
      }),
    );
    this.dispatch();
  }
}
