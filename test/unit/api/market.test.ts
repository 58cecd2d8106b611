import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server.ts';
import { commitScheduleCall, meterReportCall, placeBidCall } from '../../../contracts-vm/abi/calls.ts';
import { auctionView } from '../../../contracts-vm/queries.ts';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const params = testParams(); // intervals of 10 s, blocks 1 s apart, minConfirmations 2
let node: VppNode;
let app: FastifyInstance;
let dir: string;
const b = new ChainBuilder(params);
let tip = b.genesisId;

async function grow(n: number, txsAt: Record<number, ReturnType<ChainBuilder['call']>[]> = {}) {
  for (let i = 0; i < n; i++) {
    const h = b.get(tip).block.header.height + 1;
    const blk = b.next(tip, { txs: txsAt[h] ?? [] });
    await node.chain.processBlock(blk);
    tip = b.idOf(blk);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vppchain-api-market-'));
  await initDataDir(dir, params);
  node = await VppNode.open({ dataDir: dir, mine: false, verifierThreads: 0 });
  app = await createApiServer(node, { docs: false });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string) => {
  const r = await app.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() };
};

describe('auction and bill routes', () => {
  it('shows an open auction without its bids, then the closed bids and the clearing', async () => {
    await grow(2, {
      1: [b.call(keys.vpp1, placeBidCall(2n, 'buy', [{ qty: 2000, price: 250_000 }]), 0n)],
      2: [b.call(keys.vpp2, placeBidCall(2n, 'sell', [{ qty: 1500, price: 100_000 }]), 0n)],
    });
    const open = await get('/v1/auctions/2');
    expect(open.status).toBe(200);
    expect(open.body).toMatchObject({
      interval: '2',
      status: 'open',
      bidCount: 2,
      bids: null,
      clearing: null,
    });
    expect(open.body.window.close).toBe(params.timestamp + 20_000);
    await grow(18); // height 20 = the gate: cleared
    const done = await get('/v1/auctions/2');
    expect(done.body.status).toBe('cleared');
    expect(done.body.bids.map((x: { vpp: string }) => x.vpp).sort()).toEqual(
      [keys.vpp1.address, keys.vpp2.address].sort(),
    );
    expect(done.body.clearing.tradedWh).toBe('1500');
    expect(done.body.clearing.height).toBe(20);
    const payments = Object.fromEntries(
      done.body.clearing.participants.map((p: { vpp: string; payment: string }) => [p.vpp, p.payment]),
    );
    expect(BigInt(payments[keys.vpp2.address]) - BigInt(payments[keys.vpp1.address])).toBe(
      BigInt(done.body.clearing.deficit),
    );
    // The reply schema serialises the whole view: nothing of it is dropped.
    expect(done.body).toEqual(
      JSON.parse(
        JSON.stringify(auctionView(node.chain.headState, params, 2n, node.chain.tip.header.timestamp)),
      ),
    );
    expect((await get('/v1/auctions/1')).body.status).toBe('empty');
    expect((await get('/v1/auctions/current')).body.interval).toBe('2');
  });

  it('reports a bill confirmed only once it is minConfirmations deep, and lists an interval for the grid', async () => {
    let r = await get(`/v1/bills/${keys.vpp1.address}?from=0&to=5`);
    expect(r.status).toBe(200);
    expect(r.body.bills).toHaveLength(1);
    const bill = r.body.bills[0];
    expect(bill.clearing).toEqual({ height: 20, confirmations: 1 });
    expect(bill.confirmed).toBe(false); // 1 < 2
    expect(bill.lines[0].kind).toBe('auction-buy');
    expect(BigInt(bill.total)).toBeLessThan(0n);
    await grow(1);
    r = await get(`/v1/bills/${keys.vpp1.address}?from=0&to=5`);
    expect(r.body.bills[0].confirmed).toBe(true);
    expect(
      (await get(`/v1/bills/${keys.vpp1.address}?from=0&to=5&minConfirmations=5`)).body.bills[0].confirmed,
    ).toBe(false);

    // Metering adds lines; the bill needs confirmations of the metering block too. Nothing was committed
    // for interval 2, so the metered net position is the deviation.
    await grow(10, {
      31: [b.call(keys.grid, meterReportCall(2n, [{ vpp: keys.vpp1.address, meteredWh: -1800n }]), 0n)],
    });
    r = await get(`/v1/bills/${keys.vpp1.address}?from=2&to=2`);
    expect(r.body.bills[0]).toMatchObject({ meteredWh: '-1800', committedWh: null, deviationWh: '-1800' });
    expect(r.body.bills[0].lines.map((l: { kind: string }) => l.kind)).toEqual([
      'auction-buy',
      'imbalance-short',
    ]);
    expect(r.body.bills[0].metering.height).toBe(31);
    const all = await get('/v1/bills?interval=2');
    expect(all.body.bills.map((x: { vpp: string }) => x.vpp).sort()).toEqual(
      [keys.vpp1.address, keys.vpp2.address].sort(),
    );
  });

  it('takes a bid in the JSON transaction form and encodes it to the same transaction as its canonical bytes', async () => {
    const k =
      BigInt(Math.floor((node.chain.tip.header.timestamp - params.timestamp) / params.market.intervalMs)) +
      2n;
    const env = b.call(keys.vpp3, placeBidCall(k, 'sell', [{ qty: 700, price: 90_000 }]), 0n);
    const p = env.tx.payload as { contract: number; method: number; args: Uint8Array };
    const json = {
      nonce: env.tx.nonce.toString(),
      fee: env.tx.fee.toString(),
      senderPubKey: Buffer.from(env.tx.senderPubKey).toString('hex'),
      payload: {
        kind: 'call',
        contract: p.contract,
        method: p.method,
        args: Buffer.from(p.args).toString('hex'),
      },
      signature: Buffer.from(env.tx.signature).toString('hex'),
    };
    // The node encodes the JSON form canonically: the reply names the very transaction id of the bytes. (This
    // test chain's clock is in the past, so the mempool's admission check, which estimates the next block's
    // time from the wall clock, finds the gate closed: the contract ran on the decoded call.)
    const r = await app.inject({ method: 'POST', url: '/v1/transactions', payload: json });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'GATE_CLOSED', details: { hash: env.id } });
    const viaHex = await app.inject({
      method: 'POST',
      url: '/v1/transactions',
      payload: { hex: Buffer.from(env.bytes).toString('hex') },
    });
    expect(viaHex.json().error).toMatchObject({ code: 'GATE_CLOSED', details: { hash: env.id } });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/transactions',
      payload: { ...json, payload: { ...json.payload, contract: 300 } },
    });
    expect(bad.json().error).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'payload.contract' } });
    const badArgs = await app.inject({
      method: 'POST',
      url: '/v1/transactions',
      payload: { ...json, payload: { ...json.payload, args: 'zz' } },
    });
    expect(badArgs.json().error).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'payload.args' } });
  });

  it('answers bad input with 400 in the error shape', async () => {
    for (const url of [
      '/v1/bills/0xZZ',
      `/v1/bills/${keys.vpp1.address}?from=9&to=2`,
      `/v1/bills/${keys.vpp1.address}?from=0&to=5000`,
      `/v1/bills/${keys.vpp1.address}?minConfirmations=-1`,
      `/v1/bills/${keys.vpp1.address}?extra=1`,
      '/v1/bills',
      '/v1/bills?interval=abc',
      '/v1/auctions/-3',
      '/v1/auctions/99999999999999999999',
      '/v1/schedules/0xZZ',
      `/v1/schedules/${keys.vpp1.address.toUpperCase()}`,
      `/v1/schedules/${keys.vpp1.address}?from=9&to=2`,
      `/v1/schedules/${keys.vpp1.address}?from=0&to=1000`,
      `/v1/schedules/${keys.vpp1.address}?from=-1`,
      `/v1/schedules/${keys.vpp1.address}?extra=1`,
    ]) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(400);
      const body = r.json();
      expect(body.error.code, url).toBe('BAD_REQUEST');
      expect(body.error.message, url).toBeTruthy();
    }
  });

  it('serves a committed schedule: each position with its block and time, final once bidding opens, and what metering measured against it', async () => {
    const h = b.get(tip).block.header.height;
    const at = (height: number) => params.timestamp + height * 1000; // blocks 1 s apart
    // vpp-3 commits intervals 9..11 (their bidding opens at 50, 60 and 70 s), then revises 10.
    await grow(2, {
      [h + 1]: [b.call(keys.vpp3, commitScheduleCall(9n, [-1200n, 300n, 0n]), 0n)],
      [h + 2]: [b.call(keys.vpp3, commitScheduleCall(10n, [450n]), 1n)],
    });
    const url = `/v1/schedules/${keys.vpp3.address}`;
    const r = await get(`${url}?from=8&to=12`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      vpp: keys.vpp3.address,
      from: '8',
      to: '12',
      intervals: [
        {
          interval: '9',
          committedWh: '-1200',
          height: h + 1,
          confirmations: 2,
          committedAt: at(h + 1),
          closesAt: at(50),
          final: false,
        },
        {
          interval: '10',
          committedWh: '450',
          height: h + 2,
          confirmations: 1,
          committedAt: at(h + 2),
          closesAt: at(60),
          final: false,
        },
        {
          interval: '11',
          committedWh: '0',
          height: h + 1,
          confirmations: 2,
          committedAt: at(h + 1),
          closesAt: at(70),
          final: false,
        },
      ],
    });
    // By default, 1,000 intervals from the one in delivery.
    const now = Math.floor((h + 2) / 10);
    const d = await get(url);
    expect([d.body.from, d.body.to]).toEqual([String(now), String(now + 999)]);
    expect(d.body.intervals.map((e: { interval: string }) => e.interval)).toEqual(['9', '10', '11']);
    expect((await get(`/v1/schedules/${keys.vpp1.address}`)).body.intervals).toEqual([]);

    // Once interval 9's bidding has opened (50 s) its position is final; 10's is not yet.
    await grow(50 - (h + 2));
    const later = (await get(`${url}?from=9&to=10`)).body.intervals;
    expect(later.map((e: { final: boolean }) => e.final)).toEqual([true, false]);

    // Metered after interval 9 ends (100 s): 1,000 Wh imported against 1,200 committed, 200 Wh long.
    await grow(52, {
      101: [b.call(keys.grid, meterReportCall(9n, [{ vpp: keys.vpp3.address, meteredWh: -1000n }]), 1n)],
    });
    const bill = (await get(`/v1/bills/${keys.vpp3.address}?from=9&to=9`)).body.bills[0];
    expect(bill).toMatchObject({ meteredWh: '-1000', committedWh: '-1200', deviationWh: '200' });
    expect(bill.lines).toEqual([{ kind: 'imbalance-long', wh: '200', amount: '4000' }]);
  });

  it('documents the schedule route in the OpenAPI document, with its tag and operationId', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/v1/schedules/{address}'].get;
    expect(op).toMatchObject({ operationId: 'getSchedule', tags: ['market'] });
    expect(Object.keys(op.responses)).toContain('200');
    expect(op.parameters.map((x: { name: string }) => x.name).sort()).toEqual(['address', 'from', 'to']);
  });
});
