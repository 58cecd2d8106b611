// GET /v1/status: the node's version, the chain's head and difficulty, the mempool, peers, mining and the
// clock check.
import type { FastifyInstance } from 'fastify';
import { toHex } from '../protocol/bytes.ts';
import { difficulty } from '../protocol/difficulty.ts';
import { errorResponses } from './errors.ts';
import type { NodePort } from './port.ts';

const statusReply = {
  type: 'object',
  required: [
    'chainId',
    'genesisHash',
    'height',
    'headHash',
    'totalWork',
    'bits',
    'difficulty',
    'peers',
    'mempoolSize',
    'syncing',
  ],
  properties: {
    version: { type: 'string', description: "the node software's version" },
    chainId: { type: 'integer' },
    chainName: { type: 'string' },
    genesisHash: { type: 'string' },
    height: { type: 'integer' },
    headHash: { type: 'string' },
    headTimestamp: { type: 'integer', description: 'ms since the Unix epoch' },
    totalWork: { type: 'string', description: 'cumulative work of the head chain, decimal' },
    bits: { type: 'string', description: "compact target of the head block, '0x' + 8 hex digits" },
    nextBits: { type: 'string', description: 'compact target the next block must meet' },
    difficulty: { type: 'number', description: 'powLimit target / head target (1 = easiest)' },
    minTxFee: { type: 'string' },
    peers: { type: 'integer' },
    peerId: { type: ['string', 'null'] },
    mempoolSize: { type: 'integer' },
    syncing: { type: 'boolean' },
    mining: { type: 'boolean' },
    hashRate: { type: 'number' },
    clock: {
      type: 'object',
      description:
        "our clock minus the peers' block times, from fresh gossip blocks (absent without networking); skewed: beyond the drift rule",
      properties: {
        offsetMs: { type: ['integer', 'null'] },
        samples: { type: 'integer' },
        peers: { type: 'integer' },
        limitMs: { type: 'integer' },
        skewed: { type: 'boolean' },
      },
    },
  },
} as const;

const bitsHex = (b: number) => `0x${b.toString(16).padStart(8, '0')}`;

export async function statusRoutes(app: FastifyInstance, opts: { node: NodePort }): Promise<void> {
  const { node } = opts;
  const genesisHash = toHex(node.chain.genesisHash);
  app.get(
    '/v1/status',
    {
      schema: {
        summary: 'chain and node status',
        operationId: 'getStatus',
        tags: ['chain'],
        response: { 200: statusReply, ...errorResponses },
      },
    },
    async () => {
      const tip = node.chain.tip;
      const { peers, peerId, syncing, mining, hashRate, clock } = node.activity();
      return {
        version: node.version,
        chainId: node.params.chainId,
        chainName: node.params.name,
        genesisHash,
        height: tip.header.height,
        headHash: tip.id,
        headTimestamp: tip.header.timestamp,
        totalWork: tip.totalWork.toString(),
        bits: bitsHex(tip.header.bits),
        nextBits: bitsHex(node.chain.nextBitsAfter(tip)),
        difficulty: difficulty(tip.header.bits, node.params.powLimitBits),
        minTxFee: node.params.minTxFee.toString(),
        peers,
        peerId,
        mempoolSize: node.mempool.size,
        syncing,
        mining,
        hashRate,
        clock,
      };
    },
  );
}
