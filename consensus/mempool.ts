// Pending transactions. Admission refuses at once what cannot be mined, cheapest checks first
// (mempool-admission.ts), the signature last (in a worker). Selection for a block takes each sender's
// transactions in nonce order from its account nonce, and across senders the highest fee first (ties:
// earliest arrival). Every admitted transaction ends in a main-chain block or in the drop log with a reason
// (mempool-drops.ts); with a store (mempool-store.ts) the pool and the log survive a crash.
import { EventEmitter } from 'node:events';
import { getAccount, spendable } from '../contracts-vm/accounts.ts';
import { formatDuration } from '../contracts-vm/contracts/intervals.ts';
import { type AdmissionContext, admitCall, type BlockContext } from '../contracts-vm/runtime.ts';
import type { StateReader, VersionedStateReader } from '../contracts-vm/state.ts';
import type { Block } from '../protocol/block.ts';
import { TxError, TxErrorCode } from '../protocol/errors.ts';
import type { ChainParams } from '../protocol/params.ts';
import { type TxEnvelope, txCost } from '../protocol/tx.ts';
import type { HeadChange } from './chain.ts';
import { AdmissionChecks } from './mempool-admission.ts';
import { causeOf, type DropCause, DropLog, type DroppedTx } from './mempool-drops.ts';
import { type DryRunCounts, DryRunner, type DryRunPass } from './mempool-dryrun.ts';
import { byNonce, type Entry, PendingTxs } from './mempool-pending.ts';
import { type MempoolStore, MempoolStoreError } from './mempool-store.ts';

/** How long after a call's gate the one-second sweep waits before it drops the call (see sweep). */
export const SWEEP_GRACE_MS = 2000;

export interface MempoolOptions {
  maxSize: number;
  maxPerSender: number;
  /**
   * How far a nonce may be ahead of the sender's pending nonce (its account nonce followed by its pending
   * transactions without a gap): nonces up to pending nonce + maxNonceGap are admitted (out-of-order
   * arrival); beyond, NONCE_TOO_HIGH.
   */
  maxNonceGap: number;
  /** A transaction that still cannot run next (a nonce gap before it) this long after it arrived expires. */
  queuedTtlMs: number;
  /** Dropped-transaction records kept (the oldest are forgotten first). */
  maxDropRecords: number;
}

export const DEFAULT_MEMPOOL_OPTIONS: MempoolOptions = {
  maxSize: 20_000,
  maxPerSender: 2_000,
  maxNonceGap: 16,
  queuedTtlMs: 5 * 60_000,
  maxDropRecords: 10_000,
};

export interface MempoolHost {
  params: ChainParams;
  /** The chain's head state; its version tells the pool whether it moved without a head change. */
  readonly headState: VersionedStateReader;
  verifier: { verifyTx(env: TxEnvelope): Promise<boolean> };
  /**
   * Context of the next block: contract calls run against the head state before they are admitted, and
   * admission rules see its timestamp, the earliest the next block can carry. Without it neither runs.
   */
  nextBlockContext?: () => BlockContext;
  /** The wall clock, for arrival times, expiry and drop records; tests inject their own. */
  now?: () => number;
  /** Where the pool is kept across restarts; without it the pool lives in memory only. */
  store?: MempoolStore;
}

/** What `restore` did with the stored transactions. */
export interface RestoreSummary {
  restored: number;
  /** Already in a main-chain block (the node stopped before it removed them). */
  included: number;
  /** No longer valid against the head: dropped, each with its reason. */
  dropped: number;
  /** Stored entries that did not decode (deleted). */
  corrupt: string[];
}

export class Mempool extends EventEmitter<{ added: [TxEnvelope]; dropped: [DroppedTx] }> {
  private readonly host: MempoolHost;
  private readonly opts: MempoolOptions;
  private readonly pending = new PendingTxs();
  private readonly drops: DropLog;
  private readonly now: () => number;
  private readonly dryRuns: DryRunner;
  private readonly checks: AdmissionChecks;
  private seq = 0;

  constructor(host: MempoolHost, opts: Partial<MempoolOptions> = {}) {
    super();
    this.host = host;
    this.opts = { ...DEFAULT_MEMPOOL_OPTIONS, ...opts };
    this.drops = new DropLog(this.opts.maxDropRecords);
    this.now = host.now ?? Date.now;
    this.dryRuns = new DryRunner(host.headState);
    this.checks = new AdmissionChecks(host, this.pending, this.opts, this.dryRuns);
  }

  /** Contract-call dry-runs made, and those saved because an earlier pass still held, by occasion. */
  get dryRunCounts(): Readonly<DryRunCounts> {
    return this.dryRuns.counts;
  }

  get size(): number {
    return this.pending.size;
  }

  has(id: string): boolean {
    return this.pending.get(id) !== undefined;
  }

  get(id: string): TxEnvelope | undefined {
    return this.pending.get(id)?.env;
  }

  /** Why a transaction this node had admitted left the pool unmined, if it did (and is still on record). */
  dropped(id: string): DroppedTx | undefined {
    return this.drops.get(id);
  }

  /** Ids of pending transactions, oldest first (what a peer's mempool sync asks for). */
  pendingIds(limit: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const e of this.pending.values()) {
      if (out.length >= limit) break;
      out.push(e.env.hash);
    }
    return out;
  }

  /** Pending transactions of one sender, in nonce order. */
  pendingOf(sender: string): TxEnvelope[] {
    const m = this.pending.ofSender(sender);
    return m ? [...m.values()].sort(byNonce).map((e) => e.env) : [];
  }

  /**
   * Validates and admits a transaction; throws TxError with the reason when it is refused. With `durable`
   * it resolves only once the transaction is on disk (MempoolStoreError, and it is not admitted, if the
   * write fails): what a node acknowledges survives a crash.
   */
  async add(env: TxEnvelope, opts: { durable?: boolean } = {}): Promise<void> {
    await this.admit(env);
    if (opts.durable && this.host.store) {
      try {
        await this.host.store.flush();
      } catch (err) {
        // Not acknowledged, so not dropped either: it simply was never admitted.
        const e = this.pending.get(env.id);
        if (e) this.unlink(e);
        throw err instanceof MempoolStoreError ? err : new MempoolStoreError(String(err));
      }
    }
  }

  private async admit(env: TxEnvelope, restored?: { seq: number; arrivedAt: number }): Promise<void> {
    const { pass } = this.checks.check(env);
    if (!(await this.host.verifier.verifyTx(env))) {
      throw new TxError(TxErrorCode.BAD_SIGNATURE, 'signature does not verify for this chain');
    }
    // The head may have moved while the signature was checked: check again, synchronously, then insert
    // (the dry-run is not repeated if the head state did not move and the call's body ignores the time).
    this.admitVerified(env, restored, pass);
  }

  /** Checks and inserts a transaction whose signature is known to be valid, synchronously. */
  private admitVerified(
    env: TxEnvelope,
    restored?: { seq: number; arrivedAt: number },
    earlier?: DryRunPass,
  ): void {
    const { replaced, call, pass } = this.checks.check(env, earlier);
    if (replaced) {
      this.drop(replaced, {
        reason: 'replaced',
        message: `replaced by ${env.id}, which has the same nonce ${env.tx.nonce} and pays fee ${env.tx.fee} base units (this one paid ${replaced.env.tx.fee})`,
        replacedBy: env.id,
      });
    } else if (this.pending.size >= this.opts.maxSize) {
      const victim = this.pending.evictionVictim(env.tx.fee)!;
      this.drop(victim, {
        reason: 'evicted',
        message: `evicted from the full mempool (${this.opts.maxSize} transactions) by ${env.id}, which pays fee ${env.tx.fee} base units (this one paid ${victim.env.tx.fee})`,
        replacedBy: env.id,
      });
    }
    const e: Entry = {
      env,
      seq: restored?.seq ?? ++this.seq,
      arrivedAt: restored?.arrivedAt ?? this.now(),
      call,
      pass,
    };
    this.pending.insert(e);
    if (this.drops.delete(env.id)) this.host.store?.delDropped(env.id);
    if (!restored) this.host.store?.putTx(e);
    this.emit('added', env);
  }

  /** Takes an entry out of the pool (and the store); no record: the caller says what became of it. */
  private unlink(e: Entry): void {
    if (this.pending.unlink(e)) this.host.store?.delTx(e.env.id);
  }

  /** Takes an entry out of the pool and records why (GET /v1/transactions/:id, the `dropped` event). */
  private drop(e: Entry, cause: DropCause): void {
    this.unlink(e);
    this.record(e.env, cause);
  }

  private record(env: TxEnvelope, cause: DropCause): void {
    const rec: DroppedTx = {
      id: env.id,
      sender: env.sender,
      nonce: env.tx.nonce,
      ...cause,
      time: this.now(),
      seq: ++this.seq,
    };
    for (const id of this.drops.add(rec)) this.host.store?.delDropped(id);
    this.host.store?.putDropped(rec);
    this.emit('dropped', rec);
  }

  /** A block template's transactions: see PendingTxs.select. */
  select(state: StateReader, maxTxs: number, maxBytes: number): TxEnvelope[] {
    return this.pending.select(state, maxTxs, maxBytes);
  }

  /**
   * Follows the head: removes what the new chain included, drops (with a reason) what it made invalid,
   * and offers the transactions of disconnected blocks again; one of those the new chain refuses is
   * dropped with the reason, as it had been acknowledged. All at once, synchronously: their signatures
   * were verified when their block was connected, so there is no moment in which a disconnected
   * transaction is missing and its sender's later nonces look like a gap to a new submission.
   */
  onHeadChange(change: HeadChange): void {
    const included = new Set<string>();
    for (const b of change.connected) {
      for (const t of b.txs) {
        included.add(t.id);
        const e = this.pending.get(t.id);
        if (e) this.unlink(e);
        // A transaction dropped here but mined elsewhere: the chain has the last word.
        if (this.drops.delete(t.id)) this.host.store?.delDropped(t.id);
      }
    }
    for (const e of this.pending.values()) if (e.pass) e.pass = this.dryRuns.carry(e.pass, change.written);
    this.prune();
    this.expire();
    const back: TxEnvelope[] = [];
    for (const b of [...change.disconnected].reverse() as Block[])
      for (const t of b.txs) if (!included.has(t.id)) back.push(t);
    for (const t of back) {
      try {
        this.admitVerified(t);
      } catch (err) {
        if (!(err instanceof TxError)) throw err;
        if (err.code !== TxErrorCode.ALREADY_KNOWN) this.record(t, causeOf(err));
      }
    }
  }

  /**
   * Drops, each with its reason, the transactions the head state and the next block's time refuse: nonce
   * used by another transaction, funds no longer enough, an admission rule that now fails (a gate that
   * closed while the call waited) and a contract call next in line that the head state refuses (run
   * again only if its last pass no longer holds: mempool-dryrun.ts).
   */
  private prune(): void {
    const ctx = this.host.nextBlockContext?.();
    const admission = this.checks.admissionContext();
    for (const [sender, entries] of this.pending.senders()) {
      const acct = getAccount(this.host.headState, sender);
      let budget = spendable(acct);
      for (const e of entries) {
        const { tx } = e.env;
        if (tx.nonce < acct.nonce) {
          this.drop(e, {
            reason: 'nonce-used',
            code: TxErrorCode.NONCE_TOO_LOW,
            message: `another transaction of the sender with nonce ${tx.nonce} is on the main chain (account nonce now ${acct.nonce})`,
          });
          continue;
        }
        const refusal =
          this.callRefusal(e, admission) ??
          (ctx && tx.nonce === acct.nonce && tx.payload.kind === 'call'
            ? this.refusal(() => (e.pass = this.dryRuns.run(e.env, ctx, 'head', e.pass)))
            : undefined);
        if (refusal) {
          this.drop(e, causeOf(refusal));
          continue;
        }
        const cost = txCost(tx);
        if (cost > budget) {
          this.drop(e, {
            reason: 'invalid',
            code: TxErrorCode.INSUFFICIENT_FUNDS,
            message: `the sender can no longer pay for it: with its earlier pending transactions it needs ${cost}, ${budget} is left of spendable ${spendable(acct)}`,
          });
          continue;
        }
        budget -= cost;
      }
    }
  }

  /** Why a pending call's admission rule refuses it at `ctx`'s time, if it does. */
  private callRefusal(e: Entry, ctx: AdmissionContext | undefined): TxError | undefined {
    const { call } = e;
    return call && ctx ? this.refusal(() => admitCall(call, ctx)) : undefined;
  }

  /** The TxError a check throws, if any (anything else is a bug and propagates). */
  private refusal(check: () => unknown): TxError | undefined {
    try {
      check();
      return undefined;
    } catch (err) {
      if (err instanceof TxError) return err;
      throw err;
    }
  }

  /**
   * The node's sweep, every second: drops the calls whose admission time rule the clock passed more than
   * SWEEP_GRACE_MS ago while they wait (a gate that closed: `gate-closed`), without waiting for the next
   * head, then expires what waited too long behind a nonce gap. The grace is for a block stamped just
   * before the gate that is still on its way: it may hold the call, and a drop the chain then overrules
   * would show a client `dropped` before `included`. A new head after the gate drops at once (prune), as
   * it always did.
   */
  sweep(now = this.now()): void {
    const admission = this.checks.admissionContext();
    const refused: { e: Entry; err: TxError }[] = [];
    if (admission) {
      const graced = { ...admission, timestamp: admission.timestamp - SWEEP_GRACE_MS };
      for (const e of this.pending.values()) {
        // Refused both with the grace and now (a bid for the interval whose window opened within the grace
        // is too far ahead only with it); the error of now says when the gate really closed.
        const err = this.callRefusal(e, graced) && this.callRefusal(e, admission);
        if (err) refused.push({ e, err });
      }
    }
    for (const { e, err } of refused) this.drop(e, causeOf(err));
    this.expire(now);
  }

  /**
   * Drops as expired the transactions that still cannot run next (a nonce gap before them) queuedTtlMs
   * after they arrived. Called by the sweep and on every head change.
   */
  expire(now = this.now()): void {
    const expired: { e: Entry; next: bigint }[] = [];
    for (const [sender, m] of this.pending.senderMaps()) {
      const account = getAccount(this.host.headState, sender).nonce;
      const next = this.pending.pendingNonce(sender, account);
      if (BigInt(m.size) === next - account) continue; // nothing behind a gap
      for (const e of m.values())
        if (e.env.tx.nonce > next && now - e.arrivedAt >= this.opts.queuedTtlMs) expired.push({ e, next });
    }
    for (const { e, next } of expired)
      this.drop(e, {
        reason: 'expired',
        message: `waited ${formatDuration(now - e.arrivedAt)} behind a nonce gap (the sender's next nonce is ${next}, this one is ${e.env.tx.nonce}); queued transactions expire after ${formatDuration(this.opts.queuedTtlMs)}`,
      });
  }

  /**
   * Reloads the store and admits every stored transaction again against the head (signatures checked
   * again), in nonce order so each sender's transactions follow each other. One already in a main-chain
   * block is removed; one the head refuses is dropped with its reason; then expiry runs.
   */
  async restore(isIncluded: (env: TxEnvelope) => Promise<boolean>): Promise<RestoreSummary> {
    const store = this.host.store;
    const summary: RestoreSummary = { restored: 0, included: 0, dropped: 0, corrupt: [] };
    if (!store) return summary;
    const loaded = await store.load();
    summary.corrupt = loaded.corrupt;
    for (const d of loaded.dropped) for (const id of this.drops.add(d)) store.delDropped(id);
    this.seq = Math.max(this.drops.maxSeq(), ...loaded.pending.map((s) => s.seq), 0);
    const ordered = [...loaded.pending].sort((a, b) =>
      a.env.tx.nonce === b.env.tx.nonce ? a.seq - b.seq : a.env.tx.nonce < b.env.tx.nonce ? -1 : 1,
    );
    for (const s of ordered) {
      try {
        await this.admit(s.env, { seq: s.seq, arrivedAt: s.arrivedAt });
      } catch (err) {
        if (!(err instanceof TxError)) throw err;
        store.delTx(s.env.id);
        if (await isIncluded(s.env)) summary.included++;
        else this.record(s.env, causeOf(err));
      }
    }
    this.expire();
    for (const s of ordered) if (this.has(s.env.id)) summary.restored++;
    summary.dropped = ordered.length - summary.restored - summary.included;
    await store.flush();
    return summary;
  }

  /** Writes what is queued and closes the store. */
  async close(): Promise<void> {
    await this.host.store?.close();
  }
}
