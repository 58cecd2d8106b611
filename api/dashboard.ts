// The dashboard: three static files (no build step), read once at start-up and served from memory.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const content = new Map(
    Object.keys(FILES).map((f) => [f, readFileSync(new URL(`./dashboard/${f}`, import.meta.url))]),
  );
  const send = (file: string) => async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.type(FILES[file]!).header('cache-control', 'no-cache').send(content.get(file));
  const hide = { schema: { hide: true } };
  app.get('/', hide, async (_req, reply) => reply.redirect('/dashboard'));
  app.get('/dashboard', hide, send('index.html'));
  app.get('/dashboard/app.js', hide, send('app.js'));
  app.get('/dashboard/style.css', hide, send('style.css'));
}
