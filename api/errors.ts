// One error shape for every 4xx/5xx reply: { error: { code, message, details? } } (ApiErrorBody of
// client/types.ts; the codes are client/errors.ts's ApiErrorCode), and the handlers that produce it.
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
