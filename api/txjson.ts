// JSON <-> transaction conversion (and a dropped transaction's record), in one place. u64 values travel as decimal strings, bytes as lowercase
// hex (0x prefix optional on input), addresses as 0x + 40 hex digits.
// Adding a payload kind (e.g. `call`): add it to PAYLOAD_KINDS and add one case to payloadFromJson (input)
// and one to payloadToJson (output). Until then a new kind is refused on input (BAD_REQUEST) and rendered
// generically on output (bigint fields as decimal strings, bytes as hex), so blocks holding it still show.

import type { TxDroppedEventData } from '../client/types.ts';
import type { DroppedTx } from '../consensus/mempool-drops.ts';
import { CONTRACT_ABI } from '../contracts-vm/abi/index.ts';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../protocol/errors.ts';
import { PUBKEY_LENGTH, SIGNATURE_LENGTH } from '../protocol/keys.ts';
import {
  decodeTx,
  encodeTx,
  MAX_CALL_ARGS_BYTES,
  MAX_TX_BYTES,
  type Payload,
  type Tx,
  type TxEnvelope,
} from '../protocol/tx.ts';

export const PAYLOAD_KINDS: readonly Payload['kind'][] = ['transfer', 'call'];

const U64_MAX = (1n << 64n) - 1n;

/** Malformed JSON input: the message names the field. */
export class TxJsonError extends Error {
  override name = 'TxJsonError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function u64(v: unknown, field: string): bigint {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(v))
    throw new TxJsonError(field, 'must be a decimal string of an unsigned 64-bit integer (e.g. "123")');
  const n = BigInt(v);
  if (n > U64_MAX) throw new TxJsonError(field, `must be at most ${U64_MAX}`);
  return n;
}

function hexBytes(v: unknown, field: string, length: number): Uint8Array {
  if (typeof v !== 'string') throw new TxJsonError(field, `must be a hex string of ${length} bytes`);
  try {
    return fromHex(v, length);
  } catch (err) {
    throw new TxJsonError(field, `must be a hex string of ${length} bytes (${(err as Error).message})`);
  }
}

function address(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
    throw new TxJsonError(field, 'must be an address: 0x + 40 hex digits');
  return v.toLowerCase();
}

function onlyFields(o: Json, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw new TxJsonError(where ? `${where}.${k}` : k, 'unknown field');
}

export function payloadFromJson(v: unknown): Payload {
  if (!isObject(v)) throw new TxJsonError('payload', 'must be an object with a "kind"');
  const kind = v.kind;
  switch (kind) {
    case 'transfer':
      onlyFields(v, ['kind', 'to', 'amount'], 'payload');
      return { kind: 'transfer', to: address(v.to, 'payload.to'), amount: u64(v.amount, 'payload.amount') };
    case 'call': {
      onlyFields(v, ['kind', 'contract', 'method', 'args'], 'payload');
      const small = (x: unknown, field: string) => {
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 255)
          throw new TxJsonError(field, 'must be an integer 0..255');
        return x;
      };
      if (
        typeof v.args !== 'string' ||
        !/^(0x)?([0-9a-fA-F]{2})*$/.test(v.args) ||
        v.args.length > 2 + 2 * MAX_CALL_ARGS_BYTES
      ) {
        throw new TxJsonError('payload.args', `must be hex of at most ${MAX_CALL_ARGS_BYTES} bytes`);
      }
      return {
        kind: 'call',
        contract: small(v.contract, 'payload.contract'),
        method: small(v.method, 'payload.method'),
        args: fromHex(v.args),
      };
    }
    default:
      throw new TxJsonError(
        'payload.kind',
        `must be one of ${PAYLOAD_KINDS.join(', ')}; got ${JSON.stringify(kind)}`,
      );
  }
}

export function payloadToJson(p: Payload): Json {
  switch (p.kind) {
    case 'transfer':
      return { kind: 'transfer', to: p.to, amount: p.amount.toString() };
    case 'call':
      return {
        kind: 'call',
        contract: p.contract,
        method: p.method,
        args: toHex(p.args),
        ...describeCall(p),
      };
    default:
      return genericJson(p as unknown as Json);
  }
}

/** A kind without its own case yet: bigint fields as decimal strings, bytes as hex, the rest as is. */
function genericJson(p: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(p))
    out[k] = typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v;
  return out;
}

const TX_FIELDS = ['nonce', 'fee', 'senderPubKey', 'payload', 'signature'] as const;

/** A signed transaction from its JSON form (all fields required, no others). */
export function txFromJson(v: unknown): Tx {
  if (!isObject(v)) throw new TxJsonError('body', 'must be an object');
  onlyFields(v, TX_FIELDS, '');
  for (const f of TX_FIELDS) if (!(f in v)) throw new TxJsonError(f, 'is required');
  return {
    nonce: u64(v.nonce, 'nonce'),
    fee: u64(v.fee, 'fee'),
    senderPubKey: hexBytes(v.senderPubKey, 'senderPubKey', PUBKEY_LENGTH),
    payload: payloadFromJson(v.payload),
    signature: hexBytes(v.signature, 'signature', SIGNATURE_LENGTH),
  };
}

export interface TxJson {
  hash: string;
  nonce: string;
  fee: string;
  sender: string;
  senderPubKey: string;
  payload: Json;
  signature: string;
}

/** The transaction's JSON form as the API returns it (with its hash and sender). */
export function txToJson(env: TxEnvelope): TxJson {
  const { tx } = env;
  return {
    hash: env.id,
    nonce: tx.nonce.toString(),
    fee: tx.fee.toString(),
    sender: env.sender,
    senderPubKey: toHex(tx.senderPubKey),
    payload: payloadToJson(tx.payload),
    signature: toHex(tx.signature),
  };
}

/** A dropped-transaction record in its wire form (the `tx.dropped` event; GET adds `status: 'dropped'`). */
export function droppedTxJson(d: DroppedTx): TxDroppedEventData {
  return {
    hash: d.id,
    reason: d.reason,
    ...(d.code !== undefined && { code: d.code }),
    message: d.message,
    droppedAt: d.time,
    ...(d.replacedBy !== undefined && { replacedBy: d.replacedBy }),
    sender: d.sender,
    nonce: d.nonce.toString(),
  };
}

/** Canonical bytes from the hex form; TxError TOO_LARGE, DecodeError when malformed (decodeTx checks size, version, kind, trailing). */
export function txFromHex(hex: string): Tx {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (h.length > 2 * MAX_TX_BYTES)
    throw new TxError(
      TxErrorCode.TOO_LARGE,
      `transaction of ${Math.ceil(h.length / 2)} bytes; at most ${MAX_TX_BYTES}`,
    );
  return decodeTx(fromHex(h));
}

/** Either form of POST /v1/transactions: { hex } or the JSON fields. Encodes canonically. */
export function txFromBody(body: unknown): { tx: Tx; bytes: Uint8Array } {
  if (isObject(body) && 'hex' in body) {
    onlyFields(body, ['hex'], '');
    if (typeof body.hex !== 'string') throw new TxJsonError('hex', 'must be a hex string');
    const h = body.hex.startsWith('0x') ? body.hex.slice(2) : body.hex;
    const tx = txFromHex(h);
    return { tx, bytes: fromHex(h) };
  }
  const tx = txFromJson(body);
  try {
    return { tx, bytes: encodeTx(tx) };
  } catch (err) {
    // a value the encoding cannot hold (e.g. call arguments over their limit) is the client's mistake
    if (err instanceof RangeError) throw new TxJsonError('payload', err.message);
    throw err;
  }
}

/** The contract and method names of a call, for readers (`undefined` names when unknown). */
function describeCall(p: { contract: number; method: number; args: Uint8Array }): Json {
  try {
    const { contract, method } = CONTRACT_ABI.decode({ kind: 'call', ...p });
    return { contractName: contract.name, methodName: method.name };
  } catch {
    return {};
  }
}
