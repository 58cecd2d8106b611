// The API's port: exactly what the HTTP routes read from and ask of a node. node/ implements it (VppNode);
// api/ never imports node/, so the routes can be served from anything that answers these calls.
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { NodeEvent } from '../client/types.ts';
import type { BlockNode } from '../consensus/chain.ts';
import type { DroppedTx } from '../consensus/mempool-drops.ts';
import type { Account } from '../contracts-vm/accounts.ts';
import type { StateReader } from '../contracts-vm/state.ts';
import type { BlockReceipts } from '../contracts-vm/transition.ts';
import type { Block } from '../protocol/block.ts';
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import type { TxEnvelope } from '../protocol/tx.ts';

/** Reads of the block tree, the main chain and the head state (consensus/chain.ts's Chain answers them). */
export interface ChainReads {
  readonly genesisHash: Uint8Array;
  readonly tip: BlockNode;
  readonly height: number;
  /** The committed state of the head. */
  readonly headState: StateReader;
  account(address: Address): Account;
  /** Any known block, main chain or not. */
  getNode(hash: Uint8Array | string): BlockNode | undefined;
  getMainNode(height: number): Promise<BlockNode | undefined>;
  getBlock(hash: Uint8Array | string): Promise<Block | undefined>;
  isMainChain(node: BlockNode): boolean;
  getReceipts(hash: Uint8Array | string): Promise<BlockReceipts | undefined>;
  /** Where a transaction was confirmed, if on a connected block. */
  txLocation(txHash: Uint8Array): Promise<{ blockHash: Uint8Array; index: number } | undefined>;
  /** Compact target the block after `parent` must meet. */
  nextBitsAfter(parent: BlockNode): number;
}

/** Reads of the pending and dropped transactions (consensus/mempool.ts's Mempool answers them). */
export interface MempoolReads {
  readonly size: number;
  get(id: string): TxEnvelope | undefined;
  /** Why a transaction the node had admitted left the pool unmined (while the record is kept). */
  dropped(id: string): DroppedTx | undefined;
  /** A sender's pending transactions. */
  pendingOf(sender: string): TxEnvelope[];
}

/** What the node is doing beyond its chain: networking and mining (zeros when it runs without them). */
export interface NodeActivity {
  peers: number;
  /** null without networking. */
  peerId: string | null;
  /** A range sync is running. */
  syncing: boolean;
  mining: boolean;
  /** Hashes per second over the last ~10 s; 0 when not mining. */
  hashRate: number;
  /** Our clock minus the peers' block times (ms; null before enough blocks) against the drift rule; absent without networking. */
  clock?: { offsetMs: number | null; samples: number; peers: number; limitMs: number; skewed: boolean };
}

/** What GET /readyz judges: the ledger, the peers and how far the head is from the best peer's. */
export interface NodeReadiness {
  /** The ledger's database is open (false while the node stops). */
  databaseOpen: boolean;
  /** Our head's height. */
  height: number;
  /** Connected peers of our chain. */
  peers: number;
  /**
   * The head height of the connected peer with the most work, as its last status said; null before any
   * peer has told its head (or without networking).
   */
  bestPeerHeight: number | null;
  /** A range sync is running. */
  syncing: boolean;
}

/** The node's events, numbered, with a short history so that a reconnecting stream can resume. */
export interface EventFeed {
  /** Id of the latest event (0 before the first). */
  readonly lastId: number;
  /** Events after `id`; undefined when some of them are no longer kept. */
  since(id: number): NodeEvent[] | undefined;
  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: NodeEvent) => void): () => void;
}

/** The node's Prometheus metrics: the exposition, and the few that the API itself updates. */
export interface ApiMetrics {
  readonly contentType: string;
  text(): Promise<string>;
  readonly httpDuration: Pick<Histogram<'method' | 'route' | 'status_code'>, 'observe'>;
  readonly txSubmitted: Pick<Counter<'result'>, 'inc'>;
  readonly sseClients: Pick<Gauge, 'inc' | 'dec'>;
}

export interface NodePort {
  /** The software's version (package.json), for GET /v1/status and /healthz. */
  readonly version: string;
  readonly params: ChainParams;
  readonly chain: ChainReads;
  readonly mempool: MempoolReads;
  /**
   * Admits a transaction to the mempool, durably (it survives a crash once this resolves), and relays it;
   * throws TxError with the reason, or MempoolStoreError when it could not be stored.
   */
  submitTx(env: TxEnvelope): Promise<void>;
  activity(): NodeActivity;
  readiness(): NodeReadiness;
  readonly events: EventFeed;
  readonly metrics: ApiMetrics;
}
