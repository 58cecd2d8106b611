// Pending transactions. Admission checks run cheapest first: size and decoding (by the caller), duplicate,
// stateless rules, nonce window and funds against the head state, and the signature last (in a worker).
// Selection for a block takes each sender's transactions in nonce order from its account nonce, and
// across senders the highest fee first (ties: earliest arrival).

import { getAccount, spendable } from '../contracts-vm/accounts.ts';
import type { BlockContext } from '../contracts-vm/runtime.ts';
import type { StateReader } from '../contracts-vm/state.ts';
import { checkTxAgainstState, checkTxStateless, dryRunTx } from '../contracts-vm/transition.ts';
import type { Block } from '../protocol/block.ts';
import { TxError, TxErrorCode } from '../protocol/errors.ts';
import type { ChainParams } from '../protocol/params.ts';
import { type TxEnvelope, txCost } from '../protocol/tx.ts';
import type { HeadChange } from './chain.ts';

export interface MempoolOptions {
  maxSize: number;
  maxPerSender: number;
  /** Admitted nonces are below account nonce + maxNonceGap (out-of-order arrival). */
  maxNonceGap: number;
}

export const DEFAULT_MEMPOOL_OPTIONS: MempoolOptions = {
  maxSize: 20_000,
  maxPerSender: 2_000,
  maxNonceGap: 256,
};

interface Entry {
  env: TxEnvelope;
  seq: number;
}

export interface MempoolHost {
  params: ChainParams;
  readonly headState: StateReader;
  verifier: { verifyTx(env: TxEnvelope): Promise<boolean> };
  /** Context of the next block, to run contract calls against the head state before admitting them. */
  nextBlockContext?: () => BlockContext;
}

export class Mempool {
  private readonly host: MempoolHost;
  private readonly opts: MempoolOptions;
  private readonly byId = new Map<string, Entry>();
  private readonly bySender = new Map<string, Map<bigint, Entry>>();
  private seq = 0;
  /** Called after a transaction is admitted (for gossip and subscribers). */
  onAdded?: (env: TxEnvelope) => void;

  constructor(host: MempoolHost, opts: Partial<MempoolOptions> = {}) {
    this.host = host;
    this.opts = { ...DEFAULT_MEMPOOL_OPTIONS, ...opts };
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): TxEnvelope | undefined {
    return this.byId.get(id)?.env;
  }

  /** Ids of pending transactions, oldest first (what a peer's mempool sync asks for). */
  pendingIds(limit: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const e of this.byId.values()) {
      if (out.length >= limit) break;
      out.push(e.env.hash);
    }
    return out;
  }

  /** Pending transactions of one sender, in nonce order. */
  pendingOf(sender: string): TxEnvelope[] {
    const m = this.bySender.get(sender);
    return m
      ? [...m.values()].sort((a, b) => (a.env.tx.nonce < b.env.tx.nonce ? -1 : 1)).map((e) => e.env)
      : [];
  }

  /** Checks that need no signature; throws TxError. Returns the entry a valid tx would replace, if any. */
  private precheck(env: TxEnvelope): Entry | undefined {
    if (this.byId.has(env.id))
      throw new TxError(TxErrorCode.ALREADY_KNOWN, `transaction ${env.id} is already pending`);
    checkTxStateless(env, this.host.params);
    const { tx, sender } = env;
    const mine = this.bySender.get(sender);
    const replaced = mine?.get(tx.nonce);
    // The transition's own nonce and funds check, widened to the pool's nonce window (a gap of G admits
    // nonces below account nonce + G) and to the funds the sender's other pending transactions need.
    const acct = checkTxAgainstState(this.host.headState, env, {
      maxNonceAhead: BigInt(this.opts.maxNonceGap - 1),
      othersCost: () => this.othersCost(env, mine, replaced),
    });
    // A contract call that is next in line is run against the head state: a bid after its gate, from an
    // unregistered account or over its funds is refused now, with the contract's reason.
    if (tx.payload.kind === 'call' && tx.nonce === acct.nonce && this.host.nextBlockContext) {
      dryRunTx(this.host.headState, env, this.host.nextBlockContext());
    }
    if (!replaced && this.byId.size >= this.opts.maxSize && !this.evictionVictim(tx.fee)) {
      throw new TxError(
        TxErrorCode.MEMPOOL_FULL,
        `mempool holds ${this.byId.size} transactions and none pays less than ${tx.fee}`,
      );
    }
    return replaced;
  }

  /**
   * What the sender's other pending transactions cost beside `env` (a replaced one excluded). Runs inside
   * the state check, after the nonce rules and before the funds rule, and refuses an underpriced
   * replacement or a sender at its limit there.
   */
  private othersCost(
    env: TxEnvelope,
    mine: Map<bigint, Entry> | undefined,
    replaced: Entry | undefined,
  ): bigint {
    const { tx } = env;
    if (replaced && tx.fee <= replaced.env.tx.fee) {
      throw new TxError(
        TxErrorCode.REPLACEMENT_UNDERPRICED,
        `a transaction with nonce ${tx.nonce} and fee ${replaced.env.tx.fee} is pending; a replacement must pay more`,
      );
    }
    if (!replaced && mine && mine.size >= this.opts.maxPerSender) {
      throw new TxError(TxErrorCode.SENDER_LIMIT, `sender has ${mine.size} pending transactions`);
    }
    let others = 0n;
    if (mine) for (const e of mine.values()) if (e !== replaced) others += txCost(e.env.tx);
    return others;
  }

  /** Validates and admits a transaction; throws TxError with the reason when it is refused. */
  async add(env: TxEnvelope): Promise<void> {
    this.precheck(env);
    if (!(await this.host.verifier.verifyTx(env))) {
      throw new TxError(TxErrorCode.BAD_SIGNATURE, 'signature does not verify for this chain');
    }
    // The head may have moved while the signature was checked: check again, synchronously, then insert.
    const replaced = this.precheck(env);
    if (replaced) this.remove(replaced.env.id);
    else if (this.byId.size >= this.opts.maxSize) this.remove(this.evictionVictim(env.tx.fee)!.env.id);
    this.insert(env);
    this.onAdded?.(env);
  }

  private insert(env: TxEnvelope): void {
    const e: Entry = { env, seq: this.seq++ };
    this.byId.set(env.id, e);
    let m = this.bySender.get(env.sender);
    if (!m) this.bySender.set(env.sender, (m = new Map()));
    m.set(env.tx.nonce, e);
  }

  remove(id: string): void {
    const e = this.byId.get(id);
    if (!e) return;
    this.byId.delete(id);
    const m = this.bySender.get(e.env.sender)!;
    m.delete(e.env.tx.nonce);
    if (m.size === 0) this.bySender.delete(e.env.sender);
  }

  /** The cheapest transaction that is the last of its sender's (evicting it leaves no nonce gap). */
  private evictionVictim(fee: bigint): Entry | undefined {
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

  /**
   * Follows the head: drops what the new chain included or made invalid, and offers the transactions
   * of disconnected blocks again (their signatures are cached, so this is cheap).
   */
  async onHeadChange(change: HeadChange): Promise<void> {
    for (const b of change.connected) for (const t of b.txs) this.remove(t.id);
    this.prune();
    const included = new Set<string>();
    for (const b of change.connected) for (const t of b.txs) included.add(t.id);
    const back: TxEnvelope[] = [];
    for (const b of [...change.disconnected].reverse() as Block[])
      for (const t of b.txs) if (!included.has(t.id)) back.push(t);
    for (const t of back) {
      try {
        await this.add(t);
      } catch {
        // now invalid (spent on the new chain, or its nonce is taken): it is gone, as it should be
      }
    }
  }

  /**
   * Removes transactions whose nonce is used or whose sender can no longer pay for them, and contract
   * calls next in line that the new head state refuses (e.g. a bid whose gate has closed).
   */
  prune(): void {
    const ctx = this.host.nextBlockContext?.();
    for (const [sender, m] of [...this.bySender]) {
      const acct = getAccount(this.host.headState, sender);
      let budget = spendable(acct);
      for (const e of [...m.values()].sort((a, b) => (a.env.tx.nonce < b.env.tx.nonce ? -1 : 1))) {
        const cost = txCost(e.env.tx);
        if (
          e.env.tx.nonce < acct.nonce ||
          cost > budget ||
          (ctx && e.env.tx.nonce === acct.nonce && !this.runs(e.env, ctx))
        ) {
          this.remove(e.env.id);
        } else budget -= cost;
      }
    }
  }

  private runs(env: TxEnvelope, ctx: BlockContext): boolean {
    if (env.tx.payload.kind !== 'call') return true;
    try {
      dryRunTx(this.host.headState, env, ctx);
      return true;
    } catch (err) {
      if (err instanceof TxError) return false;
      throw err;
    }
  }
}
