// The mempool on disk (as Bitcoin Core's mempool.dat, but kept current instead of dumped at shutdown): its
// own LevelDB in the data directory (<datadir>/mempool), apart from the ledger, so that a transaction the
// node answered 202 survives a crash or a SIGKILL. On start the node reloads it and admits every
// transaction again against the head (mempool.ts, `restore`).
//   'p' + tx id (32) -> pending transaction: arrival seq u64 | arrival time u64 (ms) | transaction bytes
//   'd' + tx id (32) -> dropped-transaction record (JSON, mempool-drops.ts)
// Changes are queued in memory in order and written in synced batches (fsync): a batch starts as soon as
// the previous one is on disk, holding everything queued meanwhile (group commit), so concurrent
// admissions share one fsync instead of queueing for one each. `flush()` resolves once every change
// queued before the call is on disk.
import { Level } from 'level';
import { concatBytes, DecodeError, fromHex, Reader, toHex, Writer } from '../protocol/bytes.ts';
import { envelopeFromBytes, type TxEnvelope } from '../protocol/tx.ts';
import { type DroppedTx, decodeDropped, encodeDropped } from './mempool-drops.ts';

const P = { pending: 0x70, dropped: 0x64 } as const;
const key = (p: number, id: string): Uint8Array => concatBytes(Uint8Array.of(p), fromHex(id, 32));

type Op = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** The mempool could not write to disk: the transaction was not acknowledged. */
export class MempoolStoreError extends Error {
  override name = 'MempoolStoreError';
}

/** A pending transaction as stored: it keeps its place in the arrival order and its age across restarts. */
export interface StoredTx {
  env: TxEnvelope;
  seq: number;
  arrivedAt: number;
}

export interface LoadedMempool {
  /** Pending transactions in arrival order. */
  pending: StoredTx[];
  /** Dropped-transaction records, oldest first. */
  dropped: DroppedTx[];
  /** Entries that did not decode (deleted, each described). */
  corrupt: string[];
}

interface Batch {
  ops: Op[];
  done: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch nobody waits for (gossip admissions, removals) must not become an unhandled rejection: its
  // failure is reported through onError.
  done.catch(() => undefined);
  return { ops: [], done, resolve, reject };
}

export class MempoolStore {
  private readonly db: Level<Uint8Array, Uint8Array>;
  readonly path: string;
  private open: Batch = newBatch();
  private inFlight?: Batch;
  private scheduled = false;
  private closed = false;
  private batches = 0;
  /** Called when a batch fails to write (nobody may be waiting for it). */
  onError?: (err: Error) => void;

  private constructor(path: string) {
    this.path = path;
    this.db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  }

  static async open(path: string): Promise<MempoolStore> {
    const store = new MempoolStore(path);
    try {
      await store.db.open();
    } catch (err) {
      throw new MempoolStoreError(`cannot open the mempool store ${path}: ${(err as Error).message}`);
    }
    return store;
  }

  /** Synced batches written so far (each is one fsync, whatever the number of changes in it). */
  get batchesWritten(): number {
    return this.batches;
  }

  /** Everything stored; entries that do not decode are deleted and described in `corrupt`. */
  async load(): Promise<LoadedMempool> {
    const pending: StoredTx[] = [];
    const dropped: DroppedTx[] = [];
    const corrupt: string[] = [];
    for await (const [k, v] of this.db.iterator({
      gte: Uint8Array.of(P.pending),
      lt: Uint8Array.of(P.pending + 1),
    })) {
      const id = toHex(k.subarray(1));
      try {
        const r = new Reader(v);
        const seq = Number(r.u64('seq'));
        const arrivedAt = Number(r.u64('arrival time'));
        const env = envelopeFromBytes(v.slice(16));
        if (env.id !== id) throw new DecodeError(`stored under ${id} but its id is ${env.id}`);
        pending.push({ env, seq, arrivedAt });
      } catch (err) {
        corrupt.push(`pending ${id}: ${(err as Error).message}`);
        this.queue({ type: 'del', key: k });
      }
    }
    for await (const [k, v] of this.db.iterator({
      gte: Uint8Array.of(P.dropped),
      lt: Uint8Array.of(P.dropped + 1),
    })) {
      const id = toHex(k.subarray(1));
      try {
        dropped.push(decodeDropped(id, v));
      } catch (err) {
        corrupt.push((err as Error).message);
        this.queue({ type: 'del', key: k });
      }
    }
    pending.sort((a, b) => a.seq - b.seq);
    dropped.sort((a, b) => a.seq - b.seq);
    return { pending, dropped, corrupt };
  }

  putTx(s: StoredTx): void {
    const head = new Writer().u64(BigInt(s.seq)).u64(BigInt(s.arrivedAt)).finish();
    this.queue({ type: 'put', key: key(P.pending, s.env.id), value: concatBytes(head, s.env.bytes) });
  }

  delTx(id: string): void {
    this.queue({ type: 'del', key: key(P.pending, id) });
  }

  putDropped(d: DroppedTx): void {
    this.queue({ type: 'put', key: key(P.dropped, d.id), value: encodeDropped(d) });
  }

  delDropped(id: string): void {
    this.queue({ type: 'del', key: key(P.dropped, id) });
  }

  /** Resolves once every change queued so far is on disk; rejects with MempoolStoreError if it is not. */
  flush(): Promise<void> {
    if (this.open.ops.length > 0) return this.open.done;
    return this.inFlight?.done ?? Promise.resolve();
  }

  /** Writes what is queued, then closes; changes queued afterwards are ignored (the node is stopping). */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.open.ops.length > 0 || this.inFlight) await this.flush().catch(() => undefined);
    this.closed = true;
    await this.db.close();
  }

  private queue(op: Op): void {
    if (this.closed) return;
    this.open.ops.push(op);
    if (this.inFlight || this.scheduled) return;
    // Start on the next microtask: changes made in the same synchronous step share the batch.
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.writeNext();
    });
  }

  private writeNext(): void {
    if (this.inFlight || this.open.ops.length === 0) return;
    const batch = this.open;
    this.open = newBatch();
    this.inFlight = batch;
    void this.db
      .batch(batch.ops, { sync: true })
      .then(
        () => {
          this.batches++;
          batch.resolve();
        },
        (err: Error) => {
          const failure = new MempoolStoreError(`mempool store ${this.path}: write failed: ${err.message}`);
          batch.reject(failure);
          this.onError?.(failure);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        this.writeNext();
      });
  }
}
