// The mempool's pending transactions in memory: indexed by id and by sender and nonce, with the questions
// admission and mining ask of them (a sender's pending nonce, the eviction victim, a block template's
// selection). No rules about validity here: mempool.ts decides what enters and leaves.
import { getAccount } from '../contracts-vm/accounts.ts';
import type { StateReader } from '../contracts-vm/state.ts';
import type { checkTxStateless } from '../contracts-vm/transition.ts';
import type { TxEnvelope } from '../protocol/tx.ts';
import type { DryRunPass } from './mempool-dryrun.ts';

export type DecodedCall = ReturnType<typeof checkTxStateless>;

export interface Entry {
  env: TxEnvelope;
  /** Arrival order (ties in selection, eviction order); kept across restarts. */
  seq: number;
  /** Wall-clock arrival time (ms), for the queue's expiry; kept across restarts. */
  arrivedAt: number;
  /** The decoded call, for the admission rule that is checked again when the head moves. */
  call: DecodedCall;
  /** Its last dry-run against the head state, while it still holds (mempool-dryrun.ts). */
  pass?: DryRunPass;
}

export const byNonce = (a: Entry, b: Entry): number => (a.env.tx.nonce < b.env.tx.nonce ? -1 : 1);

export class PendingTxs {
  private readonly byId = new Map<string, Entry>();
  private readonly bySender = new Map<string, Map<bigint, Entry>>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  /** One sender's entries by nonce (undefined when it has none). */
  ofSender(sender: string): ReadonlyMap<bigint, Entry> | undefined {
    return this.bySender.get(sender);
  }

  /** Every sender with its entries (a copy: callers may remove entries while they walk it). */
  senders(): [string, Entry[]][] {
    return [...this.bySender].map(([s, m]) => [s, [...m.values()].sort(byNonce)]);
  }

  /** Every sender's entries by nonce, live (do not remove entries while walking it). */
  senderMaps(): IterableIterator<[string, ReadonlyMap<bigint, Entry>]> {
    return this.bySender.entries();
  }

  /** Entries in arrival order. */
  values(): IterableIterator<Entry> {
    return this.byId.values();
  }

  insert(e: Entry): void {
    this.byId.set(e.env.id, e);
    let m = this.bySender.get(e.env.sender);
    if (!m) this.bySender.set(e.env.sender, (m = new Map()));
    m.set(e.env.tx.nonce, e);
  }

  /** Removes the entry if it is still the one held for its id; says whether it did. */
  unlink(e: Entry): boolean {
    const id = e.env.id;
    if (this.byId.get(id) !== e) return false;
    this.byId.delete(id);
    const m = this.bySender.get(e.env.sender)!;
    m.delete(e.env.tx.nonce);
    if (m.size === 0) this.bySender.delete(e.env.sender);
    return true;
  }

  /** The sender's next nonce after its pending transactions that follow its account nonce without a gap. */
  pendingNonce(sender: string, accountNonce: bigint): bigint {
    const m = this.bySender.get(sender);
    let n = accountNonce;
    if (m) while (m.has(n)) n++;
    return n;
  }

  /** The cheapest transaction that is the last of its sender's (evicting it leaves no nonce gap). */
  evictionVictim(fee: bigint): Entry | undefined {
    let victim: Entry | undefined;
    for (const m of this.bySender.values()) {
      let last: Entry | undefined;
      for (const e of m.values()) if (!last || e.env.tx.nonce > last.env.tx.nonce) last = e;
      if (
        last &&
        last.env.tx.fee < fee &&
        (!victim ||
          last.env.tx.fee < victim.env.tx.fee ||
          (last.env.tx.fee === victim.env.tx.fee && last.seq > victim.seq))
      ) {
        victim = last;
      }
    }
    return victim;
  }

  /**
   * Transactions for a block template: per sender a run of consecutive nonces from the account nonce,
   * merged across senders by fee (highest first), then arrival order; within the given limits.
   */
  select(state: StateReader, maxTxs: number, maxBytes: number): TxEnvelope[] {
    const queues: Entry[][] = [];
    for (const [sender, m] of this.bySender) {
      let nonce = getAccount(state, sender).nonce;
      const run: Entry[] = [];
      for (let e = m.get(nonce); e; e = m.get(++nonce)) run.push(e);
      if (run.length > 0) queues.push(run);
    }
    const out: TxEnvelope[] = [];
    let bytes = 0;
    const heads = queues.map(() => 0);
    while (out.length < maxTxs) {
      let best = -1;
      for (let q = 0; q < queues.length; q++) {
        const e = queues[q]![heads[q]!];
        if (!e) continue;
        const b = best >= 0 ? queues[best]![heads[best]!]! : undefined;
        if (!b || e.env.tx.fee > b.env.tx.fee || (e.env.tx.fee === b.env.tx.fee && e.seq < b.seq)) best = q;
      }
      if (best < 0) break;
      const e = queues[best]![heads[best]!]!;
      if (bytes + e.env.bytes.length + 4 > maxBytes) {
        heads[best] = queues[best]!.length; // the rest of this sender's run must wait for the next block
        continue;
      }
      out.push(e.env);
      bytes += e.env.bytes.length + 4;
      heads[best]! += 1;
    }
    return out;
  }
}
