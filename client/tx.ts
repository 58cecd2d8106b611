// Building and signing transactions locally: the secret key never leaves this process. Uses the chain's
// own canonical encoding and signing (protocol/tx.ts), so what is signed is exactly what nodes verify.
import { fromHex, toHex } from '../protocol/bytes.ts';
import { isAddress, type KeyPair } from '../protocol/keys.ts';
import { type ChainDomain, encodeTx, signTx, type Tx, txHash, type UnsignedTx } from '../protocol/tx.ts';

export type { ChainDomain, Tx, UnsignedTx };

const U64_MAX = (1n << 64n) - 1n;

/** Accepts bigint, a safe non-negative integer or a decimal string; throws RangeError otherwise. */
export function toU64(v: bigint | number | string, what: string): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`${what} must be a whole number, got ${v}`);
    n = BigInt(v);
  } else {
    if (!/^(0|[1-9][0-9]*)$/.test(v)) throw new RangeError(`${what} must be a decimal integer, got '${v}'`);
    n = BigInt(v);
  }
  if (n < 0n || n > U64_MAX) throw new RangeError(`${what} must be between 0 and ${U64_MAX}`);
  return n;
}

export interface TransferFields {
  to: string;
  amount: bigint | number | string;
  fee: bigint | number | string;
  nonce: bigint | number | string;
}

/** An unsigned transfer from `key`'s account. */
export function buildTransfer(key: KeyPair, f: TransferFields): UnsignedTx {
  const to = f.to.toLowerCase();
  if (!isAddress(to)) throw new RangeError(`recipient must be 0x + 40 hex digits, got '${f.to}'`);
  const amount = toU64(f.amount, 'amount');
  if (amount === 0n) throw new RangeError('amount must be positive');
  return {
    nonce: toU64(f.nonce, 'nonce'),
    fee: toU64(f.fee, 'fee'),
    senderPubKey: key.publicKey,
    payload: { kind: 'transfer', to, amount },
  };
}

/** The chain a signature commits to, from GET /v1/status (chainId, genesisHash). */
export const domainOf = (status: { chainId: number; genesisHash: string }): ChainDomain => ({
  chainId: status.chainId,
  genesisHash: fromHex(status.genesisHash, 32),
});

export function signTransaction(tx: UnsignedTx, key: KeyPair, domain: ChainDomain): Tx {
  return signTx(tx, key, domain);
}

/** The canonical encoding as hex (what POST /v1/transactions takes as { hex }) and the transaction id. */
export function encodeTransaction(tx: Tx): { hex: string; hash: string } {
  return { hex: toHex(encodeTx(tx)), hash: toHex(txHash(tx)) };
}
