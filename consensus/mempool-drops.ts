// Dropped transactions: why a transaction this node had admitted left its mempool without being mined.
// Every admitted transaction ends either in a main-chain block or here, so a client that got 202 can
// always learn its fate (GET /v1/transactions/:id, the `tx.dropped` event). The record is bounded (the
// oldest are forgotten first) and persisted with the mempool (mempool-store.ts), so it survives restarts.
import { type TxError, TxErrorCode } from '../protocol/errors.ts';
import { type Address, isAddress } from '../protocol/keys.ts';

/**
 * replaced: a transaction with the same nonce and a higher fee took its place (`replacedBy`);
 * evicted: the pool was full and a better-paying transaction took its place (`replacedBy`);
 * expired: it waited behind a nonce gap longer than the queue's time limit;
 * gate-closed: its auction interval's gate closed before a block took it;
 * nonce-used: another transaction of the sender with its nonce reached the main chain;
 * invalid: the chain moved and it no longer passes (`code` says why, e.g. INSUFFICIENT_FUNDS).
 */
export const DROP_REASONS = [
  'replaced',
  'evicted',
  'expired',
  'gate-closed',
  'nonce-used',
  'invalid',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface DroppedTx {
  /** Transaction id (hex). */
  id: string;
  sender: Address;
  nonce: bigint;
  reason: DropReason;
  /** The transaction error behind the drop, when there is one (gate-closed, nonce-used, invalid). */
  code?: TxErrorCode;
  /** A sentence for people, without the code. */
  message: string;
  /** When this node dropped it: ms since the Unix epoch (wall clock; not chain data). */
  time: number;
  /** The transaction that took its place (replaced, evicted). */
  replacedBy?: string;
  /** Order of the record (the oldest are forgotten first). */
  seq: number;
}

/** What the pool says of a drop; the record adds the transaction, the time and the order. */
export type DropCause = Pick<DroppedTx, 'reason' | 'message'> &
  Partial<Pick<DroppedTx, 'code' | 'replacedBy'>>;

/** The drop reason of a transaction error met after admission (the chain moved). */
export function causeOf(err: TxError): DropCause {
  const reason: DropReason =
    err.code === TxErrorCode.GATE_CLOSED
      ? 'gate-closed'
      : err.code === TxErrorCode.NONCE_TOO_LOW
        ? 'nonce-used'
        : err.code === TxErrorCode.MEMPOOL_FULL || err.code === TxErrorCode.SENDER_LIMIT
          ? 'evicted'
          : 'invalid';
  return { reason, code: err.code, message: err.message };
}

/** The drops of an insertion-ordered bounded log: the newest `limit` records by id. */
export class DropLog {
  private readonly records = new Map<string, DroppedTx>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: string): DroppedTx | undefined {
    return this.records.get(id);
  }

  /** Adds (or renews) a record; returns the ids of the records forgotten to stay within the limit. */
  add(rec: DroppedTx): string[] {
    this.records.delete(rec.id);
    this.records.set(rec.id, rec);
    const forgotten: string[] = [];
    for (const id of this.records.keys()) {
      if (this.records.size <= this.limit) break;
      this.records.delete(id);
      forgotten.push(id);
    }
    return forgotten;
  }

  delete(id: string): boolean {
    return this.records.delete(id);
  }

  /** The highest sequence number held (0 when empty). */
  maxSeq(): number {
    let max = 0;
    for (const r of this.records.values()) if (r.seq > max) max = r.seq;
    return max;
  }
}

const CODES = new Set<string>(Object.values(TxErrorCode));
const HEX32 = /^[0-9a-f]{64}$/;

/** A record as stored: JSON with the nonce as a decimal string. */
export function encodeDropped(d: DroppedTx): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...d, nonce: d.nonce.toString() }));
}

/** A stored record, checked field by field; throws RangeError naming what is wrong. */
export function decodeDropped(id: string, bytes: Uint8Array): DroppedTx {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch (err) {
    throw new RangeError(`dropped record ${id} is not JSON: ${(err as Error).message}`);
  }
  const bad = (field: string) => new RangeError(`dropped record ${id}: bad ${field}`);
  if (typeof v !== 'object' || v === null) throw bad('record');
  if (v.id !== id) throw bad('id');
  if (!isAddress(v.sender)) throw bad('sender');
  if (typeof v.nonce !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(v.nonce)) throw bad('nonce');
  if (!DROP_REASONS.includes(v.reason as DropReason)) throw bad('reason');
  if (v.code !== undefined && !CODES.has(v.code as string)) throw bad('code');
  if (typeof v.message !== 'string') throw bad('message');
  if (!Number.isSafeInteger(v.time)) throw bad('time');
  if (v.replacedBy !== undefined && !(typeof v.replacedBy === 'string' && HEX32.test(v.replacedBy)))
    throw bad('replacedBy');
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 0) throw bad('seq');
  return {
    id,
    sender: v.sender,
    nonce: BigInt(v.nonce),
    reason: v.reason as DropReason,
    ...(v.code !== undefined && { code: v.code as TxErrorCode }),
    message: v.message,
    time: v.time as number,
    ...(v.replacedBy !== undefined && { replacedBy: v.replacedBy as string }),
    seq: v.seq as number,
  };
}
