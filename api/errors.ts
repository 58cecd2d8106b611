// One error shape for every 4xx/5xx reply: { error: { code, message, details? } } (ApiErrorBody of
// client/types.ts; the codes are client/errors.ts's ApiErrorCode), and the handlers that produce it:
// route errors, validation, not found, what fastify answers before routing (frameworkErrors), requests
// Node's HTTP parser refuses or that time out (clientError), and requests that arrive while closing.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorCode, VppApiError } from '../client/errors.ts';
import type { ApiErrorBody } from '../client/types.ts';

/**
 * What a route throws to answer with an error. The fields are the client's VppApiError (one definition of
 * what an API error carries); `statusCode` is the name fastify and its plugins look for.
 */
export class ApiError extends VppApiError {
  override name = 'ApiError';

  get statusCode(): number {
    return this.status;
  }
}

export const badRequest = (message: string, details?: unknown): ApiError =>
  new ApiError(400, ApiErrorCode.BAD_REQUEST, message, details);
export const notFound = (message: string): ApiError => new ApiError(404, ApiErrorCode.NOT_FOUND, message);

export const errorReply = {
  $id: 'ErrorReply',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description: 'machine-readable code, e.g. BAD_REQUEST, NOT_FOUND, NONCE_TOO_LOW',
        },
        message: { type: 'string' },
        details: {},
      },
    },
  },
} as const;

/** Response schemas for errors, to spread into a route's `response`. */
export const errorResponses = {
  '4xx': { $ref: 'ErrorReply#' },
  '5xx': { $ref: 'ErrorReply#' },
} as const;

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ApiErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ApiErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ApiErrorCode.BAD_REQUEST,
  FST_ERR_CTP_EMPTY_JSON_BODY: ApiErrorCode.BAD_REQUEST,
  FST_ERR_CTP_INVALID_JSON_BODY: ApiErrorCode.BAD_REQUEST,
};

interface Validation {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: unknown;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details?: unknown,
) {
  const body: ApiErrorBody = { error: { code, message } };
  if (details !== undefined) body.error.details = details;
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * What a schema's pattern asks for, in words (a person reading a 400 should not have to read a regular
 * expression); undefined for a pattern without words here, which keeps the validator's message.
 */
export function describePattern(pattern: string): string | undefined {
  const address = /^\^0x\[0-9a-f(A-F)?\]\{40\}\$$/.exec(pattern);
  if (address) return `must be an address: 0x and 40 ${address[1] ? '' : 'lowercase '}hex digits`;
  if (pattern === '^(latest|[0-9]{1,10}|(0x)?[0-9a-fA-F]{64})$')
    return "must be 'latest', a block height or a block hash (64 hex digits)";
  if (/\{64\}\$$/.test(pattern)) return 'must be a hash: 64 hex digits (0x optional)';
  if (/^\^\(0\|\[1-9\]\[0-9\]\{0,1[89]\}\)\$$/.test(pattern))
    return 'must be a whole number as a decimal string (no sign, no leading zeros, at most 2^64 - 1)';
  if (pattern === '^-?\\d{1,30}$') return 'must be a whole number as a decimal string';
  const digits = /^\^\[0-9\]\{1,(\d+)\}\$$/.exec(pattern);
  if (digits) return `must be a whole number of at most ${digits[1]} digits`;
  return undefined;
}

/** Installs the error and not-found handlers that give every failure the one shape. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) return sendError(reply, err.statusCode, err.code, err.message, err.details);
    const fe = err as FastifyError & { validation?: Validation[]; validationContext?: string };
    if (fe.validation) {
      const details = fe.validation.map((v) => ({
        path: `${fe.validationContext ?? ''}${v.instancePath ?? ''}`,
        message:
          v.keyword === 'additionalProperties'
            ? `has unknown field '${(v.params as { additionalProperty?: string }).additionalProperty}'`
            : v.keyword === 'pattern'
              ? (describePattern((v.params as { pattern?: string }).pattern ?? '') ?? v.message ?? 'invalid')
              : (v.message ?? 'invalid'),
      }));
      const first = details[0];
      return sendError(
        reply,
        400,
        ApiErrorCode.BAD_REQUEST,
        first ? `${first.path || 'request'} ${first.message}` : 'invalid request',
        details,
      );
    }
    const status = fe.statusCode ?? 500;
    if (status === 429) return sendError(reply, 429, ApiErrorCode.RATE_LIMITED, fe.message);
    if (status >= 400 && status < 500) {
      const code = (fe.code && FASTIFY_CODES[fe.code]) ?? ApiErrorCode.BAD_REQUEST;
      return sendError(reply, status, code, fe.message);
    }
    request.log.error({ err }, 'request failed');
    return sendError(reply, 500, ApiErrorCode.INTERNAL, 'internal error');
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, ApiErrorCode.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}`),
  );
}

/**
 * The reply to a request fastify rejects before routing: a malformed URL (400), a parameter over its
 * length (414); a failure of fastify's own (5xx, e.g. an async route constraint) is ours, not the client's.
 */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err.statusCode !== undefined && err.statusCode >= 500) {
    request.log.error({ err }, 'request failed before routing');
    return sendError(reply, 500, ApiErrorCode.INTERNAL, 'internal error');
  }
  const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 400;
  return sendError(reply, status, ApiErrorCode.BAD_REQUEST, err.message);
}

/** The limits clientError names in its timeout message. */
export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * The answer to a connection whose request never reached fastify: Node's HTTP parser refused it (a
 * header value with a control character such as `application/json\x00…`, a malformed request line,
 * conflicting lengths), its headers were too large, or it did not arrive in time. Written on the raw
 * socket in the one shape, then the connection is closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex, limits: HttpLimits): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let code: string = ApiErrorCode.BAD_REQUEST;
  let message = `malformed HTTP request (${err.message})`;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    code = ApiErrorCode.REQUEST_TIMEOUT;
    message = `request not received in time: headers within ${limits.headersTimeoutMs} ms, the whole request within ${limits.requestTimeoutMs} ms`;
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    code = ApiErrorCode.HEADERS_TOO_LARGE;
    message = 'request headers too large';
  }
  // As Node itself does: nothing is written after a reply on this connection has begun (a pipelined
  // request behind a stream), since that would corrupt what the client is reading.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } } satisfies ApiErrorBody);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/**
 * Requests that arrive while the server closes (on a kept-alive connection) are answered 503 UNAVAILABLE
 * in the one shape, instead of fastify's own 503 body.
 */
export function installClosingReply(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    return sendError(reply, 503, ApiErrorCode.UNAVAILABLE, 'the node is stopping');
  });
}
