// The node's internal event bus: typed events with a sequence id, kept in a small ring buffer so that a
// subscriber (the API's server-sent events) can resume after a reconnect (Last-Event-ID).
// Adding an event kind (auction clearing, bills, …): add it to NodeEventMap and to EVENT_KINDS, then
// call `node.events.publish('auction.cleared', data)` wherever it happens. The API streams every kind.

import type { Chain, HeadChange } from '../consensus/chain.ts';
import type { Block } from '../protocol/block.ts';
import { headerHash } from '../protocol/block.ts';
import { toHex } from '../protocol/bytes.ts';

export interface BlockRef {
  height: number;
  hash: string;
}

export interface BlockEventRef extends BlockRef {
  /** Ids of the block's transactions, in block order. */
  txs: string[];
}

/** A new head: the blocks connected (oldest first), whether by extension or by a reorg. */
export interface HeadEvent {
  height: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  totalWork: string;
  connected: BlockEventRef[];
}

/** The head moved to another branch: `disconnected` (newest first) left the main chain. */
export interface ReorgEvent {
  depth: number;
  forkHeight: number;
  oldHead: BlockRef;
  newHead: BlockRef;
  disconnected: BlockEventRef[];
  connected: BlockEventRef[];
}

/** An interval's auction cleared in `block` (data as the contract's AuctionCleared event). */
export interface AuctionClearedEvent {
  interval: string;
  block: BlockRef;
  bids: number;
  tradedWh: string;
  deficit: string;
  gridSoldWh: string;
  gridBoughtWh: string;
}

/** A VPP's bill for an interval gained lines (at clearing or metering) in `block`. */
export interface BillUpdatedEvent {
  interval: string;
  vpp: string;
  block: BlockRef;
}

/** Every event kind and its data. */
export interface NodeEventMap {
  head: HeadEvent;
  reorg: ReorgEvent;
  'auction.cleared': AuctionClearedEvent;
  'bill.updated': BillUpdatedEvent;
}

export type EventKind = keyof NodeEventMap;

/** The runtime list of kinds (the type system keeps it equal to NodeEventMap's keys). */
export const EVENT_KINDS: Record<EventKind, string> = {
  head: 'the main chain has a new head block',
  reorg: 'the main chain switched branches (blocks were disconnected)',
  'auction.cleared': "an interval's auction cleared in a new main-chain block",
  'bill.updated': "a VPP's bill gained lines (clearing or metering) in a new main-chain block",
};

export const isEventKind = (s: string): s is EventKind => Object.hasOwn(EVENT_KINDS, s);

export type NodeEvent = {
  [K in EventKind]: { id: number; kind: K; time: number; data: NodeEventMap[K] };
}[EventKind];

export type EventListener = (event: NodeEvent) => void;

export class EventBus {
  private seq = 0;
  private readonly listeners = new Set<EventListener>();
  private readonly recent: NodeEvent[] = [];
  private readonly keep: number;

  constructor(keep = 256) {
    this.keep = keep;
  }

  publish<K extends EventKind>(kind: K, data: NodeEventMap[K]): NodeEvent {
    const event = { id: ++this.seq, kind, time: Date.now(), data } as NodeEvent;
    this.recent.push(event);
    if (this.recent.length > this.keep) this.recent.shift();
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // one subscriber's failure must not stop the others (or the publisher)
      }
    }
    return event;
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Buffered events with an id above `id` (for resuming); undefined if some were already dropped. */
  since(id: number): NodeEvent[] | undefined {
    const first = this.recent[0];
    if (id >= this.seq) return [];
    if (!first || first.id > id + 1) return undefined;
    return this.recent.filter((e) => e.id > id);
  }

  get lastId(): number {
    return this.seq;
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}

const blockRef = (b: Block): BlockEventRef => ({
  height: b.header.height,
  hash: toHex(headerHash(b.header)),
  txs: b.txs.map((t) => t.id),
});

/** Publishes the chain's head changes on the bus: a 'reorg' first when blocks were disconnected, then 'head'. */
export function publishChainEvents(chain: Chain, bus: EventBus): () => void {
  const onHead = (change: HeadChange) => {
    const connected = change.connected.map(blockRef);
    const head = change.head;
    if (change.disconnected.length > 0) {
      const disconnected = change.disconnected.map(blockRef);
      const oldTip = disconnected[0]!;
      bus.publish('reorg', {
        depth: disconnected.length,
        forkHeight: disconnected[disconnected.length - 1]!.height - 1,
        oldHead: { height: oldTip.height, hash: oldTip.hash },
        newHead: { height: head.header.height, hash: head.id },
        disconnected,
        connected,
      });
    }
    bus.publish('head', {
      height: head.header.height,
      hash: head.id,
      parentHash: toHex(head.header.parentHash),
      timestamp: head.header.timestamp,
      totalWork: head.totalWork.toString(),
      connected,
    });
  };
  chain.on('head', onHead);
  return () => chain.off('head', onHead);
}

/**
 * Publishes auction clearings and bill updates of newly connected main-chain blocks, from their receipts.
 * After a reorg the new branch's events are published again: subscribers treat bills as current state
 * and re-read them (GET /v1/bills), which is always the head's truth.
 */
export function publishMarketEvents(chain: Chain, bus: EventBus): () => void {
  const onHead = async (change: HeadChange) => {
    for (const b of change.connected) {
      const ref = { height: b.header.height, hash: toHex(headerHash(b.header)) };
      const receipts = await chain.getReceipts(ref.hash);
      for (const e of receipts?.block ?? []) {
        const d = e.data as Record<string, string | number>;
        if (e.contract === 'auction' && e.name === 'AuctionCleared') {
          bus.publish('auction.cleared', {
            interval: String(d.interval),
            block: ref,
            bids: Number(d.bids),
            tradedWh: String(d.tradedWh),
            deficit: String(d.deficit),
            gridSoldWh: String(d.gridSoldWh),
            gridBoughtWh: String(d.gridBoughtWh),
          });
        } else if (e.name === 'BillUpdated') {
          bus.publish('bill.updated', { interval: String(d.interval), vpp: String(d.vpp), block: ref });
        }
      }
      for (const events of receipts?.txs ?? []) {
        for (const e of events) {
          const d = e.data as Record<string, string>;
          if (e.name === 'BillUpdated')
            bus.publish('bill.updated', { interval: String(d.interval), vpp: String(d.vpp), block: ref });
        }
      }
    }
  };
  const listener = (change: HeadChange) => void onHead(change);
  chain.on('head', listener);
  return () => chain.off('head', listener);
}
