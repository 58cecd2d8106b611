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
