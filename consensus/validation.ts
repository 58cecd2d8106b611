// Block checks before anything is stored, cheapest first: context-free (neither parent nor state), then
// contextual (the parent and its ancestors' headers, and the clock passed in). Pure: no I/O, no wall clock.
import {
  type Block,
  type BlockHeader,
  computeTxRoot,
  HEADER_BYTES,
  HEADER_VERSION,
} from '../protocol/block.ts';
import { bytesEqual } from '../protocol/bytes.ts';
import { type AsertParams, bitsToTarget, nextBits } from '../protocol/difficulty.ts';
import { BlockError, BlockErrorCode as E } from '../protocol/errors.ts';
import type { ChainParams } from '../protocol/params.ts';
import { type BlockNode, BlockStatus } from './fork-choice.ts';

/** How many blocks (a block and its ancestors) the median time past is taken over. */
export const MEDIAN_TIME_SPAN = 11;

/** aserti3-2d anchored at genesis, whose parent time is taken as genesis time minus one block time. */
export function asertParamsOf(params: ChainParams): AsertParams {
  return {
    anchorBits: params.initialBits,
    anchorHeight: 0,
    anchorParentTime: params.timestamp - params.blockTimeMs,
    blockTimeMs: params.blockTimeMs,
    halfLifeMs: params.halfLifeMs,
    powLimitBits: params.powLimitBits,
  };
}

/** Encoded size of a block, computed without encoding it. */
export function blockSize(b: Block): number {
  let n = HEADER_BYTES + 20 + 4;
  for (const t of b.txs) n += 4 + t.bytes.length;
  return n;
}

export interface CheckFailure {
  error: BlockError;
  /**
   * Whether the header itself is at fault (remember the hash as invalid). A body that does not match its
   * header says nothing about the header: anyone can mutate a body in transit, so the real block with the
   * same hash must still be accepted later. Of the contextual checks only a timestamp too far ahead is not
   * the header's fault: the block is held and tried again when its time has come.
   */
  headerAtFault: boolean;
}

/** The context-free checks of a block whose header hash is `id` (hex); returns the target on success. */
export function checkContextFree(
  block: Block,
  id: string,
  params: ChainParams,
): { target: bigint } | CheckFailure {
  const { header } = block;
  if (header.version !== HEADER_VERSION)
    return { error: new BlockError(E.BAD_VERSION, `version ${header.version}`), headerAtFault: true };
  const target = bitsToTarget(header.bits);
  if (target === null || target > bitsToTarget(params.powLimitBits)!) {
    return {
      error: new BlockError(E.BAD_BITS, `bits 0x${header.bits.toString(16)} out of range`),
      headerAtFault: true,
    };
  }
  // Proof of work is cheap to check and expensive to fake, but a failing hash is not remembered: it costs
  // nothing to send and remembering it would only fill the cache.
  if (BigInt(`0x${id}`) > target)
    return { error: new BlockError(E.POW_ABOVE_TARGET, `hash ${id} above target`), headerAtFault: false };
  if (block.txs.length > params.maxBlockTxs)
    return {
      error: new BlockError(E.TOO_MANY_TXS, `${block.txs.length} transactions`),
      headerAtFault: false,
    };
  const size = blockSize(block);
  if (size > params.maxBlockBytes)
    return { error: new BlockError(E.BLOCK_TOO_LARGE, `${size} bytes`), headerAtFault: false };
  if (!bytesEqual(computeTxRoot(block.miner, block.txs), header.txRoot)) {
    return {
      error: new BlockError(E.BAD_TX_ROOT, 'transactions do not match the header'),
      headerAtFault: false,
    };
  }
  // The Merkle root matched, so the header commits to this list: a duplicate makes the header invalid.
  const ids = new Set<string>();
  for (const t of block.txs) {
    if (ids.has(t.id))
      return {
        error: new BlockError(E.DUPLICATE_TX, `transaction ${t.id} appears twice`),
        headerAtFault: true,
      };
    ids.add(t.id);
  }
  return { target };
}

/** A block time in messages: ISO 8601, or the raw milliseconds when no date can show it (a hostile header). */
const when = (ms: number): string =>
  Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms after 1970-01-01`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;

/** Median of the timestamps of `node` and up to MEDIAN_TIME_SPAN - 1 ancestors. */
export function medianTimePast(node: BlockNode): number {
  const ts: number[] = [];
  for (let n: BlockNode | undefined = node; n && ts.length < MEDIAN_TIME_SPAN; n = n.parent)
    ts.push(n.header.timestamp);
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1]!;
}

/** The bits a child of `parent` must carry (aserti3-2d). */
export function expectedBits(asert: AsertParams, parent: BlockHeader): number {
  return nextBits(asert, parent.height, parent.timestamp);
}

/**
 * The checks of a header against its stored parent, in order: parent valid, height, difficulty, median
 * time past, and no more than the allowed drift ahead of `now` (the only use of a clock in validation).
 */
export function checkContextual(
  header: BlockHeader,
  parent: BlockNode,
  now: number,
  params: ChainParams,
  asert: AsertParams,
): CheckFailure | undefined {
  const invalid = (error: BlockError): CheckFailure => ({ error, headerAtFault: true });
  if (parent.status === BlockStatus.invalid)
    return invalid(new BlockError(E.PARENT_INVALID, `parent ${parent.id} is invalid`));
  if (header.height !== parent.header.height + 1)
    return invalid(new BlockError(E.BAD_HEIGHT, `height ${header.height} after ${parent.header.height}`));
  const bits = expectedBits(asert, parent.header);
  if (header.bits !== bits)
    return invalid(
      new BlockError(
        E.WRONG_DIFFICULTY,
        `bits 0x${header.bits.toString(16)}, expected 0x${bits.toString(16)}`,
      ),
    );
  const mtp = medianTimePast(parent);
  if (header.timestamp <= mtp)
    return invalid(
      new BlockError(
        E.TIMESTAMP_TOO_OLD,
        `timestamp ${when(header.timestamp)} is not after the median time past ${when(mtp)} (the median of the last ${MEDIAN_TIME_SPAN} blocks' times)`,
      ),
    );
  if (header.timestamp > now + params.maxFutureDriftMs) {
    return {
      error: new BlockError(
        E.TIMESTAMP_IN_FUTURE,
        `timestamp ${when(header.timestamp)} is ${seconds(header.timestamp - now)} ahead of our clock (${when(now)}); at most ${seconds(params.maxFutureDriftMs)} allowed`,
      ),
      headerAtFault: false,
    };
  }
  return undefined;
}

/**
 * Whether a block's signatures are worth verifying before its turn to be imported (the chain's prefetch):
 * its parent's header is known (stored, or itself let through here), it extends it by one with the
 * difficulty aserti3-2d requires after it, and its hash meets that target. So a peer can make us verify
 * signatures early only for blocks that carry real proof of work at the chain's difficulty, which is
 * what it takes to make us verify them at import anyway. Pure: the verdicts come from import as before.
 */
export function worthPrefetching(
  header: BlockHeader,
  id: string,
  parent: BlockHeader | undefined,
  asert: AsertParams,
): boolean {
  if (!parent || header.height !== parent.height + 1) return false;
  if (header.bits !== expectedBits(asert, parent)) return false;
  const target = bitsToTarget(header.bits);
  return target !== null && BigInt(`0x${id}`) <= target;
}
