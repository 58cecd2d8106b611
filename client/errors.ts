// The API's errors, for both ends: the codes the node itself answers with, and the error that carries a
// reply's status, code and details (the server's routes throw a subclass of it, the client raises it).

/** API-level codes; transaction rejections use the TxError codes of protocol/errors.ts as they are. */
export const ApiErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  DECODE: 'DECODE',
  NOT_FOUND: 'NOT_FOUND',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  /** GET /readyz: the node is up but not ready (syncing, without peers, or its database is closed). */
  NOT_READY: 'NOT_READY',
  INTERNAL: 'INTERNAL',
} as const;

/** The node answered with an error: `code` is the API's machine-readable code (BAD_REQUEST, NONCE_TOO_LOW, …). */
export class VppApiError extends Error {
  override name = 'VppApiError';
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;

  /** `message` is the node's sentence without the code; `toString()` gives both. */
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  override toString(): string {
    return `${this.code}: ${this.message}`;
  }
}

/** The node could not be reached, or answered with something that is not the API. */
export class VppConnectionError extends Error {
  override name = 'VppConnectionError';
}

/** A wait (for a confirmation, an event) ran out of time. */
export class VppTimeoutError extends Error {
  override name = 'VppTimeoutError';
}

/**
 * The node dropped the transaction it had admitted (its terminal state): `reason` says why (replaced,
 * evicted, expired, gate-closed, nonce-used, invalid), `code` the transaction error behind it if any,
 * `replacedBy` the transaction that took its place. A wait for its confirmation ends with this error.
 */
export class VppTxDroppedError extends Error {
  override name = 'VppTxDroppedError';
  readonly hash: string;
  readonly reason: string;
  readonly code?: string;
  readonly replacedBy?: string;
  readonly droppedAt: number;

  constructor(d: {
    hash: string;
    reason: string;
    code?: string;
    message: string;
    replacedBy?: string;
    droppedAt: number;
  }) {
    super(`transaction ${d.hash} was dropped (${d.reason}): ${d.message}`);
    this.hash = d.hash;
    this.reason = d.reason;
    this.code = d.code;
    this.replacedBy = d.replacedBy;
    this.droppedAt = d.droppedAt;
  }

  override toString(): string {
    return `DROPPED: ${this.message}`;
  }
}
