// POST /v1/transactions (hex or JSON form; 202 only once the transaction is stored durably) and
// GET /v1/transactions/:hash: pending, confirmed, or dropped with a reason (every 202 ends in one of the
// last two), else 404.
import type { FastifyInstance } from 'fastify';
import { ApiErrorCode } from '../client/errors.ts';
import { MempoolStoreError } from '../consensus/mempool-store.ts';
import { DecodeError, fromHex } from '../protocol/bytes.ts';
import { TxError } from '../protocol/errors.ts';
import { envelope, type TxEnvelope } from '../protocol/tx.ts';
import { ApiError, errorResponses, notFound } from './errors.ts';
import type { NodePort } from './port.ts';
import { HEX32_PATTERN, hash32 } from './schemas.ts';
import { droppedTxJson, TxJsonError, txFromBody, txToJson } from './txjson.ts';

// Shape checks only: txjson.ts validates values per field and per payload kind, with precise messages.
const submitBody = {
  type: 'object',
  description:
    'either { hex } (the canonical encoding) or the JSON form { nonce, fee, senderPubKey, payload, signature }',
  additionalProperties: false,
  properties: {
    // No maxLength: the body limit bounds it, and a transaction over 16 KiB is answered TOO_LARGE.
    hex: { type: 'string', description: 'canonical transaction bytes, hex (at most 16 KiB: else TOO_LARGE)' },
    nonce: { type: 'string', maxLength: 20, description: 'u64, decimal string' },
    fee: { type: 'string', maxLength: 20, description: 'u64, decimal string' },
    senderPubKey: { type: 'string', maxLength: 68, description: '33-byte compressed public key, hex' },
    payload: { $ref: 'Payload#' },
    signature: { type: 'string', maxLength: 130, description: '64-byte r || s, hex (low-s)' },
  },
} as const;

const txStatusReply = {
  type: 'object',
  description:
    'pending (in the mempool), confirmed (main chain: block, receipt) or dropped (the node admitted it, then let it go: reason)',
  required: ['hash', 'status'],
  properties: {
    hash: hash32,
    status: { type: 'string', enum: ['pending', 'confirmed', 'dropped'] },
    transaction: { $ref: 'Transaction#', description: 'pending and confirmed' },
    reason: {
      type: 'string',
      enum: ['replaced', 'evicted', 'expired', 'gate-closed', 'nonce-used', 'invalid'],
      description: 'dropped: why',
    },
    code: { type: 'string', description: 'dropped: the transaction error behind it, e.g. GATE_CLOSED' },
    message: { type: 'string', description: 'dropped: the reason in words' },
    droppedAt: { type: 'integer', description: 'dropped: when, ms since the Unix epoch' },
    replacedBy: {
      ...hash32,
      description: 'dropped (replaced, evicted): the transaction that took its place',
    },
    sender: { type: 'string', description: 'dropped: the sender address' },
    nonce: { type: 'string', description: 'dropped: the nonce, u64 decimal' },
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
        operationId: 'submitTransaction',
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
        if (err instanceof MempoolStoreError) {
          metrics.txSubmitted.inc({ result: ApiErrorCode.UNAVAILABLE });
          throw new ApiError(503, ApiErrorCode.UNAVAILABLE, `not accepted: ${err.message}`);
        }
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
        summary:
          'a transaction: pending (mempool), confirmed (main chain) or dropped (with the reason); 404 when unknown',
        tags: ['transactions'],
        operationId: 'getTransaction',
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
      const dropped = node.mempool.dropped(id);
      if (dropped) return { ...droppedTxJson(dropped), status: 'dropped' };
      throw notFound(`transaction ${id} is not pending, not on the main chain and not on record as dropped`);
    },
  );
}
