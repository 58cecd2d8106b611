// Importing a run of blocks (range sync) in one turn of the chain's queue: each header is checked and added
// as one-by-one import would, and each stretch of consecutive blocks is then connected in one switch and
// written in one LevelDB batch instead of one per block. Every block's outcome is the one one-by-one
// import would have settled for it (test/unit/consensus/run-import.test.ts).

import type { Block } from '../protocol/block.ts';
import { BlockError } from '../protocol/errors.ts';
import { LedgerBatch } from './db.ts';
import type { BlockNode } from './fork-choice.ts';

export type ProcessStatus = 'head' | 'side-chain';

export const fulfilled = (value: ProcessStatus): PromiseFulfilledResult<ProcessStatus> => ({
  status: 'fulfilled',
  value,
});
export const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason });

/** The steps of one-by-one import that a run is made of (chain.ts). */
export interface RunSteps {
  /** Checks a block's header and adds it to the tree; throws the verdict. */
  accept(block: Block): { node: BlockNode; stored: LedgerBatch };
  /** Lets fork choice decide on `node`, writing `stored` with the switch it causes or alone. */
  activate(node: BlockNode, stored: LedgerBatch): Promise<void>;
  /** Where an accepted block ended up; throws its verdict if it turned out invalid. */
  outcomeOf(node: BlockNode): ProcessStatus;
  /** Imports the held orphans that were waiting for this block. */
  connectOrphansOf(id: string): Promise<void>;
  /**
   * The most blocks connected in one switch: an accepted block's body is only in the chain's bounded
   * cache until the switch writes it, so a longer stretch is connected in several.
   */
  maxRun: number;
}

/** Imports `blocks` in order; resolves with each one's outcome; rejects only on what is not a verdict. */
export async function importRun(
  blocks: readonly Block[],
  steps: RunSteps,
): Promise<PromiseSettledResult<ProcessStatus>[]> {
  const outcomes: PromiseSettledResult<ProcessStatus>[] = [];
  let run: BlockNode[] = [];
  let stored = new LedgerBatch();
  const flush = async () => {
    const last = run.at(-1);
    if (!last) return;
    await steps.activate(last, stored);
    for (const n of run) {
      try {
        outcomes.push(fulfilled(steps.outcomeOf(n)));
      } catch (reason) {
        outcomes.push(rejected(reason));
      }
    }
    for (const n of run) await steps.connectOrphansOf(n.id);
    run = [];
    stored = new LedgerBatch();
  };
  for (const block of blocks) {
    let accepted: { node: BlockNode; stored: LedgerBatch };
    try {
      accepted = steps.accept(block);
    } catch (reason) {
      if (!(reason instanceof BlockError)) throw reason;
      await flush();
      outcomes.push(rejected(reason));
      continue;
    }
    if (run.length > 0 && accepted.node.parent !== run.at(-1)) await flush();
    run.push(accepted.node);
    for (const op of accepted.stored.ops) stored.ops.push(op);
    if (run.length >= steps.maxRun) await flush();
  }
  await flush();
  return outcomes;
}
