// Every route: happy paths and each error code, through fastify's inject and (some) over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../api/errors.ts';
import { txToJson } from '../../../api/txjson.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../../protocol/errors.ts';
import { sha256d } from '../../../protocol/hash.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import { encodeTx } from '../../../protocol/tx.ts';
import { type ApiNode, errorOf, startApiNode } from '../../helpers/api-node.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const params = testParams();
const b = new ChainBuilder(params);
let api: ApiNode;
const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers?: Record<string, string>) =>
  api.app.inject({ method, url, payload: payload as never, headers });

// Main chain: genesis <- b1 (vpp1 -> vpp2, nonce 0) <- b2 <- b3; a side block on b1.
const tx0 = b.transfer(keys.vpp1, keys.vpp2, 1_000n, 0n);
const b1 = b.next(b.genesisId, { txs: [tx0] });
const [b2, b3] = b.extend(b.idOf(b1), 2);
const side = b.next(b.idOf(b1), { timestamp: b1.header.timestamp + 5 });

beforeAll(async () => {
  api = await startApiNode(params);
  for (const blk of [b1, b2!, b3!, side]) await api.node.chain.processBlock(blk);
});
afterAll(() => api.close());

describe('GET /v1/status', () => {
  it('reports chain, head, work, difficulty, peers, mempool and sync', async () => {
    const r = await inject('GET', '/v1/status');
    expect(r.statusCode).toBe(200);
    const s = r.json();
    expect(s).toMatchObject({
      chainId: params.chainId,
      chainName: params.name,
      genesisHash: b.genesisId,
      height: 3,
      headHash: b.idOf(b3!),
      bits: '0x2100ffff',
      difficulty: 1,
      peers: 0,
      mempoolSize: 0,
      syncing: false,
      mining: false,
      minTxFee: '10',
    });
    expect(BigInt(s.totalWork)).toBe(api.node.chain.tip.totalWork);
    expect(r.headers['x-request-id']).toMatch(/.+/);
  });

  it('answers over real HTTP too, echoing a given request id', async () => {
    const r = await fetch(`${api.url}/v1/status`, { headers: { 'x-request-id': 'abc-123' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    expect(((await r.json()) as { height: number }).height).toBe(3);
  });
});

describe('GET /v1/blocks/:id', () => {
  it('finds a block by height, hash (any case, 0x optional) and latest, with the exact header bytes', async () => {
    const id1 = b.idOf(b1);
    for (const id of ['1', id1, id1.toUpperCase(), `0x${id1}`]) {
      const r = await inject('GET', `/v1/blocks/${id}`);
      expect(r.statusCode).toBe(200);
      const blk = r.json();
      expect(blk.hash).toBe(id1);
      expect(blk.height).toBe(1);
      expect(blk.headerHex).toHaveLength(236);
      expect(toHex(sha256d(fromHex(blk.headerHex)))).toBe(id1);
      expect(blk.miner).toBe(b1.miner);
      expect(blk.mainChain).toBe(true);
      expect(blk.confirmations).toBe(3);
      expect(blk.txCount).toBe(1);
      expect(blk.transactions).toEqual([txToJson(tx0)]);
      expect(blk.transactions[0].payload).toEqual({
        kind: 'transfer',
        to: keys.vpp2.address,
        amount: '1000',
      });
    }
    expect((await inject('GET', '/v1/blocks/latest')).json().hash).toBe(b.idOf(b3!));
    expect((await inject('GET', '/v1/blocks/0')).json().parentHash).toBe('0'.repeat(64));
  });

  it('shows a side-chain block by hash as not on the main chain', async () => {
    const blk = (await inject('GET', `/v1/blocks/${b.idOf(side)}`)).json();
    expect(blk.mainChain).toBe(false);
    expect(blk.confirmations).toBe(0);
  });

  it('404 NOT_FOUND for a height above the head or an unknown hash; 400 BAD_REQUEST for malformed ids', async () => {
    for (const id of ['4', '4294967295', 'ab'.repeat(32)]) {
      const r = await inject('GET', `/v1/blocks/${id}`);
      expect(r.statusCode).toBe(404);
      expect(errorOf(r.body).code).toBe('NOT_FOUND');
    }
    for (const id of ['-1', 'abc', 'ab'.repeat(31), '12345678901', '4294967296', 'LATEST', '1.5']) {
      const r = await inject('GET', `/v1/blocks/${id}`);
      expect(r.statusCode, id).toBe(400);
      expect(errorOf(r.body).code).toBe('BAD_REQUEST');
    }
  });
});

describe('GET /v1/blocks', () => {
  it('pages the main chain ascending with a bounded limit', async () => {
    const latest = (await inject('GET', '/v1/blocks')).json();
    expect(latest.blocks.map((x: { height: number }) => x.height)).toEqual([0, 1, 2, 3]);
    expect(latest.next).toBeNull();
    const page = (await inject('GET', '/v1/blocks?from=1&limit=2')).json();
    expect(page.blocks.map((x: { hash: string }) => x.hash)).toEqual([b.idOf(b1), b.idOf(b2!)]);
    expect(page.blocks[0].transactions).toBeUndefined();
    expect(page.blocks[0].txCount).toBe(1);
    expect(page.next).toBe(3);
    expect((await inject('GET', '/v1/blocks?from=9')).json()).toEqual({ blocks: [], next: null });
    expect(
      (await inject('GET', '/v1/blocks?limit=2')).json().blocks.map((x: { height: number }) => x.height),
    ).toEqual([2, 3]);
  });

  it('400 BAD_REQUEST for limits out of range, non-numbers and unknown parameters', async () => {
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=-1',
      'from=x',
      'from=1e3',
      'foo=1',
      'limit=1000',
      'from=99999999999',
    ]) {
      const r = await inject('GET', `/v1/blocks?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(errorOf(r.body).code).toBe('BAD_REQUEST');
    }
    expect(errorOf((await inject('GET', '/v1/blocks?foo=1')).body).message).toContain("unknown field 'foo'");
  });
});

describe('POST /v1/transactions and GET /v1/transactions/:hash', () => {
  const sign = (
    nonce: bigint,
    over: { fee?: bigint; amount?: bigint; key?: typeof keys.vpp1; domain?: typeof b.domain } = {},
  ) =>
    b.transfer(
      over.key ?? keys.vpp1,
      keys.vpp3,
      over.amount ?? 500n,
      nonce,
      over.fee ?? 10n,
      over.domain ?? b.domain,
    );
  const jsonForm = (env: ReturnType<typeof sign>) => {
    const { hash: _h, sender: _s, ...rest } = txToJson(env);
    return rest;
  };

  it('accepts the hex form (202 { hash }) and then reports the transaction pending', async () => {
    const env = sign(1n);
    const r = await inject('POST', '/v1/transactions', { hex: toHex(env.bytes) });
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ hash: env.id });
    expect(api.node.mempool.has(env.id)).toBe(true);
    const t = (await inject('GET', `/v1/transactions/${env.id}`)).json();
    expect(t).toEqual({ hash: env.id, status: 'pending', transaction: txToJson(env) });
  });

  it('accepts the JSON form, encoding it canonically (same hash as the hex form)', async () => {
    const env = sign(2n);
    const r = await inject('POST', '/v1/transactions', jsonForm(env));
    expect(r.statusCode).toBe(202);
    expect(r.json().hash).toBe(env.id);
    expect(toHex(api.node.mempool.get(env.id)!.bytes)).toBe(toHex(encodeTx(env.tx)));
  });

  it('accepts 0x-prefixed hex and upper-case addresses over real HTTP', async () => {
    const env = sign(3n);
    const body = jsonForm(env);
    body.senderPubKey = `0x${body.senderPubKey}`;
    (body.payload as { to: string }).to = `0x${keys.vpp3.address.slice(2).toUpperCase()}`;
    const r = await fetch(`${api.url}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(202);
    expect(((await r.json()) as { hash: string }).hash).toBe(env.id);
  });

  it('reports confirmed transactions with block, height, index, confirmations and a receipt (a transfer emits no events)', async () => {
    const t = (await inject('GET', `/v1/transactions/${tx0.id.toUpperCase()}`)).json();
    expect(t).toEqual({
      hash: tx0.id,
      status: 'confirmed',
      transaction: txToJson(tx0),
      blockHash: b.idOf(b1),
      blockHeight: 1,
      index: 0,
      confirmations: 3,
      receipt: { events: [] },
    });
  });

  it('404 NOT_FOUND for unknown transactions, 400 for malformed hashes', async () => {
    const r = await inject('GET', `/v1/transactions/${'cd'.repeat(32)}`);
    expect(r.statusCode).toBe(404);
    expect(errorOf(r.body).code).toBe('NOT_FOUND');
    for (const h of ['xyz', 'cd'.repeat(33), '12']) {
      const bad = await inject('GET', `/v1/transactions/${h}`);
      expect(bad.statusCode).toBe(400);
      expect(errorOf(bad.body).code).toBe('BAD_REQUEST');
    }
  });

  it('answers each transaction error with its TxError code and a message', async () => {
    const before = api.node.mempool.size;
    const post = async (body: unknown) => {
      const r = await inject('POST', '/v1/transactions', body);
      expect(r.statusCode).toBe(400);
      return errorOf(r.body);
    };
    const hexOf = (e: ReturnType<typeof sign>) => ({ hex: toHex(e.bytes) });
    const badSig = jsonForm(sign(4n));
    badSig.signature = `${badSig.signature.slice(0, 10)}${badSig.signature[10] === '0' ? '1' : '0'}${badSig.signature.slice(11)}`;
    expect((await post(badSig)).code).toBe('BAD_SIGNATURE');
    const otherChain = sign(4n, { domain: { chainId: 1, genesisHash: b.domain.genesisHash } });
    expect((await post(hexOf(otherChain))).code).toBe('BAD_SIGNATURE');
    // a high-s twin of a valid signature is refused (no malleability)
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const valid = sign(4n);
    const s = BigInt(`0x${toHex(valid.tx.signature.subarray(32))}`);
    const highS = {
      ...valid.tx,
      signature: new Uint8Array([
        ...valid.tx.signature.subarray(0, 32),
        ...fromHex((n - s).toString(16).padStart(64, '0')),
      ]),
    };
    expect((await post({ hex: toHex(encodeTx(highS)) })).code).toBe('BAD_SIGNATURE');
    expect((await post(hexOf(sign(4n, { fee: 9n })))).code).toBe('FEE_TOO_LOW');
    expect((await post(hexOf(sign(4n, { amount: 0n })))).code).toBe('ZERO_AMOUNT');
    expect((await post(hexOf(sign(0n)))).code).toBe('NONCE_TOO_LOW');
    expect((await post(hexOf(sign(5000n)))).code).toBe('NONCE_TOO_HIGH');
    expect((await post(hexOf(sign(4n, { amount: 10_000_000n })))).code).toBe('INSUFFICIENT_FUNDS');
    expect((await post(hexOf(sign(1n)))).code).toBe('ALREADY_KNOWN');
    const e = await post(hexOf(sign(1n, { amount: 501n })));
    expect(e.code).toBe('REPLACEMENT_UNDERPRICED');
    expect(e.message).toContain('must pay more');
    expect((await post({ hex: '01'.repeat(16 * 1024 + 1) })).code).toBe('TOO_LARGE');
    // malformed encodings
    expect((await post({ hex: '00' })).code).toBe('DECODE');
    expect((await post({ hex: toHex(valid.bytes).slice(0, -2) })).code).toBe('DECODE');
    expect((await post({ hex: `${toHex(valid.bytes)}00` })).code).toBe('DECODE');
    expect((await post({ hex: 'zz' })).code).toBe('DECODE');
    expect((await post({ hex: 'abc' })).code).toBe('DECODE');
    // malformed JSON forms: the field is named
    const good = jsonForm(sign(4n));
    const cases: [unknown, string][] = [
      [{ ...good, nonce: 4 }, 'nonce'],
      [{ ...good, fee: '1.5' }, 'fee'],
      [{ ...good, fee: '18446744073709551616' }, 'fee'],
      [{ ...good, nonce: '-1' }, 'nonce'],
      [{ ...good, nonce: '007' }, 'nonce'],
      [{ ...good, senderPubKey: 'ab' }, 'senderPubKey'],
      [{ ...good, signature: 'ab'.repeat(63) }, 'signature'],
      [{ ...good, payload: { kind: 'mint', to: keys.vpp3.address, amount: '1' } }, 'payload.kind'],
      [{ ...good, payload: { kind: 'transfer', to: '0x1234', amount: '1' } }, 'payload.to'],
      [{ ...good, payload: { kind: 'transfer', to: keys.vpp3.address, amount: 1 } }, 'payload/amount'],
      [
        { ...good, payload: { kind: 'transfer', to: keys.vpp3.address, amount: '1', memo: 'x' } },
        'payload.memo',
      ],
      [{ ...good, payload: 'transfer' }, 'payload'],
      [{ nonce: '1', fee: '10' }, 'senderPubKey'],
      [{ ...good, extra: 1 }, 'extra'],
      [{ hex: toHex(valid.bytes), nonce: '1' }, 'nonce'],
      [{}, 'nonce'],
      [[], 'body'],
    ];
    for (const [body, field] of cases) {
      const err = await post(body);
      expect(err.code, JSON.stringify(body)).toBe('BAD_REQUEST');
      expect(err.message, JSON.stringify(body)).toContain(field);
    }
    for (const raw of ['"hello"', '42', 'null', 'true']) {
      const r = await inject('POST', '/v1/transactions', raw, { 'content-type': 'application/json' });
      expect(r.statusCode).toBe(400);
      expect(errorOf(r.body).code).toBe('BAD_REQUEST');
    }
    expect(api.node.mempool.size).toBe(before);
  });

  it('413 for oversized bodies, 415 for other media types, 400 for invalid JSON (also over HTTP)', async () => {
    const big = await inject('POST', '/v1/transactions', { hex: 'ab'.repeat(40_000) });
    expect(big.statusCode).toBe(413);
    expect(errorOf(big.body).code).toBe('PAYLOAD_TOO_LARGE');
    const text = await inject('POST', '/v1/transactions', '<hex>00</hex>', {
      'content-type': 'application/xml',
    });
    expect(text.statusCode).toBe(415);
    expect(errorOf(text.body).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const r = await fetch(`${api.url}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"hex": ',
    });
    expect(r.status).toBe(400);
    expect(errorOf(await r.text()).code).toBe('BAD_REQUEST');
    const empty = await inject('POST', '/v1/transactions', '', { 'content-type': 'application/json' });
    expect(empty.statusCode).toBe(400);
    expect(errorOf(empty.body).code).toBe('BAD_REQUEST');
  });
});

describe('mempool limits and internal errors', () => {
  it('passes MEMPOOL_FULL and SENDER_LIMIT through; a bug is a 500 INTERNAL without internals', async () => {
    const env = b.transfer(keys.vpp2, keys.vpp3, 1n, 0n);
    const original = api.node.submitTx.bind(api.node);
    try {
      for (const code of [TxErrorCode.MEMPOOL_FULL, TxErrorCode.SENDER_LIMIT]) {
        api.node.submitTx = async () => {
          throw new TxError(code, 'full up');
        };
        const r = await inject('POST', '/v1/transactions', { hex: toHex(env.bytes) });
        expect(r.statusCode).toBe(400);
        expect(errorOf(r.body)).toEqual({ code, message: 'full up', details: { hash: env.id } });
      }
      api.node.submitTx = async () => {
        throw new Error('secret internal detail');
      };
      const r = await inject('POST', '/v1/transactions', { hex: toHex(env.bytes) });
      expect(r.statusCode).toBe(500);
      expect(errorOf(r.body)).toEqual({ code: 'INTERNAL', message: 'internal error' });
    } finally {
      api.node.submitTx = original;
    }
  });
});

describe('GET /v1/accounts/:address', () => {
  it('reports balance, locked, nonces and the genesis role', async () => {
    const pending = api.node.mempool.pendingOf(keys.vpp1.address).length;
    const a = (
      await inject('GET', `/v1/accounts/${keys.vpp1.address.toUpperCase().replace('0X', '0x')}`)
    ).json();
    expect(a).toEqual({
      address: keys.vpp1.address,
      balance: String(1_000_000n - 1_010n),
      locked: '0',
      spendable: String(1_000_000n - 1_010n),
      nonce: '1',
      pendingNonce: String(1 + pending),
      pendingCount: pending,
      role: 'vpp',
      name: 'vpp-1',
      height: 3,
    });
    expect(pending).toBeGreaterThan(0);
    const grid = (await inject('GET', `/v1/accounts/${keys.grid.address}`)).json();
    expect(grid.role).toBe('grid');
    const stranger = (await inject('GET', `/v1/accounts/${devKeyPair('nobody').address}`)).json();
    expect(stranger).toMatchObject({ balance: '0', nonce: '0', pendingNonce: '0', role: null, name: null });
  });

  it('400 BAD_REQUEST for malformed addresses', async () => {
    for (const a of ['0x1234', keys.vpp1.address.slice(2), `${keys.vpp1.address}00`, 'hello']) {
      const r = await inject('GET', `/v1/accounts/${a}`);
      expect(r.statusCode).toBe(400);
      expect(errorOf(r.body).code).toBe('BAD_REQUEST');
    }
  });
});

describe('docs, metrics and errors', () => {
  it('serves OpenAPI with every route and human docs', async () => {
    const spec = (await inject('GET', '/openapi.json')).json();
    expect(spec.openapi).toMatch(/^3\./);
    for (const p of [
      '/v1/status',
      '/v1/blocks/{id}',
      '/v1/blocks',
      '/v1/transactions',
      '/v1/transactions/{hash}',
      '/v1/accounts/{address}',
      '/v1/events',
      '/metrics',
    ])
      expect(spec.paths[p], p).toBeDefined();
    const html = await fetch(`${api.url}/docs`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('<html');
  });

  it('exports Prometheus metrics: head, peers, mempool, imports and rejections by code, latency by route', async () => {
    // a block with a wrong state root is refused at connection (BAD_STATE_ROOT)
    const bad = b.next(b.idOf(b3!), { stateRoot: new Uint8Array(32).fill(7) });
    await expect(api.node.chain.processBlock(bad)).rejects.toMatchObject({ code: 'BAD_STATE_ROOT' });
    await expect(api.node.chain.processBlock(b3!)).rejects.toMatchObject({ code: 'ALREADY_KNOWN' });
    await inject('GET', '/v1/status');
    const r = await inject('GET', '/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    const text = r.body;
    expect(text).toMatch(/^vpp_head_height 3$/m);
    expect(text).toMatch(/^vpp_peers 0$/m);
    expect(text).toMatch(new RegExp(`^vpp_mempool_size ${api.node.mempool.size}$`, 'm'));
    expect(text).toMatch(/^vpp_blocks_imported_total\{result="head"\} 3$/m);
    expect(text).toMatch(/^vpp_blocks_imported_total\{result="side-chain"\} 1$/m);
    expect(text).toMatch(/^vpp_blocks_rejected_total\{code="BAD_STATE_ROOT"\} 1$/m);
    expect(text).toMatch(/^vpp_blocks_rejected_total\{code="ALREADY_KNOWN"\} 1$/m);
    expect(text).toMatch(/^vpp_blocks_invalid_total\{code="BAD_STATE_ROOT"\} 1$/m);
    expect(text).toMatch(/^vpp_api_transactions_total\{result="accepted"\} [1-9]/m);
    expect(text).toMatch(/^vpp_api_transactions_total\{result="NONCE_TOO_LOW"\} 1$/m);
    expect(text).toMatch(
      /^vpp_http_request_duration_seconds_count\{method="GET",route="\/v1\/status",status_code="200"\} [1-9]/m,
    );
    expect(text).toMatch(/^vpp_reorgs_total 0$/m);
  });

  it('answers unknown routes and methods with 404 in the error shape (also over HTTP)', async () => {
    for (const [m, u] of [
      ['GET', '/nope'],
      ['POST', '/v1/status'],
      ['GET', '/v2/status'],
    ] as const) {
      const r = await inject(m, u);
      expect(r.statusCode).toBe(404);
      expect(errorOf(r.body).code).toBe('NOT_FOUND');
    }
    const r = await fetch(`${api.url}/v1/nothing?x=1`);
    expect(r.status).toBe(404);
    expect(errorOf(await r.text()).message).toBe('no route GET /v1/nothing');
  });

  it('ApiError keeps status, code and details', () => {
    const e = new ApiError(409, 'X', 'm', { a: 1 });
    expect([e.statusCode, e.code, e.message, e.details]).toEqual([409, 'X', 'm', { a: 1 }]);
  });
});

describe('rate limit and CORS', () => {
  it('429 RATE_LIMITED after the limit per client; loopback exempt unless configured', async () => {
    const strict = await startApiNode(params, {
      api: { rateLimit: { max: 3, windowMs: 60_000, exemptLoopback: false } },
    });
    const lax = await startApiNode(params, { api: { rateLimit: { max: 3, windowMs: 60_000 } } });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await fetch(`${strict.url}/v1/status`)).status);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const r = await fetch(`${strict.url}/v1/status`);
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(errorOf(await r.text()).code).toBe('RATE_LIMITED');
      for (let i = 0; i < 5; i++) expect((await fetch(`${lax.url}/v1/status`)).status).toBe(200);
      // another client (not loopback) is limited on the lax node
      const other = [];
      for (let i = 0; i < 4; i++)
        other.push((await lax.app.inject({ url: '/v1/status', remoteAddress: '10.1.2.3' })).statusCode);
      expect(other).toEqual([200, 200, 200, 429]);
    } finally {
      await strict.close();
      await lax.close();
    }
  });

  it('sends CORS headers only when configured', async () => {
    const open = await startApiNode(params, { api: { cors: ['https://vpp.example'] } });
    try {
      const yes = await fetch(`${open.url}/v1/status`, { headers: { origin: 'https://vpp.example' } });
      expect(yes.headers.get('access-control-allow-origin')).toBe('https://vpp.example');
      const pre = await open.app.inject({
        method: 'OPTIONS',
        url: '/v1/transactions',
        headers: { origin: 'https://vpp.example', 'access-control-request-method': 'POST' },
      });
      expect(pre.statusCode).toBe(204);
      const no = await fetch(`${api.url}/v1/status`, { headers: { origin: 'https://vpp.example' } });
      expect(no.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await open.close();
    }
  });
});
