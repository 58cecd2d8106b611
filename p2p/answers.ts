// The answers to the request-response protocols (docs/protocol.md, "Network"): hello and status, blocks and headers
// by height range, blocks by hash, pending transaction ids and transactions by hash. Each decodes its
// request (a DecodeError is the asker's fault), reads the chain or the mempool and returns the response
// items; serving them (stream limits, rate limits, verdicts on the peer) is Network's job.
import type { PeerId } from '@libp2p/interface';
import type { Chain } from '../consensus/chain.ts';
import type { Mempool } from '../consensus/mempool.ts';
import { encodeHeader } from '../protocol/block.ts';
import { DecodeError, toHex } from '../protocol/bytes.ts';
import {
  type ChainNames,
  decodeHashes,
  decodeRange,
  decodeStatus,
  encodeStatus,
  HELLO_PROTOCOL,
  MAX_BLOCKS_PER_REQUEST,
  MAX_HEADERS_PER_REQUEST,
  MAX_PENDING_IDS,
  MAX_TXS_PER_REQUEST,
  type Status,
} from './protocol.ts';

/** A request's bytes and the asking peer → the response items. */
export type Answer = (req: Uint8Array, peer: PeerId) => Promise<Uint8Array[]>;

export interface AnswerSources {
  chain: Pick<Chain, 'height' | 'getMainNode' | 'getBlockBytes' | 'getMainBlocksBytes'>;
  mempool: Pick<Mempool, 'pendingIds' | 'get'>;
  status(): Status;
  /** A peer told us its status; called once our answer is on its way. */
  heardStatus(peer: PeerId, status: Status): void;
}

/** Every protocol of the chain with its answer. */
export function answers(names: ChainNames, src: AnswerSources): [protocol: string, answer: Answer][] {
  const { chain, mempool } = src;
  const status: Answer = async (req, peer) => {
    const theirs = decodeStatus(req);
    queueMicrotask(() => src.heardStatus(peer, theirs));
    return [encodeStatus(src.status())];
  };
  return [
    // The hello answers any chain's node (its name has no genesis hash): so it learns which chain we are.
    [HELLO_PROTOCOL, status],
    [names.status, status],
    [
      names.blocksByRange,
      async (req) => {
        const { start, count } = decodeRange(req, MAX_BLOCKS_PER_REQUEST);
        return chain.getMainBlocksBytes(start, count);
      },
    ],
    [
      names.headersByRange,
      async (req) => {
        const { start, count } = decodeRange(req, MAX_HEADERS_PER_REQUEST);
        const out: Uint8Array[] = [];
        for (let h = start; h < start + count && h <= chain.height; h++) {
          const node = await chain.getMainNode(h);
          if (!node) break;
          out.push(encodeHeader(node.header));
        }
        return out;
      },
    ],
    [
      names.blocksByHash,
      async (req) => {
        const out: Uint8Array[] = [];
        for (const h of decodeHashes(req)) {
          const bytes = await chain.getBlockBytes(h);
          if (bytes) out.push(bytes);
        }
        return out;
      },
    ],
    // Mempool sync: gossip is best-effort, so peers also pull each other's pending transactions.
    [
      names.pendingTxIds,
      async (req) => {
        if (req.length !== 0) throw new DecodeError('pending_tx_ids takes an empty request');
        return mempool.pendingIds(MAX_PENDING_IDS);
      },
    ],
    [
      names.txsByHash,
      async (req) => {
        const out: Uint8Array[] = [];
        for (const h of decodeHashes(req, MAX_TXS_PER_REQUEST)) {
          const env = mempool.get(toHex(h));
          if (env) out.push(env.bytes);
        }
        return out;
      },
    ],
  ];
}
