// POST /v1/transactions tells the truth and GET /v1/transactions/:hash reports every terminal state:
// TOO_LARGE, BAD_PUBKEY, GATE_CLOSED (in words: interval, ISO time, how long ago) and NONCE_TOO_HIGH at
// submission; 202 only once the transaction is on disk (503 when it cannot be stored); a dropped
// transaction is `dropped` with its reason on GET, as a `tx.dropped` event, and in the SDK's wait.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VppClient, VppTxDroppedError } from '../../../client/index.ts';
import type { NodeEventJson } from '../../../client/types.ts';
import { MempoolStore } from '../../../consensus/mempool-store.ts';
import { placeBidCall } from '../../../contracts-vm/abi/calls.ts';
import { intervalAt } from '../../../contracts-vm/contracts/intervals.ts';
import { mempoolPath } from '../../../node/node.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { encodeTx, envelope } from '../../../protocol/tx.ts';
import { type ApiNode, errorOf, startApiNode } from '../../helpers/api-node.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';
import { waitFor } from '../../helpers/net.ts';

const params = testParams(); // its genesis is in the past: intervals are counted from then
const b = new ChainBuilder(params);
const steps = [{ qty: 1000, price: 250_000 }];
let api: ApiNode;
let client: VppClient;

beforeAll(async () => {
  api = await startApiNode(params);
  client = new VppClient(api.url);
});
afterAll(() => api.close());

const post = (body: unknown) =>
  api.app.inject({ method: 'POST', url: '/v1/transactions', payload: body as never });
const refused = async (body: unknown, status = 400) => {
  const r = await post(body);
  expect(r.statusCode, r.body).toBe(status);
  return errorOf(r.body);
};
const hexOf = (env: { bytes: Uint8Array }) => ({ hex: toHex(env.bytes) });

describe('POST /v1/transactions refuses at submission what cannot be mined', () => {
  it('TOO_LARGE for a hex transaction over 16 KiB, with or without 0x, up to the body limit', async () => {
    for (const hex of ['01'.repeat(16 * 1024 + 1), `0x${'01'.repeat(16 * 1024 + 2)}`, 'ab'.repeat(30_000)]) {
      const e = await refused({ hex });
      expect(e.code).toBe('TOO_LARGE');
      expect(e.message).toMatch(/^transaction of \d+ bytes; at most 16384$/);
    }
  });

  it('BAD_PUBKEY for a sender key off the curve or with prefix 04, though the key has no funds', async () => {
    const good = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const prefix04 = Uint8Array.from(keys.vpp1.publicKey);
    prefix04[0] = 4;
    for (const senderPubKey of [fromHex(`02${'00'.repeat(31)}05`), prefix04]) {
      const env = envelope({ ...good.tx, senderPubKey });
      const e = await refused({ hex: toHex(encodeTx(env.tx)) });
      expect(e.code).toBe('BAD_PUBKEY');
      expect(e.details).toEqual({ hash: env.id });
    }
  });

  it('GATE_CLOSED in words for a bid queued behind a pending transfer; NONCE_TOO_HIGH past the window', async () => {
    expect((await post(hexOf(b.transfer(keys.vpp2, keys.vpp3, 5n, 0n)))).statusCode).toBe(202);
    const now = intervalAt(params, Date.now());
    const e = await refused(hexOf(b.call(keys.vpp2, placeBidCall(now, 'buy', steps), 1n)));
    expect(e.code).toBe('GATE_CLOSED');
    expect(e.message).toMatch(
      new RegExp(
        `^the gate of interval ${now} closed at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z, [\\d.]+ (ms|s) ago: `,
      ),
    );
    const far = await refused(hexOf(b.transfer(keys.vpp2, keys.vpp3, 5n, 18n)));
    expect(far.code).toBe('NONCE_TOO_HIGH');
    expect(far.message).toContain("more than 16 ahead of the sender's pending nonce 1");
    expect((await post(hexOf(b.transfer(keys.vpp2, keys.vpp3, 5n, 17n)))).statusCode).toBe(202);
  });
});

describe('202 means stored; every 202 ends pending, confirmed or dropped with a reason', () => {
  it('answers 202 only once the transaction is on disk: the store copied right after holds it', async () => {
    const env = b.transfer(keys.vpp3, keys.vpp1, 5n, 0n);
    expect((await post(hexOf(env))).statusCode).toBe(202);
    const dir = mkdtempSync(join(tmpdir(), 'vppchain-api-crash-'));
    try {
      cpSync(mempoolPath(api.dir), dir, { recursive: true });
      const store = await MempoolStore.open(dir);
      const ids = (await store.load()).pending.map((s) => s.env.id);
      await store.close();
      expect(ids).toContain(env.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a replaced transaction is dropped: GET, the tx.dropped event and the SDK wait all say why', async () => {
    const first = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n, 10n);
    const second = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n, 15n);
    expect((await post(hexOf(first))).statusCode).toBe(202);
    const ctl = new AbortController();
    const events: NodeEventJson[] = [];
    const subscribed = api.node.events.subscriberCount;
    const stream = (async () => {
      for await (const e of client.subscribe({ kinds: ['tx.dropped'], signal: ctl.signal })) {
        events.push(e);
        break;
      }
    })();
    const waiting = client.waitForConfirmation(first.id, { timeoutMs: 30_000 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitFor('subscribed', () => api.node.events.subscriberCount >= subscribed + 2, 10_000);
    expect((await post(hexOf(second))).statusCode).toBe(202);

    const record = {
      hash: first.id,
      reason: 'replaced',
      message: expect.stringContaining(`replaced by ${second.id}`),
      droppedAt: expect.any(Number),
      replacedBy: second.id,
      sender: keys.vpp1.address,
      nonce: '0',
    };
    const got = await api.app.inject({ method: 'GET', url: `/v1/transactions/${first.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual({ ...record, status: 'dropped' });
    const err = await waiting;
    expect(err).toBeInstanceOf(VppTxDroppedError);
    expect(err).toMatchObject({ hash: first.id, reason: 'replaced', replacedBy: second.id });
    await stream;
    ctl.abort();
    expect(events).toEqual([expect.objectContaining({ kind: 'tx.dropped', data: record })]);
  });

  it('503 UNAVAILABLE, and nothing admitted, when the transaction cannot be stored', async () => {
    const store = api.node.mempoolStore as unknown as { db: Level<Uint8Array, Uint8Array> };
    const env = b.transfer(keys.grid, keys.vpp1, 5n, 0n);
    await store.db.close();
    try {
      const e = await refused(hexOf(env), 503);
      expect(e.code).toBe('UNAVAILABLE');
      expect(e.message).toMatch(/^not accepted: mempool store .* write failed: /);
      expect(api.node.mempool.has(env.id)).toBe(false);
    } finally {
      await store.db.open();
    }
  });
});
