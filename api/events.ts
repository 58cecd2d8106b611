// GET /v1/events: server-sent events from the node's event feed (port.ts; kinds in client/types.ts).
//   id: <sequence>\nevent: <kind>\ndata: {"id":…,"kind":…,"time":…,"data":{…}}\n\n
// Heartbeat comments (": ping") keep proxies from closing idle streams. `?kinds=head,reorg` filters;
// a Last-Event-ID header (browsers send it on reconnect) replays buffered events after that id.
import type { FastifyInstance } from 'fastify';
import { ApiErrorCode } from '../client/errors.ts';
import { EVENT_KINDS, type EventKind, isEventKind, type NodeEvent } from '../client/types.ts';
import { ApiError, badRequest, errorResponses } from './errors.ts';
import type { NodePort } from './port.ts';

export interface EventStreamOptions {
  heartbeatMs: number;
  maxClients: number;
}

const MAX_BUFFERED_BYTES = 1024 * 1024;

export const formatEvent = (e: NodeEvent): string =>
  `id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;

export async function eventRoutes(
  app: FastifyInstance,
  opts: { node: NodePort; stream: EventStreamOptions },
): Promise<void> {
  const { node } = opts;
  const { heartbeatMs, maxClients } = opts.stream;
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get<{ Querystring: { kinds?: string } }>(
    '/v1/events',
    {
      schema: {
        summary: `server-sent events: ${Object.entries(EVENT_KINDS)
          .map(([k, d]) => `${k} (${d})`)
          .join('; ')}`,
        tags: ['events'],
        operationId: 'streamEvents',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kinds: { type: 'string', maxLength: 256, description: 'comma-separated kinds (default: all)' },
          },
        },
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } },
        },
        response: {
          200: {
            description:
              'a stream of server-sent events, one per node event: id, event (the kind), data (JSON)',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      let kinds: Set<EventKind> | undefined;
      if (request.query.kinds !== undefined) {
        kinds = new Set();
        for (const k of request.query.kinds.split(',')) {
          if (!isEventKind(k))
            throw badRequest(
              `kinds: unknown event kind '${k}' (known: ${Object.keys(EVENT_KINDS).join(', ')})`,
            );
          kinds.add(k);
        }
      }
      if (open.size >= maxClients)
        throw new ApiError(503, ApiErrorCode.UNAVAILABLE, `too many event streams (${maxClients})`);
      const lastHeader = request.headers['last-event-id'];
      const lastId = typeof lastHeader === 'string' ? Number(lastHeader) : undefined;

      reply.hijack();
      const res = reply.raw;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = String(v);
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 2000\n: connected, last event id ${node.events.lastId}\n\n`);
      const wanted = (e: NodeEvent) => !kinds || kinds.has(e.kind);
      if (lastId !== undefined) {
        const missed = node.events.since(lastId);
        if (missed) for (const e of missed) if (wanted(e)) res.write(formatEvent(e));
      }
      const unsubscribe = node.events.subscribe((e) => {
        if (!wanted(e)) return;
        // A client that stops reading must not make the node buffer without bound: drop it.
        if (res.writableLength > MAX_BUFFERED_BYTES) close();
        else res.write(formatEvent(e));
      });
      const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
      node.metrics.sseClients.inc();
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        open.delete(close);
        unsubscribe();
        clearInterval(heartbeat);
        node.metrics.sseClients.dec();
        if (!res.writableEnded) res.end();
      };
      open.add(close);
      request.raw.on('close', close);
      res.on('close', close);
      res.on('error', close);
    },
  );
}
