// GET /v1/blocks/:id (height, hash or "latest") and GET /v1/blocks?from=&limit= (main chain, ascending).
import type { FastifyInstance } from 'fastify';
import type { BlockNode } from '../consensus/chain.ts';
import { blockSize } from '../consensus/validation.ts';
import { type Block, encodeHeader } from '../protocol/block.ts';
import { toHex } from '../protocol/bytes.ts';
import { difficulty } from '../protocol/difficulty.ts';
import { badRequest, errorResponses, notFound } from './errors.ts';
import type { NodePort } from './port.ts';
import { address, hash32 } from './schemas.ts';
import { txToJson } from './txjson.ts';

export const MAX_BLOCKS_PER_PAGE = 100;
const DEFAULT_PAGE = 20;
const U32_MAX = 0xffffffff;

const headerProps = {
  hash: hash32,
  height: { type: 'integer' },
  version: { type: 'integer' },
  parentHash: hash32,
  txRoot: hash32,
  stateRoot: hash32,
  timestamp: { type: 'integer', description: 'ms since the Unix epoch' },
  bits: { type: 'string' },
  difficulty: { type: 'number' },
  nonce: { type: 'integer' },
  headerHex: { type: 'string', description: 'the 118 header bytes whose SHA-256d is the block hash' },
  miner: address,
  totalWork: { type: 'string' },
  mainChain: { type: 'boolean' },
  confirmations: { type: 'integer', description: '0 when not on the main chain' },
  size: { type: 'integer' },
  txCount: { type: 'integer' },
} as const;

const blockSummary = {
  type: 'object',
  required: Object.keys(headerProps),
  properties: headerProps,
} as const;

const blockReply = {
  type: 'object',
  required: [...Object.keys(headerProps), 'transactions'],
  properties: { ...headerProps, transactions: { type: 'array', items: { $ref: 'Transaction#' } } },
} as const;

const errors = errorResponses;

function summary(node: NodePort, n: BlockNode, block: Block, main: boolean) {
  const h = n.header;
  return {
    hash: n.id,
    height: h.height,
    version: h.version,
    parentHash: toHex(h.parentHash),
    txRoot: toHex(h.txRoot),
    stateRoot: toHex(h.stateRoot),
    timestamp: h.timestamp,
    bits: `0x${h.bits.toString(16).padStart(8, '0')}`,
    difficulty: difficulty(h.bits, node.params.powLimitBits),
    nonce: h.nonce,
    headerHex: toHex(encodeHeader(h)),
    miner: block.miner,
    totalWork: n.totalWork.toString(),
    mainChain: main,
    confirmations: main ? node.chain.height - h.height + 1 : 0,
    size: blockSize(block),
    txCount: block.txs.length,
  };
}

function parseHeight(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n > U32_MAX)
    throw badRequest(`${what} must be a height in [0, ${U32_MAX}]`);
  return n;
}

export async function blockRoutes(app: FastifyInstance, opts: { node: NodePort }): Promise<void> {
  const { node } = opts;
  const { chain } = node;

  async function resolve(id: string): Promise<{ n: BlockNode; block: Block; main: boolean } | undefined> {
    let n: BlockNode | undefined;
    if (id === 'latest') n = chain.tip;
    else if (/^[0-9]{1,10}$/.test(id)) n = await chain.getMainNode(parseHeight(id, 'id'));
    else n = chain.getNode(id.toLowerCase().replace(/^0x/, ''));
    if (!n) return undefined;
    const block = await chain.getBlock(n.id);
    if (!block) return undefined;
    return { n, block, main: chain.isMainChain(n) };
  }

  app.get<{ Params: { id: string } }>(
    '/v1/blocks/:id',
    {
      schema: {
        summary: 'a block by height (main chain), hash (any known branch) or "latest"',
        tags: ['chain'],
        operationId: 'getBlock',
        params: {
          type: 'object',
          required: ['id'],
          properties: {
            id: {
              type: 'string',
              pattern: '^(latest|[0-9]{1,10}|(0x)?[0-9a-fA-F]{64})$',
              description: 'height, 64-hex block hash, or "latest"',
            },
          },
        },
        response: { 200: blockReply, ...errors },
      },
    },
    async (request) => {
      const found = await resolve(request.params.id);
      if (!found) throw notFound(`block ${request.params.id} not found`);
      return {
        ...summary(node, found.n, found.block, found.main),
        transactions: found.block.txs.map(txToJson),
      };
    },
  );

  app.get<{ Querystring: { from?: string; limit?: string } }>(
    '/v1/blocks',
    {
      schema: {
        summary: `main-chain blocks from a height, ascending (at most ${MAX_BLOCKS_PER_PAGE}; transactions omitted)`,
        tags: ['chain'],
        operationId: 'listBlocks',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: {
              type: 'string',
              pattern: '^[0-9]{1,10}$',
              description: 'first height (default: the latest page)',
            },
            limit: {
              type: 'string',
              pattern: '^[0-9]{1,3}$',
              description: `1..${MAX_BLOCKS_PER_PAGE}, default ${DEFAULT_PAGE}`,
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['blocks', 'next'],
            properties: {
              blocks: { type: 'array', items: blockSummary },
              next: {
                type: ['integer', 'null'],
                description: 'the `from` of the next page, null at the head',
              },
            },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? DEFAULT_PAGE : Number(request.query.limit);
      if (limit < 1 || limit > MAX_BLOCKS_PER_PAGE)
        throw badRequest(`limit must be between 1 and ${MAX_BLOCKS_PER_PAGE}, got ${limit}`);
      const height = chain.height;
      const from =
        request.query.from === undefined
          ? Math.max(0, height - limit + 1)
          : parseHeight(request.query.from, 'from');
      const blocks = [];
      let h = from;
      for (; h <= height && blocks.length < limit; h++) {
        const n = await chain.getMainNode(h);
        const block = n && (await chain.getBlock(n.id));
        if (!n || !block) break; // the head moved under us: return what is consistent
        blocks.push(summary(node, n, block, true));
      }
      return { blocks, next: h <= chain.height ? h : null };
    },
  );
}
