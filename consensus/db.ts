// LevelDB layout: one key space per concern, each a one-byte prefix (docs/protocol.md, "Ledger").
//   'i' + hash      -> block index entry: header (118) | total work (32) | status (1)
//   'b' + hash      -> block bytes
//   'u' + hash      -> undo record of a connected block
//   'h' + u32 height -> hash of the main-chain block at that height
//   't' + tx hash   -> main-chain location: block hash (32) | index (u32)
//   's' + state key -> state value (the head's state)
//   'r' + hash      -> receipts of a connected block (JSON: events; derived data, not hashed)
//   'm' + name      -> metadata: "head" (hash), "genesis" (hash)
// Every block import or reorg is one LevelDB batch that includes the head pointer.
import { Level } from 'level';
import type { Changes } from '../contracts-vm/state.ts';
import type { BlockReceipts } from '../contracts-vm/transition.ts';
import {
  type Block,
  type BlockHeader,
  decodeBlock,
  decodeHeader,
  encodeBlock,
  encodeHeader,
  HEADER_BYTES,
} from '../protocol/block.ts';
import { bytesEqual, concatBytes, fromHex, Reader, toHex, utf8 } from '../protocol/bytes.ts';
import { BoundedMap } from './bounded-map.ts';
import { BlockStatus } from './fork-choice.ts';

type Key = Uint8Array;
type Op = { type: 'put'; key: Key; value: Uint8Array } | { type: 'del'; key: Key };

const P = {
  index: 0x69,
  block: 0x62,
  undo: 0x75,
  height: 0x68,
  tx: 0x74,
  state: 0x73,
  meta: 0x6d,
  receipts: 0x72,
} as const;

function prefixed(p: number, k: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + k.length);
  key[0] = p;
  key.set(k, 1);
  return key;
}
/** `bytes`, then `n` as a big-endian u32, in one allocation (made per block and per transaction). */
function withU32(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(bytes.length + 4);
  out.set(bytes);
  const at = bytes.length;
  out[at] = n >>> 24;
  out[at + 1] = n >>> 16;
  out[at + 2] = n >>> 8;
  out[at + 3] = n;
  return out;
}
const heightKey = (h: number): Uint8Array => withU32(Uint8Array.of(P.height), h);
const metaKey = (name: string): Uint8Array => prefixed(P.meta, utf8(name));

export interface IndexRecord {
  header: BlockHeader;
  totalWork: bigint;
  status: BlockStatus;
}

function encodeIndex(r: IndexRecord): Uint8Array {
  const work = fromHex(r.totalWork.toString(16).padStart(64, '0'), 32);
  return concatBytes(encodeHeader(r.header), work, Uint8Array.of(r.status));
}

function decodeIndex(b: Uint8Array): IndexRecord {
  const header = decodeHeader(b.subarray(0, HEADER_BYTES));
  const r = new Reader(b.subarray(HEADER_BYTES));
  const work = r.fixed(32);
  const status = r.u8() as BlockStatus;
  r.end('index record');
  return { header, totalWork: BigInt(`0x${Buffer.from(work).toString('hex')}`), status };
}

/** Accumulates the writes of one import; nothing reaches the disk until `write`. */
export class LedgerBatch {
  readonly ops: Op[] = [];

  putIndex(hash: Uint8Array, r: IndexRecord): this {
    this.ops.push({ type: 'put', key: prefixed(P.index, hash), value: encodeIndex(r) });
    return this;
  }
  putBlock(hash: Uint8Array, bytes: Uint8Array): this {
    this.ops.push({ type: 'put', key: prefixed(P.block, hash), value: bytes });
    return this;
  }
  putUndo(hash: Uint8Array, bytes: Uint8Array): this {
    this.ops.push({ type: 'put', key: prefixed(P.undo, hash), value: bytes });
    return this;
  }
  delUndo(hash: Uint8Array): this {
    this.ops.push({ type: 'del', key: prefixed(P.undo, hash) });
    return this;
  }
  putReceipts(hash: Uint8Array, receipts: BlockReceipts): this {
    this.ops.push({ type: 'put', key: prefixed(P.receipts, hash), value: utf8(JSON.stringify(receipts)) });
    return this;
  }
  putHeight(height: number, hash: Uint8Array): this {
    this.ops.push({ type: 'put', key: heightKey(height), value: hash });
    return this;
  }
  delHeight(height: number): this {
    this.ops.push({ type: 'del', key: heightKey(height) });
    return this;
  }
  putTx(txHash: Uint8Array, blockHash: Uint8Array, index: number): this {
    this.ops.push({
      type: 'put',
      key: prefixed(P.tx, txHash),
      value: withU32(blockHash, index),
    });
    return this;
  }
  delTx(txHash: Uint8Array): this {
    this.ops.push({ type: 'del', key: prefixed(P.tx, txHash) });
    return this;
  }
  putState(key: Uint8Array, value: Uint8Array | null): this {
    if (value === null) this.ops.push({ type: 'del', key: prefixed(P.state, key) });
    else this.ops.push({ type: 'put', key: prefixed(P.state, key), value });
    return this;
  }
  putHead(hash: Uint8Array): this {
    this.ops.push({ type: 'put', key: metaKey('head'), value: hash });
    return this;
  }
  putGenesis(hash: Uint8Array): this {
    this.ops.push({ type: 'put', key: metaKey('genesis'), value: hash });
    return this;
  }

  /**
   * The block-index writes of this batch alone: what survives when a reorg is abandoned (blocks it found
   * invalid stay marked; its state, undo and height writes are dropped).
   */
  indexOnly(): LedgerBatch {
    const out = new LedgerBatch();
    out.ops.push(...this.ops.filter((op) => op.key[0] === P.index));
    return out;
  }
}

/** Blocks whose receipts are kept in memory after their write (see LedgerDb.recentReceipts). */
const RECENT_RECEIPTS = 256;

export class LedgerDb {
  private readonly db: Level<Key, Uint8Array>;
  /**
   * The receipts of the blocks written last, as written (hex block hash -> JSON bytes): the node reads
   * each connected block's receipts right after its head change (event stream, market metrics), and
   * receipts are never deleted, so these answer exactly as the disk would without a LevelDB read.
   */
  private readonly recentReceipts = new BoundedMap<string, Uint8Array>(RECENT_RECEIPTS);

  constructor(path: string) {
    this.db = new Level<Key, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  }

  open(): Promise<void> {
    return this.db.open();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** LevelDB's state: reads and writes work only while it is open. */
  get isOpen(): boolean {
    return this.db.status === 'open';
  }

  /** One atomic LevelDB write: all of it survives a crash, or none of it. */
  async write(batch: LedgerBatch): Promise<void> {
    if (batch.ops.length === 0) return;
    await this.db.batch(batch.ops);
    for (const op of batch.ops)
      if (op.type === 'put' && op.key[0] === P.receipts)
        this.recentReceipts.set(toHex(op.key.subarray(1)), op.value);
  }

  /**
   * Writes the genesis block, its index record, its state and the head pointer into an empty ledger, or
   * checks that the ledger already there belongs to this genesis.
   */
  async ensureGenesis(
    genesis: { hash: Uint8Array; block: Block; state: Changes },
    totalWork: bigint,
  ): Promise<void> {
    const { hash, block } = genesis;
    const stored = await this.getGenesis();
    if (stored) {
      if (bytesEqual(stored, hash)) return;
      throw new Error(
        `data directory belongs to another chain (genesis ${toHex(stored)}, expected ${toHex(hash)})`,
      );
    }
    const batch = new LedgerBatch()
      .putGenesis(hash)
      .putIndex(hash, { header: block.header, totalWork, status: BlockStatus.valid })
      .putBlock(hash, encodeBlock(block))
      .putHeight(0, hash)
      .putHead(hash);
    for (const [k, v] of genesis.state) batch.putState(fromHex(k), v);
    await this.write(batch);
  }

  private get(key: Key): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }

  /** A stored block (it passed the size limits of its time when stored, so none apply on reading). */
  async getBlock(hash: Uint8Array): Promise<Block | undefined> {
    const bytes = await this.getBlockBytes(hash);
    return (
      bytes &&
      decodeBlock(bytes, { maxBlockBytes: Number.MAX_SAFE_INTEGER, maxBlockTxs: Number.MAX_SAFE_INTEGER })
    );
  }
  /** A stored block's bytes (its canonical encoding, as received or mined). */
  getBlockBytes(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.get(prefixed(P.block, hash));
  }
  /** Several stored blocks' bytes in one LevelDB call (a served range); undefined where one is missing. */
  getBlocksBytes(hashes: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.db.getMany(hashes.map((h) => prefixed(P.block, h)));
  }
  getUndo(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.get(prefixed(P.undo, hash));
  }
  async getReceipts(hash: Uint8Array): Promise<BlockReceipts | undefined> {
    const v = this.recentReceipts.get(toHex(hash)) ?? (await this.get(prefixed(P.receipts, hash)));
    return v && (JSON.parse(new TextDecoder().decode(v)) as BlockReceipts);
  }
  getHeight(height: number): Promise<Uint8Array | undefined> {
    return this.get(heightKey(height));
  }
  async getTx(txHash: Uint8Array): Promise<{ blockHash: Uint8Array; index: number } | undefined> {
    const v = await this.get(prefixed(P.tx, txHash));
    if (!v) return undefined;
    return { blockHash: v.slice(0, 32), index: new Reader(v.subarray(32)).u32() };
  }
  getHead(): Promise<Uint8Array | undefined> {
    return this.get(metaKey('head'));
  }
  private getGenesis(): Promise<Uint8Array | undefined> {
    return this.get(metaKey('genesis'));
  }

  private async *range(prefix: number): AsyncGenerator<[Uint8Array, Uint8Array]> {
    const gte = Uint8Array.of(prefix);
    const lt = Uint8Array.of(prefix + 1);
    for await (const [k, v] of this.db.iterator({ gte, lt })) yield [k.subarray(1), v];
  }

  /** Every block-index record, parents before children (by height), to rebuild the block tree. */
  async indexByHeight(): Promise<[Uint8Array, IndexRecord][]> {
    const records: [Uint8Array, IndexRecord][] = [];
    for await (const [k, v] of this.range(P.index)) records.push([k, decodeIndex(v)]);
    return records.sort((a, b) => a[1].header.height - b[1].header.height);
  }

  /** The head's whole state, keyed by hex state key. */
  async loadState(): Promise<Map<string, Uint8Array>> {
    const state = new Map<string, Uint8Array>();
    for await (const [k, v] of this.range(P.state)) state.set(toHex(k), v);
    return state;
  }
}
