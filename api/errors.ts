// One error shape for every 4xx/5xx reply: { error: { code, message, details? } }.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

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

export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;
  readonly code: string;
  readonly details?: unknown;

  constructor(statusCode: number, code: string, message: string, details?: unknown) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
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
  const error: { code: string; message: string; details?: unknown } = { code, message };
  if (details !== undefined) error.details = details;
  return reply.code(status).type('application/json; charset=utf-8').send({ error });
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
