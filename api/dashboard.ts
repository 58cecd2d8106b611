// The dashboard: static files (no build step) read once at start-up and served from memory — the page, its
// ES modules, and the charting library's own prebuilt bundles (vega and vega-lite from node_modules, so the
// page needs no network beyond this node).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const JS = 'text/javascript; charset=utf-8';
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': JS,
  'charts.js': JS,
  'panels.js': JS,
  'style.css': 'text/css; charset=utf-8',
};

/** The browser builds of a package, beside its ES module entry (build/). */
const bundle = (pkg: string, file: string) => join(dirname(fileURLToPath(import.meta.resolve(pkg))), file);
const VENDOR: Record<string, string> = {
  'vega.min.js': bundle('vega', 'vega.min.js'),
  'vega-lite.min.js': bundle('vega-lite', 'vega-lite.min.js'),
};

export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const content = new Map<string, Buffer>(
    Object.keys(FILES).map((f) => [f, readFileSync(new URL(`./dashboard/${f}`, import.meta.url))]),
  );
  const vendor = new Map(Object.entries(VENDOR).map(([f, path]) => [f, readFileSync(path)]));
  const send = (body: Buffer, type: string, cache: string) => async (_req: unknown, reply: FastifyReply) =>
    reply.type(type).header('cache-control', cache).send(body);
  const hide = { schema: { hide: true } };
  app.get('/', hide, async (_req, reply) => reply.redirect('/dashboard'));
  app.get('/dashboard', hide, send(content.get('index.html')!, FILES['index.html']!, 'no-cache'));
  for (const f of Object.keys(FILES).filter((x) => x !== 'index.html'))
    app.get(`/dashboard/${f}`, hide, send(content.get(f)!, FILES[f]!, 'no-cache'));
  // The library's bundles change only with the installed version: let the browser keep them.
  for (const [f, body] of vendor) app.get(`/dashboard/vendor/${f}`, hide, send(body, JS, 'max-age=3600'));
}
