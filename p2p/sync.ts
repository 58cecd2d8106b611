// Range sync: on connect (by the chain-agnostic hello, falling back to our chain's status protocol for a
// node without it), periodically, and when gossip brings an orphan, nodes exchange status. A status that
// names another chain (genesis hash or chain id) is not an offence: the host disconnects that peer and holds
// it off (other-chain.ts); a status of our chain makes the peer count as one. If
// a peer has more total work, the node finds the highest common block by comparing header ranges with
// its own main chain, then fetches blocks by height range in batches and imports them; fork choice
// does the rest. One sync runs at a time; the best peer heard meanwhile is synced next. A sync that
// imported blocks gossips the new head, so that peers further behind catch up at once (the head is an
// orphan to them, which starts their sync with us) instead of at their next periodic status poll.
// Status requests are bounded: at most one in flight per peer, and a catch-up that gossip asks for (an
// orphan block) no sooner than MIN_CATCH_UP_INTERVAL_MS after the last request to that peer, so a stream
// of orphans cannot make us send a stream of requests. A catch-up asked for too soon is not lost: one is
// deferred per peer to the end of the interval (or, if a request is in flight, to the interval after it).
// A failure is judged: the peer's offence (bad data, a timeout) costs it points; a dropped connection
// is nobody's; any other error is ours and is reported to the host, not charged to the peer.
import type { PeerId } from '@libp2p/interface';
import { type Block, decodeBlock, decodeHeader, headerHash } from '../protocol/block.ts';
import { bytesEqual, DecodeError, toHex } from '../protocol/bytes.ts';
import { BlockError } from '../protocol/errors.ts';
import type { SyncHost } from './host.ts';
import { PeerAction } from './peers.ts';
import {
  decodeStatus,
  encodeRange,
  encodeStatus,
  HELLO_PROTOCOL,
  MAX_BLOCKS_PER_REQUEST,
  MAX_HEADERS_PER_REQUEST,
  type Status,
} from './protocol.ts';
import { isConnectionGone, ResponseError } from './reqresp.ts';

export class SyncError extends Error {
  override name = 'SyncError';
}

/**
 * A response that starts off the chain the sync was following: the first block does not extend the block
 * before it (the common block, or the previous response's last block). The peer's main chain reorganised
 * between the two requests, or ours did below the common block: on a network with several miners an honest
 * peer does this, so it is no offence. The sync stops and a catch-up with the peer starts it over.
 */
class ChainMoved extends Error {
  override name = 'ChainMoved';
}

export const MIN_CATCH_UP_INTERVAL_MS = 1000;
/** Peers whose last status request is remembered (the oldest is forgotten first). */
const MAX_TRACKED_PEERS = 1024;

export interface SyncClock {
  now(): number;
  /** Runs `fn` after `ms`; returns a handle for `cancel`. */
  schedule(fn: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

const realClock: SyncClock = {
  now: () => Date.now(),
  schedule: (fn, ms) => setTimeout(fn, ms),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A peer's head as its last status said. */
export interface PeerHead {
  height: number;
  totalWork: bigint;
}

interface Asked {
  /** When the last status request to the peer started. */
  at: number;
  inFlight: boolean;
  /** A catch-up was asked for while the request was in flight. */
  again: boolean;
}

export class SyncService {
  private readonly host: SyncHost;
  private readonly clock: SyncClock;
  private running: Promise<void> | undefined;
  private next: { peer: PeerId; status: Status } | undefined;
  private stopped = false;
  private readonly asked = new Map<string, Asked>();
  /** At most one deferred catch-up per peer. */
  private readonly deferred = new Map<string, unknown>();
  /** The head each peer last told us in a status, for readiness (bounded like `asked`). */
  private readonly heads = new Map<string, PeerHead>();
  blocksImported = 0;
  /** Status requests not sent at once because one was in flight or the last was too recent. */
  handshakesSkipped = 0;
  /** Syncs stopped because the peer's chain (or ours) moved between two responses (ChainMoved). */
  chainMoves = 0;

  constructor(host: SyncHost, clock: SyncClock = realClock) {
    this.host = host;
    this.clock = clock;
  }

  get syncing(): boolean {
    return this.running !== undefined;
  }

  /** The head a peer last told us in a status (on our chain), if it did. */
  peerHead(peer: string): PeerHead | undefined {
    return this.heads.get(peer);
  }

  /**
   * Asks a peer for its status (sending ours) and syncs from it if it is ahead. Not sent while another
   * request to the peer is in flight, nor, for a `catchUp` (gossip brought an orphan), within
   * MIN_CATCH_UP_INTERVAL_MS of the last one: then a catch-up is deferred instead.
   */
  async handshake(peer: PeerId, opts: { catchUp?: boolean; hello?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    const id = peer.toString();
    const t = this.clock.now();
    const last = this.asked.get(id);
    if (last?.inFlight) {
      if (opts.catchUp) last.again = true;
      this.handshakesSkipped++;
      return;
    }
    if (opts.catchUp && last && t - last.at < MIN_CATCH_UP_INTERVAL_MS) {
      this.deferCatchUp(peer, last.at + MIN_CATCH_UP_INTERVAL_MS - t);
      this.handshakesSkipped++;
      return;
    }
    const entry: Asked = { at: t, inFlight: true, again: false };
    this.asked.delete(id); // re-inserted last: the map's order is least recently asked first
    this.asked.set(id, entry);
    if (this.asked.size > MAX_TRACKED_PEERS) this.asked.delete(this.asked.keys().next().value!);
    try {
      const item = await this.askStatus(peer, opts.hello ?? false);
      // A peer that speaks neither is no node of ours: never counted, judged by what it does.
      if (item !== undefined) await this.onStatus(peer, decodeStatus(item), 'asked');
    } catch (err) {
      this.judge(peer, err);
    } finally {
      entry.inFlight = false;
      if (entry.again) this.deferCatchUp(peer, entry.at + MIN_CATCH_UP_INTERVAL_MS - this.clock.now());
    }
  }

  /**
   * The peer's status by the hello (any chain's node answers it) or by our chain's status protocol (also
   * the fallback for a node without the hello); undefined if the peer speaks neither.
   */
  private async askStatus(peer: PeerId, hello: boolean): Promise<Uint8Array | undefined> {
    const ours = encodeStatus(this.host.status());
    const protocols = hello ? [HELLO_PROTOCOL, this.host.names.status] : [this.host.names.status];
    for (const protocol of protocols) {
      try {
        const [item] = await this.ask(peer, protocol, ours, 1, 256);
        if (!item) throw new ResponseError('invalid', 'empty status response');
        return item;
      } catch (err) {
        if (!(err instanceof ResponseError && err.kind === 'unsupported')) throw err;
      }
    }
    return undefined;
  }

  /** One catch-up with `peer` after `ms` (none if one is already waiting). */
  private deferCatchUp(peer: PeerId, ms: number): void {
    const id = peer.toString();
    if (this.stopped || this.deferred.has(id)) return;
    const handle = this.clock.schedule(
      () => {
        this.deferred.delete(id);
        this.handshake(peer, { catchUp: true }).catch((error: unknown) =>
          this.host.internalError({ activity: 'sync', error, peer: id }),
        );
      },
      Math.max(0, ms),
    );
    this.deferred.set(id, handle);
  }

  /** A peer told us its status: answering our request ('asked') or in its request to us ('answered'). */
  async onStatus(peer: PeerId, status: Status, via: 'asked' | 'answered' = 'answered'): Promise<void> {
    const ours = this.host.status();
    if (status.chainId !== ours.chainId || !bytesEqual(status.genesisHash, ours.genesisHash)) {
      this.host.otherChain(peer.toString(), status, via);
      return;
    }
    this.host.sameChain(peer.toString());
    this.heads.delete(peer.toString()); // re-inserted last: the oldest is forgotten first
    this.heads.set(peer.toString(), { height: status.headHeight, totalWork: status.totalWork });
    if (this.heads.size > MAX_TRACKED_PEERS) this.heads.delete(this.heads.keys().next().value!);
    if (status.totalWork <= ours.totalWork) return;
    if (this.running) {
      if (!this.next || status.totalWork > this.next.status.totalWork) this.next = { peer, status };
      return;
    }
    this.running = this.syncFrom(peer, status).finally(() => {
      this.running = undefined;
      const n = this.next;
      this.next = undefined;
      if (n && !this.stopped)
        this.onStatus(n.peer, n.status).catch((error: unknown) =>
          this.host.internalError({ activity: 'sync', error, peer: n.peer.toString() }),
        );
    });
    await this.running;
  }

  private async ask(
    peer: PeerId,
    protocol: string,
    body: Uint8Array,
    maxItems: number,
    maxItemBytes: number,
  ): Promise<Uint8Array[]> {
    return this.host.request(peer, protocol, body, { maxItems, maxItemBytes });
  }

  /** How a failed exchange with the peer ends: a penalty if it was the peer's offence, else none. */
  private judge(peer: PeerId, err: unknown): void {
    const id = peer.toString();
    if (err instanceof ChainMoved) {
      this.chainMoves++;
      this.deferCatchUp(peer, MIN_CATCH_UP_INTERVAL_MS);
    } else if (err instanceof ResponseError) {
      if (err.kind === 'invalid') this.host.penalise(id, PeerAction.LowTolerance, err.message);
      else if (err.kind === 'timeout') this.host.penalise(id, PeerAction.MidTolerance, err.message);
    } else if (err instanceof SyncError) {
      this.host.penalise(id, PeerAction.Fatal, err.message);
    } else if (err instanceof BlockError) {
      if (err.verdict === 'reject')
        this.host.penalise(id, PeerAction.Fatal, `sync served an invalid block: ${err}`);
    } else if (err instanceof DecodeError) {
      this.host.penalise(id, PeerAction.HighTolerance, err.message);
    } else if (!isConnectionGone(err)) {
      this.host.internalError({ activity: 'sync', error: err, peer: id });
    }
  }

  private async syncFrom(peer: PeerId, status: Status): Promise<void> {
    let imported = 0;
    try {
      const common = await this.findCommonHeight(peer, status);
      const commonHash = await this.host.mainHashAt(common);
      // Our chain moved below the common height meanwhile: the next status round starts over.
      if (!commonHash) return;
      let expectedParent = commonHash;
      let next = common + 1;
      const fetchFrom = (start: number): Promise<Uint8Array[]> => {
        const count = Math.min(MAX_BLOCKS_PER_REQUEST, status.headHeight - start + 1);
        const request = this.ask(
          peer,
          this.host.names.blocksByRange,
          encodeRange({ start, count }),
          count,
          this.host.blockLimits.maxBlockBytes,
        );
        request.catch(() => undefined); // awaited below, unless the sync ends first
        return request;
      };
      // One range ahead: the next batch travels while this one imports (still one request in flight at a
      // time: it is sent after the previous response has arrived).
      let fetching = next <= status.headHeight ? fetchFrom(next) : undefined;
      // Each batch goes to the chain as soon as it has arrived and been checked, while the one before it
      // may still be importing: the chain's queue imports them in order, and its signature prefetch keeps
      // the workers verifying this batch while the previous one executes and is written, instead of idle
      // at every batch boundary. The outcomes are still judged batch by batch, in order, so at most two
      // batches are with the chain at a time.
      let judging: Promise<void> | undefined;
      let submitted: Promise<unknown> | undefined;
      try {
        while (!this.stopped && fetching) {
          const items = await fetching;
          fetching = undefined;
          if (items.length === 0) throw new ChainMoved(`no blocks from ${next} on`); // the peer's chain got shorter
          // The next range is asked for before this one is decoded, so that its request and the peer's
          // answer travel while this thread decodes and checks (if this batch is bad, that answer is dropped).
          const after = next + items.length;
          if (after <= status.headHeight) fetching = fetchFrom(after);
          const blocks: Block[] = items.map((b) => this.decode(peer, b));
          blocks.forEach((b, i) => {
            if (b.header.height !== next + i)
              throw new SyncError(
                `block at position ${i} has height ${b.header.height}, expected ${next + i}`,
              );
            if (!bytesEqual(b.header.parentHash, expectedParent)) {
              // Within one response the peer's chain is one snapshot; below block 1 is the genesis, which
              // no reorganisation moves: there, a break is the peer's.
              if (i === 0 && next > 1)
                throw new ChainMoved(`block ${next} does not extend block ${next - 1}`);
              throw new SyncError(`block ${next + i} does not extend the previous one`);
            }
            expectedParent = headerHash(b.header);
          });
          // The chain checks every header, verifies the signatures of later blocks while earlier ones
          // execute, and connects and writes consecutive blocks together (chain.ts, processBlocks).
          const outcomes = this.host.importBlocks(blocks, peer.toString());
          submitted = outcomes.catch(() => undefined); // judged below, unless an earlier batch ends the sync
          await judging;
          judging = outcomes.then((settled) => {
            for (const outcome of settled) {
              if (outcome.status === 'fulfilled') {
                this.blocksImported++;
                imported++;
                continue;
              }
              const err: unknown = outcome.reason;
              if (!(err instanceof BlockError) || err.verdict === 'reject') throw err;
            }
          });
          judging.catch(() => undefined); // awaited with the next batch or below
          next = after;
        }
        await judging;
      } catch (err) {
        // Nothing of the sync is left running when it ends, and the earlier batch's verdict comes first, as
        // when each batch was judged before the next was read.
        await submitted;
        await judging;
        throw err;
      }
    } catch (err) {
      this.judge(peer, err);
    }
    if (imported > 0 && !this.stopped) this.host.announceHead();
  }

  /** Decodes a block a peer served; an undecodable one is counted with the refused blocks, then thrown. */
  private decode(peer: PeerId, bytes: Uint8Array): Block {
    try {
      return decodeBlock(bytes, this.host.blockLimits);
    } catch (err) {
      if (err instanceof DecodeError)
        this.host.refuseUndecodable(`undecodable block in range sync from ${peer}: ${err.message}`);
      throw err;
    }
  }

  /** Highest height at which the peer's main chain and ours have the same block. */
  private async findCommonHeight(peer: PeerId, status: Status): Promise<number> {
    let top = Math.min(this.host.status().headHeight, status.headHeight);
    // A node at genesis has nothing to search (a fresh node's first sync: one round trip fewer): the
    // peer's status named our genesis (onStatus), and if its block 1 does not extend our genesis the
    // range's parent check refuses it, a SyncError as a mismatching header 0 would have been.
    if (this.host.status().headHeight === 0 && status.headHeight > 0) return 0;
    for (;;) {
      const start = Math.max(0, top - MAX_HEADERS_PER_REQUEST + 1);
      const count = top - start + 1;
      const items = await this.ask(
        peer,
        this.host.names.headersByRange,
        encodeRange({ start, count }),
        count,
        256,
      );
      if (items.length === 0)
        throw new ResponseError('invalid', 'no headers for a range below the announced head');
      const headers = items.map((h) => decodeHeader(h));
      for (let i = headers.length - 1; i >= 0; i--) {
        const h = headers[i]!;
        if (h.height !== start + i) throw new SyncError(`header at position ${i} has height ${h.height}`);
        const ours = await this.host.mainHashAt(h.height);
        if (ours && bytesEqual(ours, headerHash(h))) return h.height;
      }
      if (start === 0)
        throw new SyncError(`no common block with peer (its genesis ${toHex(headerHash(headers[0]!))})`);
      top = start - 1;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.deferred.values()) this.clock.cancel(handle);
    this.deferred.clear();
    await this.running;
  }
}
