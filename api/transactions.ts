// POST /v1/transactions (hex or JSON form) and GET /v1/transactions/:hash (pending / confirmed / 404).
import type { FastifyInstance } from 'fastify';
import { ApiErrorCode } from '../client/errors.ts';
import { DecodeError, fromHex } from '../protocol/bytes.ts';
import { TxError } from '../protocol/errors.ts';
import { envelope, type TxEnvelope } from '../protocol/tx.ts';
import { ApiError, errorResponses, notFound } from './errors.ts';
import type { NodePort } from './port.ts';
import { HEX32_PATTERN, hash32 } from './schemas.ts';
import { TxJsonError, txFromBody, txToJson } from './txjson.ts';

// Shape checks only: txjson.ts validates values per field and per payload kind, with precise messages.
const submitBody = {
  type: 'object',
  description:
    'either { hex } (the canonical encoding) or the JSON form { nonce, fee, senderPubKey, payload, signature }',
  additionalProperties: false,
  properties: {
    hex: { type: 'string', maxLength: 2 + 2 * 16 * 1024, description: 'canonical transaction bytes, hex' },
    nonce: { type: 'string', maxLength: 20, description: 'u64, decimal string' },
    fee: { type: 'string', maxLength: 20, description: 'u64, decimal string' },
    senderPubKey: { type: 'string', maxLength: 68, description: '33-byte compressed public key, hex' },
    payload: { $ref: 'Payload#' },
    signature: { type: 'string', maxLength: 130, description: '64-byte r || s, hex (low-s)' },
  },
} as const;

const txStatusReply = {
  type: 'object',
  required: ['hash', 'status', 'transaction'],
  properties: {
    hash: hash32,
    status: { type: 'string', enum: ['pending', 'confirmed'] },
    transaction: { $ref: 'Transaction#' },
    blockHash: hash32,
    blockHeight: { type: 'integer' },
    index: { type: 'integer', description: 'position in the block' },
    confirmations: { type: 'integer' },
    receipt: {
      type: 'object',
      description: 'execution receipt: the events the transaction emitted (contract calls)',
      properties: {
        events: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              contract: { type: 'string' },
              name: { type: 'string' },
              data: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    },
  },
} as const;

export async function transactionRoutes(app: FastifyInstance, opts: { node: NodePort }): Promise<void> {
  const { node } = opts;
  const { metrics } = node;

  app.post(
    '/v1/transactions',
    {
      schema: {
        summary: 'submit a signed transaction (mempool + gossip)',
        tags: ['transactions'],
        body: submitBody,
        response: {
          202: { type: 'object', required: ['hash'], properties: { hash: hash32 } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      let env: TxEnvelope | undefined;
      try {
        const { tx, bytes } = txFromBody(request.body);
        env = envelope(tx, bytes);
        await node.submitTx(env);
      } catch (err) {
        const fail = (code: string, message: string, details?: unknown) => {
          metrics.txSubmitted.inc({ result: code });
          return new ApiError(400, code, message, details);
        };
        if (err instanceof TxJsonError)
          throw fail(ApiErrorCode.BAD_REQUEST, err.message, { field: err.field });
        if (err instanceof DecodeError)
          throw fail(ApiErrorCode.DECODE, `transaction does not decode: ${err.message}`);
        if (err instanceof TxError) throw fail(err.code, err.message, env ? { hash: env.id } : undefined);
        throw err;
      }
      metrics.txSubmitted.inc({ result: 'accepted' });
      return reply.code(202).send({ hash: env.id });
    },
  );

  app.get<{ Params: { hash: string } }>(
    '/v1/transactions/:hash',
    {
      schema: {
        summary: 'a transaction: pending (mempool) or confirmed (main chain); 404 when unknown',
        tags: ['transactions'],
        params: {
          type: 'object',
          required: ['hash'],
          properties: { hash: { type: 'string', pattern: HEX32_PATTERN } },
        },
        response: { 200: txStatusReply, ...errorResponses },
      },
    },
    async (request) => {
      const id = request.params.hash.toLowerCase().replace(/^0x/, '');
      const pending = node.mempool.get(id);
      if (pending) return { hash: id, status: 'pending', transaction: txToJson(pending) };
      const loc = await node.chain.txLocation(fromHex(id));
      if (loc) {
        const n = node.chain.getNode(loc.blockHash);
        const block = n && (await node.chain.getBlock(n.id));
        const env = block?.txs[loc.index];
        if (n && env && env.id === id && node.chain.isMainChain(n)) {
          return {
            hash: id,
            status: 'confirmed',
            transaction: txToJson(env),
            blockHash: n.id,
            blockHeight: n.header.height,
            index: loc.index,
            confirmations: node.chain.height - n.header.height + 1,
            receipt: { events: (await node.chain.getReceipts(n.id))?.txs[loc.index] ?? [] },
          };
        }
      }
      throw notFound(`transaction ${id} is neither pending nor on the main chain`);
    },
  );
}
