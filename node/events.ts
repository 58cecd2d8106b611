// The node's internal event bus: typed events with a sequence id, kept in a small ring buffer so that a
// subscriber (the API's server-sent events) can resume after a reconnect (Last-Event-ID). It is the
// API's EventFeed (api/port.ts). The events' wire types and kinds are defined in client/types.ts; adding a
// kind: define it there, then call `node.events.publish(kind, data)` wherever it happens (as below).

import type { EventFeed } from '../api/port.ts';
import { droppedTxJson } from '../api/txjson.ts';
import type { BlockEventRef, EventKind, NodeEvent, NodeEventDataMap } from '../client/types.ts';
import type { Chain, HeadChange } from '../consensus/chain.ts';
import type { Mempool } from '../consensus/mempool.ts';
import type { DroppedTx } from '../consensus/mempool-drops.ts';
import type { Block } from '../protocol/block.ts';
import { headerHash } from '../protocol/block.ts';
import { toHex } from '../protocol/bytes.ts';

export type EventListener = (event: NodeEvent) => void;

export class EventBus implements EventFeed {
  private seq = 0;
  private readonly listeners = new Set<EventListener>();
  private readonly recent: NodeEvent[] = [];
  private readonly keep: number;

  constructor(keep = 256) {
    this.keep = keep;
  }

  publish<K extends EventKind>(kind: K, data: NodeEventDataMap[K]): NodeEvent {
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
export function publishMarketEvents(
  chain: Chain,
  bus: EventBus,
  onError: (err: unknown) => void = () => {},
): () => void {
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
  // Reading receipts is I/O that can fail, and it does when the node stops while a head change is being
  // published (the ledger closes under it): that one is expected and dropped; anything else is reported.
  // Never an unhandled rejection, which would end the process.
  const listener = (change: HeadChange) =>
    void onHead(change).catch((err: unknown) => {
      if (chain.databaseOpen) onError(err);
    });
  chain.on('head', listener);
  return () => chain.off('head', listener);
}

/** Publishes every transaction the mempool drops as a 'tx.dropped' event. */
export function publishMempoolEvents(mempool: Mempool, bus: EventBus): () => void {
  const onDropped = (d: DroppedTx) => void bus.publish('tx.dropped', droppedTxJson(d));
  mempool.on('dropped', onDropped);
  return () => mempool.off('dropped', onDropped);
}
