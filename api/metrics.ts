// GET /metrics (Prometheus text) and the request-latency hook. The metrics themselves live in
// node/metrics.ts (NodeMetrics) so that any part of the node can add and update its own.
import type { FastifyInstance } from 'fastify';
import type { VppNode } from '../node/node.ts';

export async function metricsRoutes(app: FastifyInstance, opts: { node: VppNode }): Promise<void> {
  const { metrics } = opts.node;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['node'],
        response: { 200: { type: 'string' } },
      },
    },
    async (_request, reply) => {
      reply.type(metrics.contentType);
      return metrics.text();
    },
  );
}

/** Observes every request's latency by route pattern (unknown routes are one label, not one per URL). */
export function observeLatency(app: FastifyInstance, node: VppNode): void {
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
