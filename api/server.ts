// The node's HTTP API (fastify). Each route group is a plugin with JSON schemas for its replies.
import Fastify, { type FastifyInstance } from 'fastify';
import type { VppNode } from '../node/node.ts';
import { statusRoutes } from './status.ts';

export async function createApiServer(node: VppNode): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  await app.register(statusRoutes, { node });
  return app;
}
