// The API's JSON shapes (docs/api.md). u64 values are decimal strings; hashes 64 lowercase hex digits.

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface StatusJson {
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

export type TxStatusJson = PendingTxJson | ConfirmedTxJson;

export interface BlockEventRef {
  height: number;
  hash: string;
  txs: string[];
}

export interface HeadEventData {
  height: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  totalWork: string;
  connected: BlockEventRef[];
}

export interface ReorgEventData {
  depth: number;
  forkHeight: number;
  oldHead: { height: number; hash: string };
  newHead: { height: number; hash: string };
  disconnected: BlockEventRef[];
  connected: BlockEventRef[];
}

/** One server-sent event; `kind` is also the SSE event name. Unknown kinds keep `data: unknown`. */
export type NodeEventJson =
  | { id: number; kind: 'head'; time: number; data: HeadEventData }
  | { id: number; kind: 'reorg'; time: number; data: ReorgEventData }
  | { id: number; kind: string; time: number; data: unknown };
