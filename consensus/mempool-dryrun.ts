// Dry-runs of pending contract calls against the head state, kept while their verdict cannot have changed.
// A call next in line is run against the head state at admission and, before this, again at every new
// head: O(pending) contract executions per block on every node. Its verdict depends only on the state
// keys it reads, on the next block's timestamp if its body reads it, and on the next block's miner and
// parameters. Its admission rule (the time) is checked apart at every head, and the height only stamps
// records (runtime.ts, BlockContext). So a pass is kept across a head change that wrote none of the keys
// it read, and the call is run again only when one was written, its body read the time, or the context
// changed otherwise. A head change the pool was not told about (the head state's version moved by more
// than one) drops every pass: a pass is never carried over writes it did not see.
import type { BlockContext } from '../contracts-vm/runtime.ts';
import type { VersionedStateReader } from '../contracts-vm/state.ts';
import { type DryRunReads, dryRunTx } from '../contracts-vm/transition.ts';
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import type { TxEnvelope } from '../protocol/tx.ts';

/** A dry-run a call passed, with what its verdict depends on. */
export interface DryRunPass {
  reads: DryRunReads;
  /** The head state's version the pass holds at (where it was made, or carried to since). */
  version: number;
  miner: Address;
  params: ChainParams;
}

/**
 * Why a call is dry-run: its admission (a new transaction, the check after its signature, or one a
 * disconnected block gave back), or a new head (the pool's prune).
 */
export type DryRunOccasion = 'admission' | 'head';

/** Per occasion, dry-runs made and dry-runs saved (a pass still held), since the pool was created. */
export type DryRunCounts = Record<DryRunOccasion, { run: number; reused: number }>;

/** Whether the two key sets meet; walks the smaller one. */
function meets(read: ReadonlySet<string>, written: ReadonlyMap<string, unknown>): boolean {
  if (read.size <= written.size) {
    for (const k of read) if (written.has(k)) return true;
  } else {
    for (const k of written.keys()) if (read.has(k)) return true;
  }
  return false;
}

export class DryRunner {
  readonly counts: DryRunCounts = { admission: { run: 0, reused: 0 }, head: { run: 0, reused: 0 } };
  private readonly head: VersionedStateReader;

  constructor(head: VersionedStateReader) {
    this.head = head;
  }

  /** Whether `pass` still gives the verdict of a run against the head state in the context `ctx`. */
  holds(pass: DryRunPass | undefined, ctx: BlockContext): pass is DryRunPass {
    return (
      pass !== undefined &&
      pass.version === this.head.version &&
      !pass.reads.timestamp &&
      pass.miner === ctx.miner &&
      pass.params === ctx.params
    );
  }

  /**
   * The call's pass against the head state: `earlier` if it still holds, else a new run's (counted under
   * `occasion`). Throws the run's TxError when the call fails.
   */
  run(env: TxEnvelope, ctx: BlockContext, occasion: DryRunOccasion, earlier?: DryRunPass): DryRunPass {
    const counts = this.counts[occasion];
    if (this.holds(earlier, ctx)) {
      counts.reused++;
      return earlier;
    }
    counts.run++;
    const reads = dryRunTx(this.head, env, ctx);
    return { reads, version: this.head.version, miner: ctx.miner, params: ctx.params };
  }

  /**
   * The pass after a head change that wrote `written` (the head state already moved): carried to the new
   * version if it read none of those keys and the change is the only one since the pass, else undefined.
   */
  carry(pass: DryRunPass, written: ReadonlyMap<string, unknown>): DryRunPass | undefined {
    if (pass.version !== this.head.version - 1 || meets(pass.reads.keys, written)) return undefined;
    return { ...pass, version: this.head.version };
  }
}
