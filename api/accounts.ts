// GET /v1/accounts/:address: balance, locked, nonce, pending nonce, genesis role.
import type { FastifyInstance } from 'fastify';
import { errorResponses } from './errors.ts';
import type { NodePort } from './port.ts';
import { ADDRESS_PATTERN, address, u64String } from './schemas.ts';

const accountReply = {
  type: 'object',
  required: [
    'address',
    'balance',
    'locked',
    'spendable',
    'nonce',
    'pendingNonce',
    'pendingCount',
    'role',
    'name',
    'height',
  ],
  properties: {
    address,
    balance: u64String,
    locked: { ...u64String, description: 'reserved by open bids; not spendable' },
    spendable: u64String,
    nonce: { ...u64String, description: 'the nonce the next confirmed transaction must carry' },
    pendingNonce: {
      ...u64String,
      description:
        'the next nonce after the pending transactions that follow the account nonce without a gap',
    },
    pendingCount: { type: 'integer' },
    role: { type: ['string', 'null'], enum: ['grid', 'vpp', null], description: 'from the genesis accounts' },
    name: { type: ['string', 'null'], description: 'genesis account name' },
    height: { type: 'integer', description: 'head height the state belongs to' },
  },
} as const;

export async function accountRoutes(app: FastifyInstance, opts: { node: NodePort }): Promise<void> {
  const { node } = opts;
  const genesis = new Map(node.params.accounts.map((a) => [a.address, a]));
  app.get<{ Params: { address: string } }>(
    '/v1/accounts/:address',
    {
      schema: {
        summary: 'an account at the head (unknown addresses have zero balance and nonce)',
        tags: ['accounts'],
        operationId: 'getAccount',
        params: {
          type: 'object',
          required: ['address'],
          properties: { address: { type: 'string', pattern: ADDRESS_PATTERN } },
        },
        response: { 200: accountReply, ...errorResponses },
      },
    },
    async (request) => {
      const addr = request.params.address.toLowerCase();
      const acct = node.chain.account(addr);
      const pending = node.mempool.pendingOf(addr);
      const nonces = new Set(pending.map((e) => e.tx.nonce));
      let next = acct.nonce;
      while (nonces.has(next)) next++;
      const g = genesis.get(addr);
      return {
        address: addr,
        balance: acct.balance.toString(),
        locked: acct.locked.toString(),
        spendable: (acct.balance - acct.locked).toString(),
        nonce: acct.nonce.toString(),
        pendingNonce: next.toString(),
        pendingCount: pending.length,
        role: g?.role ?? null,
        name: g?.name ?? null,
        height: node.chain.height,
      };
    },
  );
}
