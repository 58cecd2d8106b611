// Wire protocols between nodes (docs/protocol.md, "Network"). Every name carries the chain's genesis
// hash, so two chains never exchange chain data, except the hello: the status exchange on connect, under a
// name without the genesis hash, so that a node of another chain is recognised and told apart (other-chain.ts)
// instead of failing to negotiate. Requests and responses are length-prefixed (unsigned varint) canonical
// encodings with hard size limits.
import { DecodeError, Reader, toHex, Writer } from '../protocol/bytes.ts';

export const MAX_BLOCKS_PER_REQUEST = 64;
export const MAX_HEADERS_PER_REQUEST = 256;
export const MAX_HASHES_PER_REQUEST = 64;
export const MAX_PENDING_IDS = 8192;
export const MAX_TXS_PER_REQUEST = 256;
export const REQUEST_TIMEOUT_MS = 10_000;
export const MAX_REQUEST_BYTES = 4096;

/** The status exchange on connect, the same for every chain: request and response are a Status. */
export const HELLO_PROTOCOL = '/vppchain/hello/1';

export interface ChainNames {
  blocksTopic: string;
  txsTopic: string;
  /** Peer records for discovery (discovery.ts). */
  peersTopic: string;
  status: string;
  blocksByRange: string;
  blocksByHash: string;
  headersByRange: string;
  pendingTxIds: string;
  txsByHash: string;
}

export function chainNames(genesisHash: Uint8Array): ChainNames {
  const g = toHex(genesisHash);
  return {
    blocksTopic: `/vppchain/${g}/blocks/1`,
    txsTopic: `/vppchain/${g}/txs/1`,
    peersTopic: `/vppchain/${g}/peers/1`,
    status: `/vppchain/${g}/req/status/1`,
    blocksByRange: `/vppchain/${g}/req/blocks_by_range/1`,
    blocksByHash: `/vppchain/${g}/req/blocks_by_hash/1`,
    headersByRange: `/vppchain/${g}/req/headers_by_range/1`,
    pendingTxIds: `/vppchain/${g}/req/pending_tx_ids/1`,
    txsByHash: `/vppchain/${g}/req/txs_by_hash/1`,
  };
}

/** Status: what a peer says about its chain (exchanged on connect and on request). */
export interface Status {
  chainId: number;
  genesisHash: Uint8Array;
  headHash: Uint8Array;
  headHeight: number;
  totalWork: bigint;
}

export function encodeStatus(s: Status): Uint8Array {
  const work = s.totalWork.toString(16).padStart(64, '0');
  if (work.length > 64) throw new RangeError('total work over 256 bits');
  return new Writer()
    .u32(s.chainId)
    .fixed(s.genesisHash, 32)
    .fixed(s.headHash, 32)
    .u32(s.headHeight)
    .fixed(Uint8Array.from(Buffer.from(work, 'hex')), 32)
    .finish();
}

export function decodeStatus(b: Uint8Array): Status {
  const r = new Reader(b);
  const s: Status = {
    chainId: r.u32('chain id'),
    genesisHash: r.fixed(32, 'genesis hash'),
    headHash: r.fixed(32, 'head hash'),
    headHeight: r.u32('head height'),
    totalWork: BigInt(`0x${toHex(r.fixed(32, 'total work'))}`),
  };
  r.end('status');
  return s;
}

/** A height range request: start height u32, count u16 (1..max). */
export interface RangeRequest {
  start: number;
  count: number;
}

export const encodeRange = (r: RangeRequest): Uint8Array => new Writer().u32(r.start).u16(r.count).finish();

export function decodeRange(b: Uint8Array, max: number): RangeRequest {
  const r = new Reader(b);
  const req = { start: r.u32('start'), count: r.u16('count') };
  r.end('range request');
  if (req.count < 1 || req.count > max) throw new DecodeError(`count must be 1..${max}`);
  return req;
}

/** Blocks by hash: u16 count, then 32-byte hashes. */
export function encodeHashes(hashes: Uint8Array[]): Uint8Array {
  const w = new Writer().u16(hashes.length);
  for (const h of hashes) w.fixed(h, 32);
  return w.finish();
}

export function decodeHashes(b: Uint8Array, max = MAX_HASHES_PER_REQUEST): Uint8Array[] {
  const r = new Reader(b);
  const n = r.u16('count');
  if (n < 1 || n > max) throw new DecodeError(`count must be 1..${max}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(r.fixed(32, 'hash'));
  r.end('hash request');
  return out;
}
