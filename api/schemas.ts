// Shared JSON schemas (registered once with $id; routes refer to them with $ref).
export const HEX32_PATTERN = '^(0x)?[0-9a-fA-F]{64}$';
export const ADDRESS_PATTERN = '^0x[0-9a-fA-F]{40}$';
export const U64_PATTERN = '^(0|[1-9][0-9]{0,19})$';

export const u64String = {
  type: 'string',
  pattern: U64_PATTERN,
  description: 'u64, decimal string',
} as const;
export const hash32 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
export const address = { type: 'string', pattern: '^0x[0-9a-f]{40}$' } as const;

export const payloadJson = {
  $id: 'Payload',
  type: 'object',
  required: ['kind'],
  description: 'by kind; transfer: { kind: "transfer", to: address, amount: u64 string }',
  properties: {
    kind: { type: 'string' },
    to: { type: 'string' },
    amount: { type: 'string' },
  },
  additionalProperties: true,
} as const;

export const transactionJson = {
  $id: 'Transaction',
  type: 'object',
  required: ['hash', 'nonce', 'fee', 'sender', 'senderPubKey', 'payload', 'signature'],
  properties: {
    hash: hash32,
    nonce: u64String,
    fee: u64String,
    sender: address,
    senderPubKey: { type: 'string' },
    payload: { $ref: 'Payload#' },
    signature: { type: 'string' },
  },
} as const;

export const sharedSchemas = [payloadJson, transactionJson];

/** The OpenAPI tags, in the order /docs (Swagger UI) groups the routes by them; every route has one. */
export const apiTags = [
  { name: 'chain', description: 'The chain: status, blocks by height or hash, pages of the main chain' },
  { name: 'transactions', description: 'Submitting signed transactions and following them to a block' },
  { name: 'accounts', description: 'Balances, nonces (pending included) and roles at the head' },
  {
    name: 'events',
    description: 'Server-sent events: heads, reorgs, clearings, bill updates, dropped transactions',
  },
  {
    name: 'market',
    description: "Auctions, bills, committed schedules, and the VPP agents' published run (not chain data)",
  },
  { name: 'node', description: 'Operating the node: liveness, readiness and Prometheus metrics' },
];
