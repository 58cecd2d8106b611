// GET /metrics (Prometheus text) and the request-latency hook. The node owns the metrics (so that any
// part of it can add and update its own); the port gives the API the exposition and the ones it updates.
import type { FastifyInstance } from 'fastify';
import { errorResponses } from './errors.ts';
import type { NodePort } from './port.ts';

export async function metricsRoutes(app: FastifyInstance, opts: { node: NodePort }): Promise<void> {
  const { metrics } = opts.node;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['node'],
        operationId: 'getMetrics',
        response: {
          200: {
            description: 'the Prometheus text format, version 0.0.4 (metrics: docs/api.md)',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (_request, reply) => {
      reply.type(metrics.contentType);
      return metrics.text();
    },
  );
}

/** Observes every request's latency by route pattern (unknown routes are one label, not one per URL). */
export function observeLatency(app: FastifyInstance, node: NodePort): void {
  app.addHook('onResponse', async (request, reply) => {
    node.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
