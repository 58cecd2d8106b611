// What the network's services need from the node, as narrow ports that Network provides: range sync
// (sync.ts), mempool sync (txsync.ts) and gossip validation (gossip.ts) depend on these interfaces, not
// on Network, so there is no file cycle and each service can be driven by a fake in a test.
// Also the one shape of an internal error: a failure of ours met while handling a peer. It is never
// the peer's fault (no penalty) and never dropped silently: Network emits it with this context.
import type { TopicValidatorResult } from '@libp2p/gossipsub';
import type { PeerId } from '@libp2p/interface';
import type { Block, BlockHeader, DecodeLimits } from '../protocol/block.ts';
import type { TxEnvelope } from '../protocol/tx.ts';
import type { PeerAction } from './peers.ts';
import type { ChainNames, Status } from './protocol.ts';
import type { RequestLimits } from './reqresp.ts';

export interface InternalError {
  /** What the node was doing when it failed. */
  activity: 'gossip' | 'serve' | 'sync' | 'tx-sync' | 'handshake';
  error: unknown;
  peer?: string;
  topic?: string;
  /** The gossipsub message id. */
  msgId?: string;
  /** The request-response protocol being served. */
  protocol?: string;
  blockHash?: string;
  txId?: string;
}

/** One line of context, then the stack: for logs. */
export function describeInternalError(e: InternalError): string {
  const context = [
    e.peer && `peer ${e.peer}`,
    e.topic && `topic ${e.topic}`,
    e.msgId && `message ${e.msgId}`,
    e.protocol && `protocol ${e.protocol}`,
    e.blockHash && `block ${e.blockHash}`,
    e.txId && `tx ${e.txId}`,
  ].filter(Boolean);
  const detail = e.error instanceof Error ? (e.error.stack ?? String(e.error)) : String(e.error);
  return `p2p internal error during ${e.activity}${context.length ? ` (${context.join(', ')})` : ''}: ${detail}`;
}

/** Verdicts on peers: a penalty for an offence, a report for a failure of ours. */
export interface PeerVerdicts {
  penalise(peer: string, action: PeerAction, reason: string): void;
  internalError(e: InternalError): void;
}

/** Requests to a peer over the chain's protocols; rejects with a ResponseError (reqresp.ts). */
export interface PeerRequests {
  readonly names: ChainNames;
  request(peer: PeerId, protocol: string, body: Uint8Array, limits: RequestLimits): Promise<Uint8Array[]>;
}

/** Where an imported block went. */
export type ImportOutcome = 'head' | 'side-chain';
/** What became of a gossip block that passed its proof of work: imported, or held as future. */
export type BlockArrival = ImportOutcome | 'future';

export interface BlockImport {
  /** Bounds for decoding a block received from a peer. */
  readonly blockLimits: DecodeLimits;
  /**
   * Validates and imports a block sent by `from` (a peer id: a held orphan or future block counts against
   * that peer's share); rejects with a BlockError carrying the verdict.
   */
  importBlock(block: Block, from: string): Promise<ImportOutcome>;
  /** A block a peer sent could not be decoded: counted with the refused blocks (code DECODE). */
  refuseUndecodable(reason: string): void;
}

export interface TxAdmission {
  hasTx(id: string): boolean;
  /** Admits a transaction to the mempool; rejects with a TxError carrying the verdict. */
  admitTx(env: TxEnvelope): Promise<void>;
}

export interface SyncHost extends PeerVerdicts, PeerRequests, BlockImport {
  /**
   * Imports a run of blocks from `from` (range sync) in one turn: each block's outcome, in order, as
   * importBlock would have settled for it; rejects only on what is not a verdict.
   */
  importBlocks(blocks: readonly Block[], from: string): Promise<PromiseSettledResult<ImportOutcome>[]>;
  /** Our chain's status, as sent to peers. */
  status(): Status;
  /** The peer's status names our chain: from now on it counts as a peer. */
  sameChain(peer: string): void;
  /**
   * The peer's status names another chain, seen in the answer to our request ('asked') or in its request
   * to us ('answered'): it is disconnected and held off, not penalised (other-chain.ts).
   */
  otherChain(peer: string, theirs: Status, via: 'asked' | 'answered'): void;
  /** Hash of our main-chain block at a height, if we have one. */
  mainHashAt(height: number): Promise<Uint8Array | undefined>;
  /** A range sync imported blocks: gossip our head, so that peers further behind catch up at once. */
  announceHead(): void;
}

export interface TxSyncHost extends PeerVerdicts, PeerRequests, TxAdmission {}

export interface GossipHost extends PeerVerdicts, BlockImport, Pick<TxAdmission, 'admitTx'> {
  readonly names: Pick<ChainNames, 'blocksTopic' | 'txsTopic' | 'peersTopic'>;
  /** Hands gossipsub its verdict on a message (with asyncValidation it forwards only accepted ones). */
  report(msgId: string, propagationSource: string, result: TopicValidatorResult): void;
  /** A gossiped block's parent is unknown: catch up with the peer that sent it. */
  fetchAncestors(peer: PeerId): void;
  /** A gossip block with valid proof of work arrived at `arrivedAt` (our clock): the clock check. */
  blockArrived(peer: string, header: BlockHeader, outcome: BlockArrival, arrivedAt: number): void;
}
