// Fuzz: thousands of random and malformed bodies, query strings and paths against a mining node. Every
// answer is 4xx in the error shape (never 5xx); only the valid transactions we sent are admitted; the
// node keeps mining.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../protocol/bytes.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import { envelope, signTx, type TxEnvelope } from '../../../protocol/tx.ts';
import { type ApiNode, errorOf, startApiNode } from '../../helpers/api-node.ts';
import { ChainBuilder, keys } from '../../helpers/builder.ts';
import { netParams, waitFor } from '../../helpers/net.ts';

const params = netParams();
const b = new ChainBuilder(params);
let api: ApiNode;
const accepted = new Set<string>();
const valid = new Set<string>();
const statuses: Record<number, number> = {};

beforeAll(async () => {
  api = await startApiNode(params, { mine: true });
  await waitFor('mining', () => api.node.chain.height >= 1, 30_000);
});
afterAll(() => api.close());

/** Posts a body; returns the status and, for a 202, the hash admitted. */
async function post(payload: string, contentType = 'application/json') {
  const r = await api.app.inject({
    method: 'POST',
    url: '/v1/transactions',
    payload,
    headers: { 'content-type': contentType },
  });
  statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
  if (r.statusCode === 202) accepted.add(r.json().hash);
  else {
    expect(
      r.statusCode,
      `${r.statusCode} for ${payload.slice(0, 200)}: ${r.body.slice(0, 200)}`,
    ).toBeGreaterThanOrEqual(400);
    expect(r.statusCode, payload.slice(0, 200)).toBeLessThan(500);
    errorOf(r.body);
  }
  return r.statusCode;
}

// A base of a valid transfer to mutate (nonce far enough ahead to be refused if it survived mutation).
const key = keys.vpp1;
const base = b.transfer(key, keys.vpp2, 100n, 0n);
const baseHex = toHex(base.bytes);
const baseJson = {
  nonce: '0',
  fee: '10',
  senderPubKey: toHex(key.publicKey),
  payload: { kind: 'transfer', to: keys.vpp2.address, amount: '100' },
  signature: toHex(base.tx.signature),
};

const hexChar = fc.constantFrom(...'0123456789abcdefABCDEFxg ');
const weird = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.stringMatching(/^-?[0-9]{1,40}(\.[0-9]+)?(e[0-9]+)?$/),
  fc.constant('18446744073709551616'),
  fc.constant('18446744073709551615'),
  fc.constant(''),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).map((n) => n.toString()),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.string({ unit: hexChar, maxLength: 140 }),
);

function nest(depth: number): string {
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

describe('POST /v1/transactions fuzz', () => {
  it('answers arbitrary JSON values with 4xx and the error shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (v) => {
        expect(await post(JSON.stringify(v))).not.toBe(202);
      }),
      { numRuns: 800 },
    );
  });

  it('answers arbitrary strings and bytes as bodies (broken JSON, other media types) with 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u).toString('latin1')),
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/octet-stream',
          'application/x-www-form-urlencoded',
        ),
        async (s, ct) => {
          expect(await post(s, ct)).not.toBe(202);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('refuses JSON forms with one field replaced by a wrong type, huge number or bad hex', async () => {
    const fields = [
      'nonce',
      'fee',
      'senderPubKey',
      'signature',
      'payload',
      'payload.kind',
      'payload.to',
      'payload.amount',
      'extra',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), weird, async (field, value) => {
        const body = structuredClone(baseJson) as Record<string, unknown> & {
          payload: Record<string, unknown>;
        };
        if (field.startsWith('payload.')) body.payload[field.slice(8)] = value;
        else body[field] = value;
        // a replacement may by chance equal the original value (fee "10"): then it is the valid base
        // transaction, and admitting it is right; anything else must be refused
        const before = new Set(accepted);
        if ((await post(JSON.stringify(body))) === 202) {
          const added = [...accepted].filter((h) => !before.has(h));
          expect(
            added.every((h) => h === base.id),
            JSON.stringify(body),
          ).toBe(true);
        }
      }),
      { numRuns: 800 },
    );
  });

  it('refuses mutated encodings: flipped bytes, truncation, extension, bad hex', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.nat(base.bytes.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const m = base.bytes.slice();
            m[i]! ^= x;
            return toHex(m);
          }),
          fc.nat(baseHex.length - 1).map((n) => baseHex.slice(0, n)),
          fc.string({ unit: hexChar, minLength: 1, maxLength: 20 }).map((s) => baseHex + s),
          fc.string({ unit: hexChar, maxLength: 300 }),
        ),
        async (hex) => {
          expect(await post(JSON.stringify({ hex }))).not.toBe(202);
        },
      ),
      { numRuns: 800 },
    );
  });

  it('refuses deep nesting and giant strings', async () => {
    for (const d of [10, 100, 1000, 5000]) expect(await post(nest(d))).toBe(400);
    expect(await post(JSON.stringify({ payload: JSON.parse(nest(200)) }))).toBe(400);
    expect(await post(JSON.stringify({ hex: 'a'.repeat(60_000) }))).toBe(400);
    expect(await post(JSON.stringify({ hex: 'a'.repeat(70_000) }))).toBe(413);
    expect(await post(JSON.stringify({ ...baseJson, nonce: '9'.repeat(30_000) }))).toBe(400);
    expect(
      await post(JSON.stringify({ ...baseJson, payload: { ...baseJson.payload, to: 'x'.repeat(50_000) } })),
    ).toBe(400);
    expect(await post(`[${'1,'.repeat(20_000)}1]`)).toBe(400);
  });

  it('admits exactly the valid transactions sent among the garbage, and the node keeps mining', async () => {
    const height = api.node.chain.height;
    const senders = Array.from({ length: 5 }, (_, i) => devKeyPair(`fuzz-${i}`));
    // Valid transfers from the genesis accounts, interleaved with garbage.
    let nonce = api.node.chain.account(keys.vpp3.address).nonce;
    for (let i = 0; i < 30; i++) {
      const env: TxEnvelope = envelope(
        signTx(
          {
            nonce: nonce++,
            fee: 10n,
            senderPubKey: keys.vpp3.publicKey,
            payload: { kind: 'transfer', to: senders[i % 5]!.address, amount: 1n + BigInt(i) },
          },
          keys.vpp3,
          b.domain,
        ),
      );
      valid.add(env.id);
      expect(await post(JSON.stringify({ hex: toHex(env.bytes) }))).toBe(202);
      expect(
        await post(JSON.stringify({ hex: toHex(env.bytes).replace(/.$/, (c) => (c === '0' ? '1' : '0')) })),
      ).not.toBe(202);
    }
    for (const h of accepted)
      expect(valid.has(h) || h === base.id, `accepted a transaction we did not sign validly: ${h}`).toBe(
        true,
      );
    for (const h of valid) expect(accepted.has(h)).toBe(true);
    if (accepted.has(base.id)) valid.add(base.id);
    expect(accepted.size).toBe(valid.size);
    // each is pending or mined, and all get mined
    await waitFor(
      'fuzz-time transactions mined',
      async () => {
        for (const h of valid) {
          const r = await api.app.inject({ url: `/v1/transactions/${h}` });
          if (r.json().status !== 'confirmed') return false;
        }
        return true;
      },
      60_000,
    );
    expect(api.node.mempool.size).toBe(0);
    await waitFor('still mining', () => api.node.chain.height >= height + 3, 60_000);
    expect(statuses[500] ?? 0).toBe(0);
    expect(Object.values(statuses).reduce((a, c) => a + c, 0)).toBeGreaterThan(3000);
  });
});

describe('GET routes fuzz', () => {
  it('answers random paths and query strings with 2xx or 4xx in the error shape', async () => {
    const seg = fc.oneof(
      fc.string({ maxLength: 80 }).map((s) => encodeURIComponent(s)),
      fc.stringMatching(/^[0-9a-fA-Fx]{0,70}$/),
      fc.constantFrom('latest', '0', '4294967296', '-1', '%00', '..', '%ff'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/v1/blocks/',
          '/v1/transactions/',
          '/v1/accounts/',
          '/v1/blocks?from=',
          '/v1/blocks?limit=',
          '/v1/events?kinds=',
          '/v1/',
        ),
        seg,
        async (prefix, s) => {
          const r = await api.app.inject({ url: prefix + s, simulate: { close: true } as never });
          if (prefix === '/v1/events?kinds=' && r.statusCode === 200) return; // a valid kind: a stream
          expect(r.statusCode, prefix + s).toBeLessThan(500);
          if (r.statusCode >= 400) errorOf(r.body);
        },
      ),
      { numRuns: 700 },
    );
  });
});
