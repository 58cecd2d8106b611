// Typed errors carrying the network's verdict (as Lodestar's gossip errors do):
//  reject: the data is invalid; whoever sent it is penalised and it is never forwarded;
//  ignore: not useful now (unknown parent, future timestamp, already known), no penalty.

export type Verdict = 'reject' | 'ignore';

/**
 * An error with a machine-readable code and the verdict its code carries, kept apart from the message
 * (a human sentence without the code): clients show the message, programs branch on the code.
 */
export abstract class VerdictError<C extends string = string> extends Error {
  readonly code: C;
  readonly verdict: Verdict;

  protected constructor(code: C, message: string, ignored: ReadonlySet<C>) {
    super(message);
    this.code = code;
    this.verdict = ignored.has(code) ? 'ignore' : 'reject';
  }

  /** Code and message in one line, for logs. */
  override toString(): string {
    return `${this.code}: ${this.message}`;
  }
}

export const BlockErrorCode = {
  DECODE: 'DECODE',
  ALREADY_KNOWN: 'ALREADY_KNOWN',
  KNOWN_INVALID: 'KNOWN_INVALID',
  BAD_VERSION: 'BAD_VERSION',
  BAD_BITS: 'BAD_BITS',
  POW_ABOVE_TARGET: 'POW_ABOVE_TARGET',
  BLOCK_TOO_LARGE: 'BLOCK_TOO_LARGE',
  TOO_MANY_TXS: 'TOO_MANY_TXS',
  BAD_TX_ROOT: 'BAD_TX_ROOT',
  DUPLICATE_TX: 'DUPLICATE_TX',
  ORPHAN: 'ORPHAN',
  PARENT_INVALID: 'PARENT_INVALID',
  BAD_HEIGHT: 'BAD_HEIGHT',
  WRONG_DIFFICULTY: 'WRONG_DIFFICULTY',
  TIMESTAMP_TOO_OLD: 'TIMESTAMP_TOO_OLD',
  TIMESTAMP_IN_FUTURE: 'TIMESTAMP_IN_FUTURE',
  INVALID_TX: 'INVALID_TX',
  /** An end-of-block hook (the auction's clearing) failed on this block: it cannot be executed. */
  HOOK_FAILED: 'HOOK_FAILED',
  BAD_STATE_ROOT: 'BAD_STATE_ROOT',
} as const;
export type BlockErrorCode = (typeof BlockErrorCode)[keyof typeof BlockErrorCode];

const IGNORED_BLOCK_CODES: ReadonlySet<BlockErrorCode> = new Set([
  BlockErrorCode.ALREADY_KNOWN,
  BlockErrorCode.ORPHAN,
  BlockErrorCode.TIMESTAMP_IN_FUTURE,
]);

export class BlockError extends VerdictError<BlockErrorCode> {
  override name = 'BlockError';
  /** The cause when code is INVALID_TX. */
  readonly txError?: TxError;
  readonly txIndex?: number;

  constructor(code: BlockErrorCode, message: string, tx?: { error: TxError; index: number }) {
    super(code, message, IGNORED_BLOCK_CODES);
    this.txError = tx?.error;
    this.txIndex = tx?.index;
  }
}

export const TxErrorCode = {
  DECODE: 'DECODE',
  TOO_LARGE: 'TOO_LARGE',
  /** The sender's public key is not a compressed secp256k1 point (prefix 02/03, on the curve). */
  BAD_PUBKEY: 'BAD_PUBKEY',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  FEE_TOO_LOW: 'FEE_TOO_LOW',
  ZERO_AMOUNT: 'ZERO_AMOUNT',
  NONCE_TOO_LOW: 'NONCE_TOO_LOW',
  NONCE_TOO_HIGH: 'NONCE_TOO_HIGH',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  ALREADY_KNOWN: 'ALREADY_KNOWN',
  REPLACEMENT_UNDERPRICED: 'REPLACEMENT_UNDERPRICED',
  MEMPOOL_FULL: 'MEMPOOL_FULL',
  SENDER_LIMIT: 'SENDER_LIMIT',
  // Contract calls
  UNKNOWN_CONTRACT: 'UNKNOWN_CONTRACT',
  BAD_ARGS: 'BAD_ARGS',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_REGISTERED: 'NOT_REGISTERED',
  GATE_CLOSED: 'GATE_CLOSED',
  INTERVAL_TOO_FAR: 'INTERVAL_TOO_FAR',
  NOT_CLEARED: 'NOT_CLEARED',
  DELIVERY_NOT_OVER: 'DELIVERY_NOT_OVER',
  ALREADY_REPORTED: 'ALREADY_REPORTED',
  NO_BID: 'NO_BID',
  ALREADY_REGISTERED: 'ALREADY_REGISTERED',
} as const;
export type TxErrorCode = (typeof TxErrorCode)[keyof typeof TxErrorCode];

// A stale nonce or a full pool says nothing bad about the sender of a gossip message.
const IGNORED_TX_CODES: ReadonlySet<TxErrorCode> = new Set([
  TxErrorCode.ALREADY_KNOWN,
  TxErrorCode.NONCE_TOO_LOW,
  TxErrorCode.NONCE_TOO_HIGH,
  TxErrorCode.MEMPOOL_FULL,
  TxErrorCode.SENDER_LIMIT,
  TxErrorCode.REPLACEMENT_UNDERPRICED,
  TxErrorCode.INSUFFICIENT_FUNDS,
  // Timing: honest clients race the gate and the clock (a bid for the interval whose window opens now is
  // too far ahead for a node whose clock or head is a little behind the one that admitted it); and a late
  // copy of a valid call is no offence.
  TxErrorCode.GATE_CLOSED,
  TxErrorCode.INTERVAL_TOO_FAR,
  TxErrorCode.NOT_CLEARED,
  TxErrorCode.DELIVERY_NOT_OVER,
  TxErrorCode.ALREADY_REPORTED,
  TxErrorCode.NO_BID,
  TxErrorCode.NOT_REGISTERED,
  TxErrorCode.ALREADY_REGISTERED,
]);

export class TxError extends VerdictError<TxErrorCode> {
  override name = 'TxError';

  constructor(code: TxErrorCode, message: string) {
    super(code, message, IGNORED_TX_CODES);
  }
}
