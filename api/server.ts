// The node's HTTP API (fastify). Each route group is a plugin with JSON schemas for params, query, body and
// every reply; errors share one shape (errors.ts); OpenAPI at /openapi.json, human docs at /docs.
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ApiErrorCode } from '../client/errors.ts';
import { accountRoutes } from './accounts.ts';
import { blockRoutes } from './blocks.ts';
import { dashboardRoutes } from './dashboard.ts';
import {
  ApiError,
  answerClientError,
  errorReply,
  frameworkError,
  installClosingReply,
  installErrorHandling,
} from './errors.ts';
import { eventRoutes } from './events.ts';
import { DEFAULT_READINESS, healthRoutes, type ReadinessLimits } from './health.ts';
import { marketRoutes } from './market.ts';
import { metricsRoutes, observeLatency } from './metrics.ts';
import type { NodePort } from './port.ts';
import { apiTags, sharedSchemas } from './schemas.ts';
import { statusRoutes } from './status.ts';
import { transactionRoutes } from './transactions.ts';
import { vppRoutes } from './vpps.ts';

export interface ApiOptions {
  /** Allowed CORS origins ('*' for any); off when absent or empty. */
  cors?: string[];
  /**
   * Requests per client IP per window; false turns rate limiting off. Default 1200 per minute; loopback
   * clients (local tools, the devnet, tests) are exempt unless `exemptLoopback` is false.
   */
  rateLimit?: { max: number; windowMs?: number; exemptLoopback?: boolean } | false;
  /** Largest request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** pino log level for request logs with request ids, or false for none (the default: quiet in tests). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | false;
  /**
   * The process's logger (a pino child with the API's component and level): request logs go there instead
   * of to a logger of fastify's own on stdout; `logLevel` is then ignored.
   */
  logger?: FastifyBaseLogger;
  /** When GET /readyz calls the node ready (default: at most 2 blocks behind the best peer, 1 peer). */
  readiness?: ReadinessLimits;
  /** Heartbeat comment interval of event streams (default 15 s) and their maximum number (default 100). */
  sseHeartbeatMs?: number;
  sseMaxClients?: number;
  /** A JSON file of the VPP agents' published results, served at GET /v1/vpps (for the dashboard). */
  vppFile?: string;
  /** Serve /docs (Swagger UI); default true. */
  docs?: boolean;
  /**
   * A client must send its request headers within headersTimeoutMs (default 10 s) and the whole request
   * within requestTimeoutMs (default 30 s), or is answered 408 and disconnected: a slow client cannot
   * hold connections open. Replies (event streams included) are not limited.
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export const DEFAULT_RATE_LIMIT = { max: 1200, windowMs: 60_000 };

export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export async function createApiServer(node: NodePort, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const headersTimeoutMs = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeoutMs = Math.max(opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, headersTimeoutMs);
  const app = Fastify({
    ...(opts.logger
      ? { loggerInstance: opts.logger }
      : { logger: opts.logLevel ? { level: opts.logLevel } : false }),
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    requestTimeout: requestTimeoutMs,
    // Node checks its timeouts every connectionsCheckingInterval: often enough that they hold to ~1 s.
    http: { headersTimeout: headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, headersTimeoutMs) },
    clientErrorHandler: (err, socket) =>
      answerClientError(err, socket, { headersTimeoutMs, requestTimeoutMs }),
    return503OnClosing: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Errors raised before routing (a malformed URL, a parameter over its length) get the one shape too.
    frameworkErrors: frameworkError,
    // No coercion and no silent removal: a wrong type or an unknown field is a 400, not a guess.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  installClosingReply(app);
  app.addSchema(errorReply);
  for (const s of sharedSchemas) app.addSchema(s);
  observeLatency(app, node);

  if (opts.cors && opts.cors.length > 0) {
    await app.register(cors, { origin: opts.cors.includes('*') ? '*' : opts.cors, methods: ['GET', 'POST'] });
  }
  const limit: ApiOptions['rateLimit'] = opts.rateLimit === undefined ? DEFAULT_RATE_LIMIT : opts.rateLimit;
  if (limit) {
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.windowMs ?? 60_000,
      allowList: (request) => limit.exemptLoopback !== false && LOOPBACK.has(request.ip),
      errorResponseBuilder: (_req, ctx) =>
        new ApiError(
          429,
          ApiErrorCode.RATE_LIMITED,
          `rate limit of ${ctx.max} requests per ${ctx.after} exceeded`,
          {
            retryAfter: ctx.after,
          },
        ),
    });
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'vppchain node API',
        version: '1',
        description:
          'u64 values are decimal strings; hashes are 64 lowercase hex digits; every error is { error: { code, message, details? } }.',
      },
      // Every route has one of these tags (test/unit/api/openapi.test.ts); /docs groups by them, in order.
      tags: apiTags,
    },
    // Shared schemas are named after their $id (ErrorReply, Transaction, Payload) for client generators.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  if (opts.docs !== false)
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { docExpansion: 'list', deepLinking: true, displayOperationId: true },
    });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(statusRoutes, { node });
  await app.register(healthRoutes, { node, readiness: opts.readiness ?? DEFAULT_READINESS });
  await app.register(blockRoutes, { node });
  await app.register(transactionRoutes, { node });
  await app.register(accountRoutes, { node });
  await app.register(eventRoutes, {
    node,
    stream: { heartbeatMs: opts.sseHeartbeatMs ?? 15_000, maxClients: opts.sseMaxClients ?? 100 },
  });
  await app.register(metricsRoutes, { node });
  await app.register(marketRoutes, { node });
  await app.register(dashboardRoutes);
  await app.register(vppRoutes, { file: opts.vppFile });
  await app.ready();
  return app;
}
