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
