// What the mempool refuses at admission, cheapest checks first: size and decoding (by the caller),
// duplicate, the sender's public key, stateless rules, the called method's admission rule (e.g. the
// auction's gate, against the earliest time of the next block, whatever the nonce position), the nonce
// window, funds against the head state, a call next in line run against the head state, and a full pool
// that holds nothing cheaper. The signature is checked last, by the pool (in a worker), which then runs
// these checks again before it inserts. Nothing here changes the pool: mempool.ts acts on the verdict.
import { getAccount } from '../contracts-vm/accounts.ts';
import { type AdmissionContext, admitCall, type BlockContext } from '../contracts-vm/runtime.ts';
import type { VersionedStateReader } from '../contracts-vm/state.ts';
import { checkTxAgainstState, checkTxStateless } from '../contracts-vm/transition.ts';
import { toHex } from '../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../protocol/errors.ts';
import { isValidPublicKey } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import { type TxEnvelope, txCost } from '../protocol/tx.ts';
import type { DryRunner, DryRunPass } from './mempool-dryrun.ts';
import type { DecodedCall, Entry, PendingTxs } from './mempool-pending.ts';

/** What the checks read of the node (the pool's host): read at every check, as they may change. */
export interface AdmissionHost {
  params: ChainParams;
  readonly headState: VersionedStateReader;
  nextBlockContext?: () => BlockContext;
}

/** The pool's limits the checks apply (MempoolOptions). */
export interface AdmissionLimits {
  maxSize: number;
  maxPerSender: number;
  maxNonceGap: number;
}

/** A transaction the checks let through. */
export interface Admissible {
  /** The pending transaction of the same sender and nonce it would replace. */
  replaced?: Entry;
  call: DecodedCall;
  /** The call's dry-run pass, if it ran one (a call next in line). */
  pass?: DryRunPass;
}

export class AdmissionChecks {
  private readonly host: AdmissionHost;
  private readonly pending: PendingTxs;
  private readonly limits: AdmissionLimits;
  private readonly dryRuns: DryRunner;

  constructor(host: AdmissionHost, pending: PendingTxs, limits: AdmissionLimits, dryRuns: DryRunner) {
    this.host = host;
    this.pending = pending;
    this.limits = limits;
    this.dryRuns = dryRuns;
  }

  /** The admission time rules use: the earliest timestamp of the next block (undefined without a context). */
  admissionContext(): AdmissionContext | undefined {
    const ctx = this.host.nextBlockContext?.();
    return ctx && { params: ctx.params, timestamp: ctx.timestamp, admission: true };
  }

  /**
   * Checks that need no signature; throws TxError. `earlier`: the pass of the previous check of this
   * transaction, reused if it still holds.
   */
  check(env: TxEnvelope, earlier?: DryRunPass): Admissible {
    if (this.pending.get(env.id))
      throw new TxError(TxErrorCode.ALREADY_KNOWN, `transaction ${env.id} is already pending`);
    const { tx, sender } = env;
    if (!isValidPublicKey(tx.senderPubKey))
      throw new TxError(
        TxErrorCode.BAD_PUBKEY,
        `sender public key ${toHex(tx.senderPubKey)} is not a compressed secp256k1 point (prefix 02 or 03, on the curve)`,
      );
    const call = checkTxStateless(env, this.host.params);
    const admission = this.admissionContext();
    if (call && admission) admitCall(call, admission);
    const mine = this.pending.ofSender(sender);
    const replaced = mine?.get(tx.nonce);
    const account = getAccount(this.host.headState, sender);
    const pending = this.pending.pendingNonce(sender, account.nonce);
    const limit = pending + BigInt(this.limits.maxNonceGap);
    if (tx.nonce > limit)
      throw new TxError(
        TxErrorCode.NONCE_TOO_HIGH,
        `nonce ${tx.nonce} is more than ${this.limits.maxNonceGap} ahead of the sender's pending nonce ${pending} (account nonce ${account.nonce}, ${pending - account.nonce} pending after it): send nonce ${pending} first`,
      );
    // The transition's own nonce and funds check, widened to the window above and to the funds the
    // sender's other pending transactions need.
    const acct = checkTxAgainstState(this.host.headState, env, {
      maxNonceAhead: limit - account.nonce,
      othersCost: () => this.othersCost(env, mine, replaced),
    });
    // A contract call that is next in line is run against the head state: a bid from an unregistered
    // account or over its funds is refused now, with the contract's reason.
    const ctx = this.host.nextBlockContext?.();
    const pass =
      tx.payload.kind === 'call' && tx.nonce === acct.nonce && ctx
        ? this.dryRuns.run(env, ctx, 'admission', earlier)
        : undefined;
    if (!replaced && this.pending.size >= this.limits.maxSize && !this.pending.evictionVictim(tx.fee)) {
      throw new TxError(
        TxErrorCode.MEMPOOL_FULL,
        `mempool holds ${this.pending.size} transactions and none pays less than ${tx.fee}`,
      );
    }
    return { replaced, call, pass };
  }

  /**
   * What the sender's other pending transactions cost beside `env` (a replaced one excluded). Runs inside
   * the state check, after the nonce rules and before the funds rule, and refuses an underpriced
   * replacement or a sender at its limit there.
   */
  private othersCost(
    env: TxEnvelope,
    mine: ReadonlyMap<bigint, Entry> | undefined,
    replaced: Entry | undefined,
  ): bigint {
    const { tx } = env;
    if (replaced && tx.fee <= replaced.env.tx.fee) {
      throw new TxError(
        TxErrorCode.REPLACEMENT_UNDERPRICED,
        `a transaction with nonce ${tx.nonce} and fee ${replaced.env.tx.fee} base units is pending; a replacement must pay more`,
      );
    }
    if (!replaced && mine && mine.size >= this.limits.maxPerSender) {
      throw new TxError(TxErrorCode.SENDER_LIMIT, `sender has ${mine.size} pending transactions`);
    }
    let others = 0n;
    if (mine) for (const e of mine.values()) if (e !== replaced) others += txCost(e.env.tx);
    return others;
  }
}
