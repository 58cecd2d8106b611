import type { FastifyInstance } from 'fastify';
import type { VppNode } from '../node/node.ts';

const statusReply = {
  type: 'object',
  required: ['chainId', 'genesisHash', 'height', 'headHash', 'totalWork', 'peers', 'mempoolSize', 'syncing'],
  properties: {
    chainId: { type: 'integer' },
    chainName: { type: 'string' },
    genesisHash: { type: 'string' },
    height: { type: 'integer' },
    headHash: { type: 'string' },
    totalWork: { type: 'string', description: 'cumulative work of the head chain, decimal' },
    bits: { type: 'string' },
    peers: { type: 'integer' },
    peerId: { type: ['string', 'null'] },
    mempoolSize: { type: 'integer' },
    syncing: { type: 'boolean' },
    hashRate: { type: 'number' },
  },
} as const;

export async function statusRoutes(app: FastifyInstance, opts: { node: VppNode }): Promise<void> {
  const { node } = opts;
  app.get('/v1/status', { schema: { response: { 200: statusReply } } }, async () => {
    const tip = node.chain.tip;
    return {
      chainId: node.params.chainId,
      chainName: node.params.name,
      genesisHash: node.chain.genesisHash.reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''),
      height: tip.header.height,
      headHash: tip.id,
      totalWork: tip.totalWork.toString(),
      bits: `0x${tip.header.bits.toString(16).padStart(8, '0')}`,
      peers: node.network?.peerCount ?? 0,
      peerId: node.network?.peerId ?? null,
      mempoolSize: node.mempool.size,
      syncing: node.network?.sync.syncing ?? false,
      hashRate: node.miner?.hashRate() ?? 0,
    };
  });
}
