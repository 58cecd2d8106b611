// Block checks that need neither the parent nor the state, cheapest first: run before anything is stored.
import { type Block, computeTxRoot, HEADER_BYTES, HEADER_VERSION } from '../protocol/block.ts';
import { bytesEqual } from '../protocol/bytes.ts';
import { type AsertParams, bitsToTarget } from '../protocol/difficulty.ts';
import { BlockError, BlockErrorCode as E } from '../protocol/errors.ts';
import type { ChainParams } from '../protocol/params.ts';

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

export interface ContextFreeFailure {
  error: BlockError;
  /**
   * Whether the header itself is at fault (remember the hash as invalid). A body that does not match its
   * header says nothing about the header: anyone can mutate a body in transit, so the real block with the
   * same hash must still be accepted later.
   */
  headerAtFault: boolean;
}

/** The context-free checks of a block whose header hash is `id` (hex); returns the target on success. */
export function checkContextFree(
  block: Block,
  id: string,
  params: ChainParams,
): { target: bigint } | ContextFreeFailure {
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
