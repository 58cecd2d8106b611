// Mempool sync: asks a peer for the ids of its pending transactions, then fetches the ones this node
// lacks (in batches) and offers them to the mempool, which validates them like any other. This recovers
// transactions that gossip lost (e.g. published before a new peer's subscription was known).
// Malformed data costs the peer points; a dropped connection or a timeout is nobody's offence; any other
// failure is ours and is reported to the host.
import type { PeerId } from '@libp2p/interface';
import { DecodeError, toHex } from '../protocol/bytes.ts';
import { TxError } from '../protocol/errors.ts';
import { envelopeFromBytes, MAX_TX_BYTES } from '../protocol/tx.ts';
import type { TxSyncHost } from './host.ts';
import { PeerAction } from './peers.ts';
import { encodeHashes, MAX_PENDING_IDS, MAX_TXS_PER_REQUEST } from './protocol.ts';
import { isConnectionGone, ResponseError } from './reqresp.ts';

export class TxSync {
  private readonly host: TxSyncHost;
  private readonly busy = new Set<string>();
  recovered = 0;

  constructor(host: TxSyncHost) {
    this.host = host;
  }

  async pullFrom(peer: PeerId): Promise<number> {
    const id = peer.toString();
    if (this.busy.has(id)) return 0;
    this.busy.add(id);
    let added = 0;
    try {
      const { names } = this.host;
      const ids = await this.host.request(peer, names.pendingTxIds, new Uint8Array(0), {
        maxItems: MAX_PENDING_IDS,
        maxItemBytes: 32,
      });
      if (ids.some((h) => h.length !== 32))
        throw new ResponseError('invalid', 'pending ids must be 32 bytes');
      const missing = ids.filter((h) => !this.host.hasTx(toHex(h)));
      for (let i = 0; i < missing.length; i += MAX_TXS_PER_REQUEST) {
        const chunk = missing.slice(i, i + MAX_TXS_PER_REQUEST);
        const txs = await this.host.request(peer, names.txsByHash, encodeHashes(chunk), {
          maxItems: chunk.length,
          maxItemBytes: MAX_TX_BYTES,
        });
        // Oldest first, so a sender's nonces arrive in order.
        for (const bytes of txs) {
          const env = envelopeFromBytes(bytes);
          try {
            await this.host.admitTx(env);
            added++;
          } catch (err) {
            if (!(err instanceof TxError)) throw err;
            if (err.verdict === 'reject')
              this.host.penalise(id, PeerAction.Fatal, `mempool sync served an invalid transaction: ${err}`);
          }
        }
      }
      this.recovered += added;
    } catch (err) {
      if (err instanceof ResponseError) {
        if (err.kind === 'invalid') this.host.penalise(id, PeerAction.LowTolerance, err.message);
      } else if (err instanceof DecodeError) {
        this.host.penalise(id, PeerAction.Fatal, err.message);
      } else if (!isConnectionGone(err)) {
        this.host.internalError({ activity: 'tx-sync', error: err, peer: id });
      }
    } finally {
      this.busy.delete(id);
    }
    return added;
  }
}
