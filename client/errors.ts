// The API's errors, for both ends: the codes the node itself answers with, and the error that carries a
// reply's status, code and details (the server's routes throw a subclass of it, the client raises it).

/** API-level codes; transaction rejections use the TxError codes of protocol/errors.ts as they are. */
export const ApiErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  DECODE: 'DECODE',
  NOT_FOUND: 'NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
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
