// Transactions: canonical encoding, hashing, signing. Byte layouts are in docs/protocol.md.
import { concatBytes, DecodeError, Reader, toHex, utf8, Writer } from './bytes.ts';
import { sha256d } from './hash.ts';
import {
  ADDRESS_LENGTH,
  type Address,
  addressOf,
  addressToBytes,
  bytesToAddress,
  type KeyPair,
  PUBKEY_LENGTH,
  SIGNATURE_LENGTH,
  sign,
} from './keys.ts';

export const TX_VERSION = 1;
export const MAX_TX_BYTES = 16 * 1024;
const SIGHASH_DOMAIN = utf8('vppchain/tx/v1');

/** Payload type tags. New kinds (contract calls) get new tags; old encodings never change. */
export const PayloadType = { transfer: 1, call: 2 } as const;
export const MAX_CALL_ARGS_BYTES = 8 * 1024;

export interface TransferPayload {
  kind: 'transfer';
  to: Address;
  amount: bigint;
}

/** A call of a native contract's method; `args` is the method's canonical argument encoding. */
export interface CallPayload {
  kind: 'call';
  contract: number; // u8
  method: number; // u8
  args: Uint8Array; // u16 length prefix on the wire
}

export type Payload = TransferPayload | CallPayload;

export interface UnsignedTx {
  nonce: bigint;
  fee: bigint;
  senderPubKey: Uint8Array;
  payload: Payload;
}

export interface Tx extends UnsignedTx {
  signature: Uint8Array;
}

/** What a chain's signatures commit to, so that a transaction can never be replayed on another chain. */
export interface ChainDomain {
  chainId: number;
  genesisHash: Uint8Array;
}

function writePayload(w: Writer, p: Payload): void {
  switch (p.kind) {
    case 'transfer':
      w.u8(PayloadType.transfer).fixed(addressToBytes(p.to), ADDRESS_LENGTH).u64(p.amount);
      return;
    case 'call':
      if (p.args.length > MAX_CALL_ARGS_BYTES) throw new RangeError('call arguments too long');
      w.u8(PayloadType.call).u8(p.contract).u8(p.method).u16(p.args.length).fixed(p.args, p.args.length);
      return;
  }
}

function readPayload(r: Reader): Payload {
  const type = r.u8('payload type');
  switch (type) {
    case PayloadType.transfer:
      return {
        kind: 'transfer',
        to: bytesToAddress(r.fixed(ADDRESS_LENGTH, 'recipient')),
        amount: r.u64('amount'),
      };
    case PayloadType.call: {
      const contract = r.u8('contract');
      const method = r.u8('method');
      const len = r.u16('args length');
      if (len > MAX_CALL_ARGS_BYTES) throw new DecodeError(`call arguments too long: ${len}`);
      return { kind: 'call', contract, method, args: r.fixed(len, 'args') };
    }
    default:
      throw new DecodeError(`unknown payload type ${type}`);
  }
}

function writeUnsigned(w: Writer, tx: UnsignedTx): Writer {
  w.u8(TX_VERSION).u64(tx.nonce).u64(tx.fee).fixed(tx.senderPubKey, PUBKEY_LENGTH);
  writePayload(w, tx.payload);
  return w;
}

export const encodeUnsignedTx = (tx: UnsignedTx): Uint8Array => writeUnsigned(new Writer(), tx).finish();

export function encodeTx(tx: Tx): Uint8Array {
  return writeUnsigned(new Writer(), tx).fixed(tx.signature, SIGNATURE_LENGTH).finish();
}

export function readTx(r: Reader): Tx {
  const version = r.u8('tx version');
  if (version !== TX_VERSION) throw new DecodeError(`unsupported tx version ${version}`);
  const nonce = r.u64('nonce');
  const fee = r.u64('fee');
  const senderPubKey = r.fixed(PUBKEY_LENGTH, 'sender public key');
  const payload = readPayload(r);
  const signature = r.fixed(SIGNATURE_LENGTH, 'signature');
  return { nonce, fee, senderPubKey, payload, signature };
}

export function decodeTx(bytes: Uint8Array): Tx {
  if (bytes.length > MAX_TX_BYTES) throw new DecodeError(`transaction too large: ${bytes.length} bytes`);
  const r = new Reader(bytes);
  const tx = readTx(r);
  r.end('transaction');
  return tx;
}

/** What every sighash preimage of a chain starts with: domain tag, genesis hash, chain id. */
export function sighashPrefix(domain: ChainDomain): Uint8Array {
  const head = new Writer().fixed(domain.genesisHash, 32).u32(domain.chainId).finish();
  return concatBytes(SIGHASH_DOMAIN, head);
}

/** The bytes whose SHA-256 is signed: domain tag, genesis hash, chain id, unsigned transaction. */
export const sighashPreimage = (tx: UnsignedTx, domain: ChainDomain): Uint8Array =>
  concatBytes(sighashPrefix(domain), encodeUnsignedTx(tx));

/**
 * sighashPreimage of the transaction whose canonical encoding is `bytes` (as decodeTx accepted it), given
 * its chain's sighashPrefix: the unsigned transaction's encoding is `bytes` without the signature, which
 * comes last, so nothing is encoded again (the signature workers' path).
 */
export function sighashPreimageOfEncoded(bytes: Uint8Array, prefix: Uint8Array): Uint8Array {
  const unsigned = bytes.length - SIGNATURE_LENGTH;
  const out = new Uint8Array(prefix.length + unsigned);
  out.set(prefix, 0);
  out.set(bytes.subarray(0, unsigned), prefix.length);
  return out;
}

export function signTx(tx: UnsignedTx, key: KeyPair, domain: ChainDomain): Tx {
  return { ...tx, signature: sign(sighashPreimage(tx, domain), key.secretKey) };
}

/** Transaction id: SHA-256d of the full canonical encoding (signature included). */
export const txHash = (tx: Tx): Uint8Array => sha256d(encodeTx(tx));

export const txSender = (tx: UnsignedTx): Address => addressOf(tx.senderPubKey);

/** Tokens a transaction moves directly from its sender, fee included (a call's locks are the contract's). */
export function txCost(tx: UnsignedTx): bigint {
  switch (tx.payload.kind) {
    case 'transfer':
      return tx.payload.amount + tx.fee;
    case 'call':
      return tx.fee;
  }
}

/** A transaction decoded once, with the derived values every stage needs. */
export interface TxEnvelope {
  tx: Tx;
  bytes: Uint8Array;
  hash: Uint8Array;
  id: string; // hex of hash
  sender: Address;
}

export function envelope(tx: Tx, bytes = encodeTx(tx)): TxEnvelope {
  const hash = sha256d(bytes);
  return { tx, bytes, hash, id: toHex(hash), sender: addressOf(tx.senderPubKey) };
}

export const envelopeFromBytes = (bytes: Uint8Array): TxEnvelope => envelope(decodeTx(bytes), bytes);
