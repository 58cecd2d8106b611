// An in-process node with its API on a random port (temp data dir), for inject and real-HTTP tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ApiOptions } from '../../api/server.ts';
import { initDataDir, VppNode } from '../../node/node.ts';
import type { ChainParams } from '../../protocol/params.ts';

export interface ApiNode {
  node: VppNode;
  app: FastifyInstance;
  url: string;
  dir: string;
  close(): Promise<void>;
}

export async function startApiNode(
  params: ChainParams,
  opts: { mine?: boolean; api?: ApiOptions } = {},
): Promise<ApiNode> {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-api-'));
  await initDataDir(dir, params);
  const node = await VppNode.open({
    dataDir: dir,
    mine: opts.mine ?? false,
    minerThreads: 1,
    verifierThreads: 1,
    api: { port: 0, rateLimit: false, ...opts.api },
  });
  await node.start();
  return {
    node,
    app: node.api!,
    url: node.apiUrl!,
    dir,
    close: async () => {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts the one error shape and returns the error. */
export function errorOf(body: string): { code: string; message: string; details?: unknown } {
  const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof parsed.error?.code !== 'string' ||
    typeof parsed.error.message !== 'string' ||
    Object.keys(parsed).length !== 1
  )
    throw new Error(`not the error shape: ${body.slice(0, 300)}`);
  return parsed.error as { code: string; message: string; details?: unknown };
}
