import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server.ts';
import { meterReportCall, placeBidCall } from '../../../contracts-vm/abi/calls.ts';
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

    // Metering adds lines; the bill needs confirmations of the metering block too.
    await grow(10, {
      31: [b.call(keys.grid, meterReportCall(2n, [{ vpp: keys.vpp1.address, deviationWh: -1800n }]), 0n)],
    });
    r = await get(`/v1/bills/${keys.vpp1.address}?from=2&to=2`);
    expect(r.body.bills[0].meteredWh).toBe('-1800');
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
    ]) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(400);
      const body = r.json();
      expect(body.error.code, url).toBe('BAD_REQUEST');
      expect(body.error.message, url).toBeTruthy();
    }
  });
});
