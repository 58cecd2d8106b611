// Range sync hands each batch to the chain as soon as it has arrived, while the previous one may still be
// importing (the workers verify the next batch's signatures meanwhile), but judges the outcomes batch by
// batch and in order: at most two batches are with the chain at a time, an invalid block still ends the
// sync with the peer's fatal penalty, and nothing is left importing when the sync returns.
import type { PeerId } from '@libp2p/interface';
import { describe, expect, it } from 'vitest';
import type { SyncHost } from '../../../p2p/host.ts';
import { PeerAction } from '../../../p2p/peers.ts';
import { chainNames, decodeRange, encodeStatus, MAX_BLOCKS_PER_REQUEST } from '../../../p2p/protocol.ts';
import { SyncService } from '../../../p2p/sync.ts';
import { type Block, encodeBlock, encodeHeader, headerHash } from '../../../protocol/block.ts';
import { fromHex } from '../../../protocol/bytes.ts';
import { BlockError, BlockErrorCode } from '../../../protocol/errors.ts';
import { ChainBuilder, testParams } from '../../helpers/builder.ts';
import { waitFor } from '../../helpers/net.ts';
import { mainChainStatus } from '../../helpers/sync-host.ts';

const params = testParams();
const b = new ChainBuilder(params);
const HEIGHT = 3 * MAX_BLOCKS_PER_REQUEST + 8; // four batches
const theirs = b.extend(b.genesisId, HEIGHT);
const genesisHash = fromHex(b.genesisId);
const names = chainNames(genesisHash);
const peer = { toString: () => 'peer-a' } as PeerId;

/** A host whose imports finish only when the test says so; `badHeight` is refused as invalid. */
function gatedHost(badHeight?: number) {
  const seen = {
    batches: [] as number[], // first height of each batch handed to the chain
    pending: [] as (() => void)[], // releases the oldest unfinished import
    finished: 0,
    announced: 0,
    penalties: [] as [string, PeerAction][],
    errors: [] as unknown[],
  };
  const main: Uint8Array[] = [genesisHash];
  const host: SyncHost = {
    names,
    blockLimits: params,
    status: () => mainChainStatus(params.chainId, main),
    mainHashAt: async (h) => main[h],
    request: async (_peer, protocol, body) => {
      if (protocol === names.status)
        return [
          encodeStatus({
            chainId: params.chainId,
            genesisHash,
            headHash: headerHash(theirs.at(-1)!.header),
            headHeight: HEIGHT,
            totalWork: 10_000n,
          }),
        ];
      const { start, count } = decodeRange(body, 256);
      const range = [b.get(b.genesisId).block, ...theirs].slice(start, start + count);
      if (protocol === names.headersByRange) return range.map((x) => encodeHeader(x.header));
      return range.map((x: Block) => encodeBlock(x));
    },
    importBlock: async () => 'head',
    importBlocks: (blocks) => {
      seen.batches.push(blocks[0]!.header.height);
      return new Promise((resolve) => {
        seen.pending.push(() => {
          seen.finished++;
          resolve(
            blocks.map((blk) => {
              if (blk.header.height === badHeight)
                return { status: 'rejected', reason: new BlockError(BlockErrorCode.BAD_STATE_ROOT, 'bad') };
              main.push(headerHash(blk.header));
              return { status: 'fulfilled', value: 'head' };
            }),
          );
        });
      });
    },
    refuseUndecodable: () => undefined,
    announceHead: () => seen.announced++,
    penalise: (p, action) => seen.penalties.push([p, action]),
    internalError: (e) => seen.errors.push(e.error),
    sameChain: () => undefined,
    otherChain: () => undefined,
  };
  return { host, seen };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('range sync pipelining', () => {
  it('hands the next batch over while one imports, never more than two, and judges them in order', async () => {
    const { host, seen } = gatedHost();
    const done = new SyncService(host).handshake(peer);
    await waitFor('two batches with the chain', () => seen.batches.length === 2);
    await settle();
    expect(seen.batches).toEqual([1, 1 + MAX_BLOCKS_PER_REQUEST]); // not the third while the first imports
    for (let released = 0; released < 4; released++) {
      await waitFor('an import to release', () => seen.pending.length > released);
      seen.pending[released]!();
      await settle();
      expect(seen.batches.length).toBeLessThanOrEqual(Math.min(4, released + 3));
    }
    await done;
    expect(seen.batches).toEqual([0, 1, 2, 3].map((i) => 1 + i * MAX_BLOCKS_PER_REQUEST));
    expect(seen.announced).toBe(1);
    expect(seen.penalties).toEqual([]);
    expect(seen.errors).toEqual([]);
  });

  it('an invalid block ends the sync with the fatal penalty, after the batch handed over behind it', async () => {
    const { host, seen } = gatedHost(10);
    let returned = false;
    const done = new SyncService(host).handshake(peer).then(() => {
      returned = true;
    });
    await waitFor('two batches with the chain', () => seen.batches.length === 2);
    seen.pending[0]!(); // the first batch's verdict: block 10 is invalid
    await settle();
    expect(returned).toBe(false); // the second batch is still importing
    expect(seen.batches).toHaveLength(2); // and no third was handed over
    seen.pending[1]!();
    await done;
    expect(seen.finished).toBe(2);
    expect(seen.penalties).toEqual([['peer-a', PeerAction.Fatal]]);
  });
});
