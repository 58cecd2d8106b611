/** The node answered with an error: `code` is the API's machine-readable code (BAD_REQUEST, NONCE_TOO_LOW, …). */
export class VppApiError extends Error {
  override name = 'VppApiError';
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.details = details;
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
