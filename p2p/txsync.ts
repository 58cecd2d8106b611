// Mempool sync: asks a peer for the ids of its pending transactions, then fetches the ones this node
// lacks (in batches) and offers them to the mempool, which validates them like any other. This recovers
// transactions that gossip lost (e.g. published before a new peer's subscription was known).
import type { PeerId } from '@libp2p/interface';
import { toHex } from '../protocol/bytes.ts';
import { TxError } from '../protocol/errors.ts';
import { envelopeFromBytes, MAX_TX_BYTES } from '../protocol/tx.ts';
import type { Network } from './network.ts';
import { PeerAction } from './peers.ts';
import { encodeHashes, MAX_PENDING_IDS, MAX_TXS_PER_REQUEST } from './protocol.ts';
import { ResponseError, request } from './reqresp.ts';

export class TxSync {
  private readonly net: Network;
  private readonly busy = new Set<string>();
  recovered = 0;

  constructor(net: Network) {
    this.net = net;
  }

  async pullFrom(peer: PeerId): Promise<number> {
    const id = peer.toString();
    if (this.busy.has(id)) return 0;
    this.busy.add(id);
    let added = 0;
    try {
      const { libp2p, names, mempool } = this.net;
      const ids = await request(libp2p, peer, names.pendingTxIds, new Uint8Array(0), {
        maxItems: MAX_PENDING_IDS,
        maxItemBytes: 32,
      });
      if (ids.some((h) => h.length !== 32))
        throw new ResponseError('invalid', 'pending ids must be 32 bytes');
      const missing = ids.filter((h) => !mempool.has(toHex(h)));
      for (let i = 0; i < missing.length; i += MAX_TXS_PER_REQUEST) {
        const chunk = missing.slice(i, i + MAX_TXS_PER_REQUEST);
        const txs = await request(libp2p, peer, names.txsByHash, encodeHashes(chunk), {
          maxItems: chunk.length,
          maxItemBytes: MAX_TX_BYTES,
        });
        // Oldest first, so a sender's nonces arrive in order.
        for (const bytes of txs) {
          const env = envelopeFromBytes(bytes);
          try {
            await mempool.add(env);
            added++;
          } catch (err) {
            if (!(err instanceof TxError)) throw err;
            if (err.verdict === 'reject')
              this.net.penalise(id, PeerAction.Fatal, `mempool sync served an invalid transaction: ${err}`);
          }
        }
      }
      this.recovered += added;
    } catch (err) {
      if (err instanceof ResponseError && err.kind === 'invalid')
        this.net.penalise(id, PeerAction.LowTolerance, err.message);
      else if (err instanceof Error && err.name === 'DecodeError')
        this.net.penalise(id, PeerAction.Fatal, err.message);
    } finally {
      this.busy.delete(id);
    }
    return added;
  }
}
