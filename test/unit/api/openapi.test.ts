// The OpenAPI document walked route by route: every route the server answers (but the dashboard's static
// files and the docs themselves) is in it, tagged with a declared tag, with a unique operationId (client
// generators name their methods after it), a summary, a schema for each path, query and header parameter
// and for a request body, and for every reply: a success with its media type and schema, and the error
// shape for 4xx and 5xx. /docs (Swagger UI) reads the same document and groups the routes by those tags.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePattern } from '../../../api/errors.ts';
import { createApiServer } from '../../../api/server.ts';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { testParams } from '../../helpers/builder.ts';

interface Schema {
  $ref?: string;
  type?: string | string[];
  [k: string]: unknown;
}
interface Media {
  schema?: Schema;
}
interface Operation {
  tags?: string[];
  operationId?: string;
  summary?: string;
  parameters?: { in: string; name: string; schema?: Schema; required?: boolean }[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media> }>;
}
interface Spec {
  openapi: string;
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

/** Routes not documented on purpose: the dashboard's static files, the docs and the document itself. */
const UNDOCUMENTED = [/^\/$/, /^\/dashboard(\/|$)/, /^\/docs(\/|$)/, /^\/openapi\.json$/];

let node: VppNode;
let app: FastifyInstance;
let dir: string;
let spec: Spec;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vppchain-openapi-'));
  await initDataDir(dir, testParams());
  node = await VppNode.open({ dataDir: dir, mine: false, verifierThreads: 0 });
  app = await createApiServer(node, { rateLimit: false });
  spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(async () => {
  await app?.close();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every route the server answers, as "METHOD /path/:param", from fastify's route tree (HEAD left out). */
function servedRoutes(): string[] {
  const out: string[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3}|[├└]── )*)(?:[├└]── )?(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m || m[2] === '') continue;
    const depth = Math.floor(m[1]!.length / 4);
    while (stack.length > 0 && stack.at(-1)!.depth >= depth) stack.pop();
    const path = (stack.at(-1)?.path ?? '') + m[2];
    stack.push({ depth, path });
    for (const method of (m[3] ?? '').split(',').map((x) => x.trim()))
      if (method && method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

const operations = (): { where: string; path: string; op: Operation }[] =>
  Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, path, op })),
  );

const schemaOf = (media: Record<string, Media> | undefined): Schema | undefined =>
  media && Object.values(media)[0]?.schema;

describe('the OpenAPI document', () => {
  it('documents every route the server answers', () => {
    const served = servedRoutes();
    expect(served).toContain('GET /v1/blocks/:id'); // the route tree was read
    const documented = new Set(operations().map((o) => o.where));
    const missing = served
      .filter((r) => !UNDOCUMENTED.some((re) => re.test(r.slice(r.indexOf(' ') + 1))))
      .map((r) => r.replace(/:(\w+)/g, '{$1}'))
      .filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });

  it('tags every route with exactly one declared, described tag; every declared tag has routes', () => {
    const declared = new Map((spec.tags ?? []).map((t) => [t.name, t.description]));
    expect(declared.size).toBeGreaterThan(0);
    for (const [name, description] of declared) expect(description, `tag ${name}`).toBeTruthy();
    const used = new Set<string>();
    for (const { where, op } of operations()) {
      expect(op.tags, where).toHaveLength(1);
      expect(declared.has(op.tags![0]!), `${where}: tag ${op.tags![0]} is declared`).toBe(true);
      used.add(op.tags![0]!);
    }
    expect([...declared.keys()].filter((t) => !used.has(t))).toEqual([]);
  });

  it('gives every route a unique operationId in camelCase and a summary', () => {
    const seen = new Map<string, string>();
    for (const { where, op } of operations()) {
      expect(op.operationId, `${where} has an operationId`).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      expect(seen.get(op.operationId!), `${op.operationId} is used once`).toBeUndefined();
      seen.set(op.operationId!, where);
      expect(op.summary, `${where} has a summary`).toBeTruthy();
    }
  });

  it('describes every parameter and request body with a schema', () => {
    for (const { where, path, op } of operations()) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const params = op.parameters ?? [];
      expect(
        params
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort(),
        `${where}: path parameters`,
      ).toEqual(inPath.sort());
      for (const p of params) {
        expect(p.schema, `${where}: ${p.in} parameter ${p.name} has a schema`).toBeDefined();
        if (p.in === 'path') expect(p.required, `${where}: ${p.name}`).toBe(true);
      }
      if (where.startsWith('POST') || where.startsWith('PUT') || where.startsWith('PATCH'))
        expect(schemaOf(op.requestBody?.content), `${where}: request body schema`).toBeDefined();
    }
  });

  it('has words for every pattern an input is checked against: a 400 never shows a regular expression', async () => {
    const patterns = new Map<string, string>();
    const walk = (schema: unknown, where: string, seen = new Set<unknown>()): void => {
      if (schema === null || typeof schema !== 'object' || seen.has(schema)) return;
      seen.add(schema);
      const s = schema as Schema;
      if (typeof s.$ref === 'string')
        walk(spec.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')], where, seen);
      if (typeof s.pattern === 'string') patterns.set(s.pattern, where);
      for (const v of Object.values(s)) walk(v, where, seen);
    };
    for (const { where, op } of operations()) {
      for (const p of op.parameters ?? []) walk(p.schema, `${where} ${p.in} ${p.name}`);
      walk(op.requestBody, `${where} body`);
    }
    expect(patterns.size).toBeGreaterThan(3);
    for (const [pattern, where] of patterns) {
      const words = describePattern(pattern);
      expect(words, `${where}: ${pattern}`).toBeDefined();
      // What the words promise, the pattern does.
      const re = new RegExp(pattern);
      if (words!.includes('0x optional'))
        expect(re.test(`0x${'a'.repeat(64)}`) && re.test('a'.repeat(64))).toBe(true);
      if (words!.includes('lowercase')) expect(re.test(`0x${'A'.repeat(40)}`), pattern).toBe(false);
    }
    // And a bad value in a request reads as those words.
    const bad = await app.inject({ method: 'GET', url: '/v1/transactions/0x1234' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe('params/hash must be a hash: 64 hex digits (0x optional)');
  });

  it('describes every reply: a success with its media type and schema, and the error shape for 4xx and 5xx', () => {
    const errorRef = (s: Schema | undefined) => s?.$ref?.replace('#/components/schemas/', '');
    for (const { where, op } of operations()) {
      const responses = op.responses ?? {};
      const success = Object.keys(responses).filter((c) => /^2\d\d$/.test(c));
      expect(success.length, `${where}: a success reply`).toBeGreaterThan(0);
      for (const code of success) {
        const content = responses[code]!.content;
        expect(Object.keys(content ?? {}).length, `${where} ${code}: a media type`).toBeGreaterThan(0);
        const schema = schemaOf(content);
        expect(schema?.type ?? schema?.$ref, `${where} ${code}: a schema`).toBeDefined();
      }
      for (const code of ['4XX', '5XX']) {
        const ref = errorRef(schemaOf(responses[code]?.content));
        expect(ref, `${where} ${code}: the error shape`).toBeDefined();
        expect(spec.components?.schemas?.[ref!]?.title ?? ref, `${where} ${code}`).toBe('ErrorReply');
      }
    }
  });

  it('names its shared schemas after their ids (ErrorReply, Transaction, Payload)', () => {
    expect(Object.keys(spec.components?.schemas ?? {}).sort()).toEqual([
      'ErrorReply',
      'Payload',
      'Transaction',
    ]);
  });

  it('is what /docs shows, grouped by tag', async () => {
    let page = await app.inject({ method: 'GET', url: '/docs' });
    for (let hops = 0; page.statusCode === 302 && hops < 3; hops++)
      page = await app.inject({
        method: 'GET',
        url: new URL(page.headers.location!, 'http://x/docs/').pathname,
      });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
    const shown = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(shown.paths).toEqual(spec.paths);
    expect(shown.tags).toEqual(spec.tags);
  });
});
