// Block header and block encoding. The header is 118 bytes so that the whole proof-of-work message fits
// two SHA-256 blocks: the first 64 bytes do not change while a miner searches (midstate), and the nonce
// and the timestamp sit in the second block. Layout in docs/protocol.md.
import { DecodeError, Reader, Writer } from './bytes.ts';
import { sha256d } from './hash.ts';
import { ADDRESS_LENGTH, type Address, addressToBytes, bytesToAddress } from './keys.ts';
import { blockTxRoot } from './merkle.ts';
import { envelope, MAX_TX_BYTES, readTx, type TxEnvelope } from './tx.ts';

export const HEADER_VERSION = 1;
export const HEADER_BYTES = 118;
export const NONCE_OFFSET = 114;
export const TIMESTAMP_OFFSET = 102;

export interface BlockHeader {
  version: number; // u16
  height: number; // u32
  parentHash: Uint8Array; // 32
  txRoot: Uint8Array; // 32
  stateRoot: Uint8Array; // 32
  timestamp: number; // u64, milliseconds since the Unix epoch (a safe integer)
  bits: number; // u32, compact target
  nonce: number; // u32
}

export interface Block {
  header: BlockHeader;
  miner: Address;
  txs: TxEnvelope[];
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  if (!Number.isSafeInteger(h.timestamp) || h.timestamp < 0) throw new RangeError('timestamp out of range');
  return new Writer()
    .u16(h.version)
    .u32(h.height)
    .fixed(h.parentHash, 32)
    .fixed(h.txRoot, 32)
    .fixed(h.stateRoot, 32)
    .u64(BigInt(h.timestamp))
    .u32(h.bits)
    .u32(h.nonce)
    .finish();
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length !== HEADER_BYTES)
    throw new DecodeError(`header must be ${HEADER_BYTES} bytes, got ${bytes.length}`);
  const r = new Reader(bytes);
  const header = readHeader(r);
  r.end('header');
  return header;
}

function readHeader(r: Reader): BlockHeader {
  const version = r.u16('version');
  const height = r.u32('height');
  const parentHash = r.fixed(32, 'parent hash');
  const txRoot = r.fixed(32, 'tx root');
  const stateRoot = r.fixed(32, 'state root');
  const ts = r.u64('timestamp');
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('timestamp out of range');
  const bits = r.u32('bits');
  const nonce = r.u32('nonce');
  return { version, height, parentHash, txRoot, stateRoot, timestamp: Number(ts), bits, nonce };
}

/** Block hash = SHA-256d(header bytes). */
export const headerHash = (h: BlockHeader): Uint8Array => sha256d(encodeHeader(h));

/** Block bytes: header, miner address, u32 transaction count, then each transaction with a u32 length. */
export function encodeBlock(b: Block): Uint8Array {
  // Written into one buffer of the exact size (every block stored or served is encoded once).
  let size = HEADER_BYTES + ADDRESS_LENGTH + 4;
  for (const t of b.txs) size += 4 + t.bytes.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(encodeHeader(b.header), 0);
  out.set(addressToBytes(b.miner), HEADER_BYTES);
  let at = HEADER_BYTES + ADDRESS_LENGTH;
  view.setUint32(at, b.txs.length);
  at += 4;
  for (const t of b.txs) {
    view.setUint32(at, t.bytes.length);
    out.set(t.bytes, at + 4);
    at += 4 + t.bytes.length;
  }
  return out;
}

export interface DecodeLimits {
  maxBlockBytes: number;
  maxBlockTxs: number;
}

export function decodeBlock(bytes: Uint8Array, limits: DecodeLimits): Block {
  if (bytes.length > limits.maxBlockBytes) throw new DecodeError(`block too large: ${bytes.length} bytes`);
  const r = new Reader(bytes);
  const header = readHeader(r);
  const miner = bytesToAddress(r.fixed(ADDRESS_LENGTH, 'miner'));
  const count = r.u32('tx count');
  if (count > limits.maxBlockTxs) throw new DecodeError(`too many transactions: ${count}`);
  const txs: TxEnvelope[] = [];
  for (let i = 0; i < count; i++) {
    const txBytes = r.bytes(MAX_TX_BYTES, `tx ${i}`);
    const tr = new Reader(txBytes);
    const tx = readTx(tr);
    tr.end(`tx ${i}`);
    txs.push(envelope(tx, txBytes));
  }
  r.end('block');
  return { header, miner, txs };
}

export const computeTxRoot = (miner: Address, txs: readonly TxEnvelope[]): Uint8Array =>
  blockTxRoot(
    addressToBytes(miner),
    txs.map((t) => t.hash),
  );
