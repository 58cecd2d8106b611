// The API's wire contract, the one definition that the server (api/, node/) and the client import: JSON
// shapes (docs/api.md) and the event kinds. u64 values are decimal strings; hashes 64 lowercase hex digits.

/** Every 4xx/5xx reply. `code` is an ApiErrorCode (client/errors.ts) or a transaction's TxError code. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface StatusJson {
  /** The node software's version (absent from nodes older than 0.1.0's status version field). */
  version?: string;
  chainId: number;
  chainName?: string;
  genesisHash: string;
  height: number;
  headHash: string;
  headTimestamp?: number;
  totalWork: string;
  bits: string;
  nextBits?: string;
  difficulty: number;
  minTxFee?: string;
  peers: number;
  peerId?: string | null;
  mempoolSize: number;
  syncing: boolean;
  mining?: boolean;
  hashRate?: number;
  /**
   * Our clock minus the peers' block times, from fresh gossip blocks (absent without networking); skewed:
   * beyond the chain's drift rule.
   */
  clock?: { offsetMs: number | null; samples: number; peers: number; limitMs: number; skewed: boolean };
}

/** GET /healthz: the process is up and serving. */
export interface HealthJson {
  status: 'ok';
  version: string;
  uptimeSeconds: number;
}

/**
 * GET /readyz's facts: 200 with these when ready, else 503 NOT_READY with them (and `reasons`) as the
 * error's details.
 */
export interface ReadinessJson {
  ready: boolean;
  reasons: string[];
  databaseOpen: boolean;
  height: number;
  peers: number;
  bestPeerHeight: number | null;
  /** Blocks our head is below the best peer's (0 when none is ahead or none told its head). */
  behind: number;
  syncing: boolean;
  /** The limits judged against (the node's --ready-max-behind and --ready-min-peers). */
  maxBehind: number;
  minPeers: number;
}

export interface TransferPayloadJson {
  kind: 'transfer';
  to: string;
  amount: string;
}

/** Kinds added later (contract calls) arrive with their own fields. */
export interface OtherPayloadJson {
  kind: string;
  [field: string]: unknown;
}

export type PayloadJson = TransferPayloadJson | OtherPayloadJson;

export interface TransactionJson {
  hash: string;
  nonce: string;
  fee: string;
  sender: string;
  senderPubKey: string;
  payload: PayloadJson;
  signature: string;
}

export interface BlockSummaryJson {
  hash: string;
  height: number;
  version: number;
  parentHash: string;
  txRoot: string;
  stateRoot: string;
  timestamp: number;
  bits: string;
  difficulty: number;
  nonce: number;
  headerHex: string;
  miner: string;
  totalWork: string;
  mainChain: boolean;
  confirmations: number;
  size: number;
  txCount: number;
}

export interface BlockJson extends BlockSummaryJson {
  transactions: TransactionJson[];
}

export interface BlockPageJson {
  blocks: BlockSummaryJson[];
  next: number | null;
}

export interface AccountJson {
  address: string;
  balance: string;
  locked: string;
  spendable: string;
  nonce: string;
  pendingNonce: string;
  pendingCount: number;
  role: 'grid' | 'vpp' | null;
  name: string | null;
  height: number;
}

export interface PendingTxJson {
  hash: string;
  status: 'pending';
  transaction: TransactionJson;
}

export interface ConfirmedTxJson {
  hash: string;
  status: 'confirmed';
  transaction: TransactionJson;
  blockHash: string;
  blockHeight: number;
  index: number;
  confirmations: number;
  receipt: { events: { contract: string; name: string; data: Record<string, unknown> }[] };
}

/**
 * Why a node dropped a transaction it had admitted (it left the mempool without being mined):
 * replaced (same nonce, higher fee: `replacedBy`), evicted (a full pool: `replacedBy`), expired (waited too
 * long behind a nonce gap), gate-closed (its auction interval's gate closed first), nonce-used (another
 * transaction with its nonce was mined), invalid (the chain moved and it no longer passes: `code`).
 */
export type DropReasonJson = 'replaced' | 'evicted' | 'expired' | 'gate-closed' | 'nonce-used' | 'invalid';

/** A transaction the node admitted and then dropped: a terminal state, as final as a confirmation. */
export interface DroppedTxJson {
  hash: string;
  status: 'dropped';
  reason: DropReasonJson;
  /** The transaction error behind the drop (e.g. GATE_CLOSED, INSUFFICIENT_FUNDS), when there is one. */
  code?: string;
  message: string;
  /** When the node dropped it, ms since the Unix epoch. */
  droppedAt: number;
  /** The transaction that took its place (replaced, evicted). */
  replacedBy?: string;
  sender: string;
  nonce: string;
}

export type TxStatusJson = PendingTxJson | ConfirmedTxJson | DroppedTxJson;

// ---- server-sent events (GET /v1/events) ------------------------------------------------------------
// Defined here once for both ends: the node publishes these (node/events.ts) and the API streams them
// (api/events.ts); the client parses them. Adding a kind: its data type, an entry in NodeEventDataMap and
// one in EVENT_KINDS (the compiler keeps the two equal), then publish it in node/events.ts.

export interface BlockRef {
  height: number;
  hash: string;
}

export interface BlockEventRef extends BlockRef {
  /** Ids of the block's transactions, in block order. */
  txs: string[];
}

/** A new head: the blocks connected (oldest first), whether by extension or by a reorg. */
export interface HeadEventData {
  height: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  totalWork: string;
  connected: BlockEventRef[];
}

/** The head moved to another branch: `disconnected` (newest first) left the main chain. */
export interface ReorgEventData {
  depth: number;
  forkHeight: number;
  oldHead: BlockRef;
  newHead: BlockRef;
  disconnected: BlockEventRef[];
  connected: BlockEventRef[];
}

/** An interval's auction cleared in `block` (data as the contract's AuctionCleared event). */
export interface AuctionClearedEventData {
  interval: string;
  block: BlockRef;
  bids: number;
  tradedWh: string;
  deficit: string;
  gridSoldWh: string;
  gridBoughtWh: string;
}

/** A VPP's bill for an interval gained lines (at clearing or metering) in `block`. */
export interface BillUpdatedEventData {
  interval: string;
  vpp: string;
  block: BlockRef;
}

/** The node dropped a transaction it had admitted (the same record as GET /v1/transactions/:hash). */
export type TxDroppedEventData = Omit<DroppedTxJson, 'status'>;

/** Every event kind and its data. */
export interface NodeEventDataMap {
  head: HeadEventData;
  reorg: ReorgEventData;
  'auction.cleared': AuctionClearedEventData;
  'bill.updated': BillUpdatedEventData;
  'tx.dropped': TxDroppedEventData;
}

export type EventKind = keyof NodeEventDataMap;

/**
 * The event kinds with a one-line meaning each: the one runtime value of this file, because the server
 * validates `?kinds=` against it and documents it in OpenAPI.
 */
export const EVENT_KINDS: Readonly<Record<EventKind, string>> = {
  head: 'the main chain has a new head block',
  reorg: 'the main chain switched branches (blocks were disconnected)',
  'auction.cleared': "an interval's auction cleared in a new main-chain block",
  'bill.updated': "a VPP's bill gained lines (clearing or metering) in a new main-chain block",
  'tx.dropped':
    'a transaction the node had admitted left its mempool unmined (replaced, evicted, expired, gate closed, nonce used, invalid)',
};

export const isEventKind = (s: string): s is EventKind => Object.hasOwn(EVENT_KINDS, s);

/** One event as this version of the node sends it; `kind` is also the SSE event name. */
export type NodeEvent = {
  [K in EventKind]: { id: number; kind: K; time: number; data: NodeEventDataMap[K] };
}[EventKind];

/** What a client may receive: a newer node can send kinds this client does not know (`data: unknown`). */
export type NodeEventJson = NodeEvent | { id: number; kind: string; time: number; data: unknown };
