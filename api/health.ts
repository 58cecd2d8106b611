// GET /healthz and GET /readyz, for supervisors, load balancers and orchestrators. Health: the process is
// up and its event loop answers (200 always, with the version and uptime). Readiness: the node can serve
// what a client expects of the chain — its ledger is open, it has at least `minPeers` peers, and its head
// is at most `maxBehind` blocks below the head of the connected peer with the most work — else 503
// NOT_READY in the one error shape, every reason in the message and the facts in `details`. A node is not
// ready while it catches up (the test: a node syncing a long chain answers 503 until it is at the head).
import type { FastifyInstance } from 'fastify';
import { ApiErrorCode } from '../client/errors.ts';
import type { ReadinessJson } from '../client/types.ts';
import { errorResponses, sendError } from './errors.ts';
import type { NodePort, NodeReadiness } from './port.ts';

export interface ReadinessLimits {
  /** Blocks the head may be below the best peer's and still be ready (default 2). */
  maxBehind: number;
  /** Peers needed to be ready (default 1; 0 for a node that runs alone). */
  minPeers: number;
}

export const DEFAULT_READINESS: ReadinessLimits = { maxBehind: 2, minPeers: 1 };

/** The verdict on a node's readiness, with every reason it is not ready. */
export function judgeReadiness(r: NodeReadiness, limits: ReadinessLimits): ReadinessJson {
  const reasons: string[] = [];
  if (!r.databaseOpen) reasons.push('the ledger database is not open');
  if (r.peers < limits.minPeers)
    reasons.push(`${r.peers} peer${r.peers === 1 ? '' : 's'} connected, ${limits.minPeers} needed`);
  const behind = r.bestPeerHeight === null ? 0 : Math.max(0, r.bestPeerHeight - r.height);
  if (r.bestPeerHeight === null && limits.minPeers > 0 && r.peers > 0)
    reasons.push('no peer has told its head yet');
  if (behind > limits.maxBehind)
    reasons.push(
      `syncing: head ${r.height} is ${behind} blocks below the best peer's ${r.bestPeerHeight} (at most ${limits.maxBehind} allowed)`,
    );
  return {
    ready: reasons.length === 0,
    reasons,
    databaseOpen: r.databaseOpen,
    height: r.height,
    peers: r.peers,
    bestPeerHeight: r.bestPeerHeight,
    behind,
    syncing: r.syncing,
    maxBehind: limits.maxBehind,
    minPeers: limits.minPeers,
  };
}

const healthReply = {
  type: 'object',
  required: ['status', 'version', 'uptimeSeconds'],
  properties: {
    status: { type: 'string', enum: ['ok'] },
    version: { type: 'string' },
    uptimeSeconds: { type: 'number', description: 'seconds since the process started' },
  },
} as const;

const readyReply = {
  type: 'object',
  required: ['ready', 'reasons', 'databaseOpen', 'height', 'peers', 'bestPeerHeight', 'behind', 'syncing'],
  properties: {
    ready: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' } },
    databaseOpen: { type: 'boolean' },
    height: { type: 'integer' },
    peers: { type: 'integer' },
    bestPeerHeight: { type: ['integer', 'null'] },
    behind: { type: 'integer', description: "blocks below the best peer's head" },
    syncing: { type: 'boolean', description: 'a range sync is running' },
    maxBehind: { type: 'integer' },
    minPeers: { type: 'integer' },
  },
} as const;

export async function healthRoutes(
  app: FastifyInstance,
  opts: { node: NodePort; readiness: ReadinessLimits },
): Promise<void> {
  const { node, readiness } = opts;
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'the process is up (always 200 while it answers)',
        tags: ['node'],
        operationId: 'getHealth',
        response: { 200: healthReply, ...errorResponses },
      },
    },
    async () => ({ status: 'ok', version: node.version, uptimeSeconds: Math.round(process.uptime()) }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary:
          'ready to serve: ledger open, enough peers, head near the best peer (503 NOT_READY otherwise)',
        tags: ['node'],
        operationId: 'getReadiness',
        response: { 200: readyReply, ...errorResponses },
      },
    },
    async (_request, reply) => {
      const verdict = judgeReadiness(node.readiness(), readiness);
      if (verdict.ready) return verdict;
      return sendError(
        reply,
        503,
        ApiErrorCode.NOT_READY,
        `not ready: ${verdict.reasons.join('; ')}`,
        verdict,
      );
    },
  );
}
