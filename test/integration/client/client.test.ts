// The SDK against a real node over HTTP: reads, local signing and submission, waiting for confirmation
// (events and polling), typed errors, and input validation before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTransfer,
  domainOf,
  encodeTransaction,
  signTransaction,
  VppApiError,
  VppClient,
  VppConnectionError,
  VppTimeoutError,
} from '../../../client/index.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import { decodeTx, encodeTx } from '../../../protocol/tx.ts';
import { type ApiNode, startApiNode } from '../../helpers/api-node.ts';
import { keys } from '../../helpers/builder.ts';
import { netParams, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const params = netParams();
let miner: ApiNode;
let idle: ApiNode; // no miner: transactions stay pending
let client: VppClient;

beforeAll(async () => {
  [miner, idle] = await Promise.all([startApiNode(params, { mine: true }), startApiNode(params)]);
  client = new VppClient(miner.url);
});
afterAll(async () => {
  await Promise.all([miner.close(), idle.close()]);
});

describe('VppClient', () => {
  it('reads status, accounts, blocks and pages', async () => {
    await waitFor('a few blocks', () => miner.node.chain.height >= 2, 30_000);
    const s = await client.status();
    expect(s.chainId).toBe(params.chainId);
    expect(s.genesisHash).toBe(toHex(miner.node.chain.genesisHash));
    expect(s.mining).toBe(true);
    const a = await client.account(keys.vpp1.address);
    expect(a).toMatchObject({ role: 'vpp', name: 'vpp-1', balance: '1000000' });
    const b1 = await client.block(1);
    expect(b1.height).toBe(1);
    expect((await client.block(b1.hash)).hash).toBe(b1.hash);
    expect((await client.block()).height).toBeGreaterThanOrEqual(2);
    const page = await client.blocks({ from: 0, limit: 2 });
    expect(page.blocks.map((x) => x.height)).toEqual([0, 1]);
    expect(page.next).toBe(2);
  });

  it('signs locally, submits the hex form and waits for the confirmation via events', async () => {
    const to = devKeyPair('sdk-recipient').address;
    const { hash, tx } = await client.transfer({ key: keys.vpp1, to, amount: 12_345n });
    expect(tx.nonce).toBe(0n);
    expect(tx.fee).toBe(params.minTxFee);
    const pending = await client.transaction(hash);
    expect(['pending', 'confirmed']).toContain(pending.status);
    const c = await client.waitForConfirmation(hash, { timeoutMs: 60_000, confirmations: 2 });
    expect(c.status).toBe('confirmed');
    expect(c.confirmations).toBeGreaterThanOrEqual(2);
    expect(c.transaction.payload).toEqual({ kind: 'transfer', to, amount: '12345' });
    expect((await client.account(to)).balance).toBe('12345');
    // the next transfer takes the next nonce by itself; polling only also works
    const second = await client.transfer({ key: keys.vpp1, to, amount: '1', fee: 11 });
    expect(second.tx.nonce).toBe(1n);
    expect(
      (await client.waitForConfirmation(second.hash, { events: false, pollMs: 100 })).blockHeight,
    ).toBeGreaterThan(c.blockHeight);
  });

  it('builds exactly the canonical encoding the node signs and hashes', () => {
    const status = { chainId: params.chainId, genesisHash: toHex(miner.node.chain.genesisHash) };
    const tx = signTransaction(
      buildTransfer(keys.vpp2, {
        to: keys.vpp3.address.toUpperCase().replace('0X', '0x'),
        amount: 5,
        fee: '10',
        nonce: 3n,
      }),
      keys.vpp2,
      domainOf(status),
    );
    const { hex, hash } = encodeTransaction(tx);
    expect(toHex(encodeTx(decodeTx(Buffer.from(hex, 'hex'))))).toBe(hex);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tx.payload).toEqual({ kind: 'transfer', to: keys.vpp3.address, amount: 5n });
  });

  it('refuses bad inputs before sending anything', () => {
    const f = { to: keys.vpp2.address, amount: 1, fee: 10, nonce: 0 };
    expect(() => buildTransfer(keys.vpp1, { ...f, to: '0x12' })).toThrow(/recipient/);
    expect(() => buildTransfer(keys.vpp1, { ...f, amount: 0 })).toThrow(/positive/);
    expect(() => buildTransfer(keys.vpp1, { ...f, amount: -1 })).toThrow(RangeError);
    expect(() => buildTransfer(keys.vpp1, { ...f, amount: 1.5 })).toThrow(/whole/);
    expect(() => buildTransfer(keys.vpp1, { ...f, fee: '1e3' })).toThrow(/decimal/);
    expect(() => buildTransfer(keys.vpp1, { ...f, nonce: (1n << 64n).toString() })).toThrow(/between/);
    expect(() => new VppClient('ftp://x')).toThrow(/http/);
    expect(() => new VppClient('not a url')).toThrow(/URL/);
  });

  it('throws VppApiError with the API code, VppTimeoutError and VppConnectionError', async () => {
    const e1 = await client.transaction('ab'.repeat(32)).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(VppApiError);
    expect((e1 as VppApiError).code).toBe('NOT_FOUND');
    expect((e1 as VppApiError).status).toBe(404);
    const e2 = await client
      .transfer({ key: keys.vpp1, to: keys.vpp2.address, amount: 1, nonce: 0 })
      .catch((e: unknown) => e);
    expect((e2 as VppApiError).code).toBe('NONCE_TOO_LOW');
    const e3 = await client.account('0x1').catch((e: unknown) => e);
    expect((e3 as VppApiError).code).toBe('BAD_REQUEST');
    // never mined on the idle node
    const idleClient = new VppClient(idle.url);
    const { hash } = await idleClient.transfer({ key: keys.vpp3, to: keys.vpp2.address, amount: 1 });
    expect((await idleClient.transaction(hash)).status).toBe('pending');
    const started = Date.now();
    await expect(idleClient.waitForConfirmation(hash, { timeoutMs: 400, pollMs: 50 })).rejects.toBeInstanceOf(
      VppTimeoutError,
    );
    // Gave up after its own 400 ms, not after the default (60 s).
    expect(Date.now() - started).toBeLessThan(scaled(15_000));
    const gone = new VppClient('http://127.0.0.1:1');
    await expect(gone.status()).rejects.toBeInstanceOf(VppConnectionError);
  });

  it('subscribes to head events', async () => {
    const ctl = new AbortController();
    const seen: number[] = [];
    for await (const e of client.subscribe({ kinds: ['head'], signal: ctl.signal })) {
      expect(e.kind).toBe('head');
      seen.push((e.data as { height: number }).height);
      if (seen.length === 2) break;
    }
    expect(seen[1]).toBeGreaterThan(seen[0]!);
    await waitFor('stream closed', () => miner.node.events.subscriberCount === 0, 10_000);
  });
});
