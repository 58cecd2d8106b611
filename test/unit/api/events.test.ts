// GET /v1/events over real HTTP: head and reorg events from the chain, kind filters, heartbeats,
// Last-Event-ID replay, clean-up on client disconnect; and the event bus itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VppClient } from '../../../client/index.ts';
import { parseSse } from '../../../client/sse.ts';
import type { NodeEventJson } from '../../../client/types.ts';
import { EventBus } from '../../../node/events.ts';
import { type ApiNode, errorOf, startApiNode } from '../../helpers/api-node.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';
import { waitFor } from '../../helpers/net.ts';

const params = testParams();
const b = new ChainBuilder(params);
let api: ApiNode;
let client: VppClient;

beforeAll(async () => {
  api = await startApiNode(params, { api: { sseHeartbeatMs: 100 } });
  client = new VppClient(api.url);
});
afterAll(() => api.close());

/** Collects events from a subscription until `until` holds for the list (or fails after a timeout). */
async function collect(
  opts: { kinds?: string[]; lastEventId?: number },
  act: () => Promise<void>,
  until: (events: NodeEventJson[]) => boolean,
): Promise<NodeEventJson[]> {
  const ctl = new AbortController();
  const events: NodeEventJson[] = [];
  const subs = api.node.events.subscriberCount;
  let finished = false;
  const done = (async () => {
    for await (const e of client.subscribe({ ...opts, signal: ctl.signal })) {
      events.push(e);
      if (until(events)) break;
    }
    finished = true;
  })();
  await waitFor('subscribed', () => finished || api.node.events.subscriberCount > subs, 10_000);
  await act();
  const timer = setTimeout(() => ctl.abort(), 20_000);
  await done;
  clearTimeout(timer);
  // leaving the loop closed the connection: the server notices and unsubscribes
  await waitFor('unsubscribed', () => api.node.events.subscriberCount === subs, 10_000);
  return events;
}

describe('GET /v1/events', () => {
  it('streams a head event per new head, with the connected blocks and their transactions', async () => {
    const tx = b.transfer(keys.vpp1, keys.vpp2, 7n, 0n);
    const b1 = b.next(b.genesisId, { txs: [tx] });
    const [b2] = b.extend(b.idOf(b1), 1);
    const events = await collect(
      {},
      async () => {
        await api.node.chain.processBlock(b1);
        await api.node.chain.processBlock(b2!);
      },
      (es) => es.length >= 2,
    );
    expect(events.map((e) => e.kind)).toEqual(['head', 'head']);
    const [e1, e2] = events as Extract<NodeEventJson, { kind: 'head' }>[];
    expect(e1!.data).toMatchObject({
      height: 1,
      hash: b.idOf(b1),
      parentHash: b.genesisId,
      connected: [{ height: 1, hash: b.idOf(b1), txs: [tx.id] }],
    });
    expect(e2!.data.height).toBe(2);
    expect(e2!.id).toBe(e1!.id + 1);
  });

  it('streams a reorg (depth, fork point, both branches) before the new head; kinds filter', async () => {
    const tipId = api.node.chain.tip.id; // height 2 on the branch above
    const h1 = (await api.node.chain.getMainNode(1))!.id;
    expect(tipId).not.toBe(h1);
    const f2 = b.next(h1, { timestamp: b.get(h1).block.header.timestamp + 7 });
    const fork = [f2, ...b.extend(b.idOf(f2), 2)]; // heights 2..4 on another branch: more work
    const all = await collect(
      {},
      async () => {
        for (const blk of fork) await api.node.chain.processBlock(blk).catch(() => undefined);
      },
      (es) => es.some((e) => e.kind === 'head' && (e.data as { height: number }).height === 4),
    );
    const reorgAt = all.findIndex((e) => e.kind === 'reorg');
    expect(reorgAt).toBeGreaterThanOrEqual(0);
    const reorg = all[reorgAt] as Extract<NodeEventJson, { kind: 'reorg' }>;
    expect(reorg.data).toMatchObject({ depth: 1, forkHeight: 1, oldHead: { height: 2, hash: tipId } });
    expect(reorg.data.disconnected.map((x) => x.hash)).toEqual([tipId]);
    expect(all[reorgAt + 1]!.kind).toBe('head');
    // the metrics saw it too
    const m = (await api.app.inject({ url: '/metrics' })).body;
    expect(m).toMatch(/^vpp_reorgs_total 1$/m);
    expect(m).toMatch(/^vpp_reorg_depth_bucket\{le="1"\} 1$/m);

    // only reorgs: the next head event is filtered out, a replay from the start shows just the reorg
    const onlyReorgs = await collect(
      { kinds: ['reorg'], lastEventId: 0 },
      async () => undefined,
      (es) => es.length >= 1,
    );
    expect(onlyReorgs.map((e) => e.kind)).toEqual(['reorg']);
  });

  it('replays missed events after Last-Event-ID', async () => {
    const last = api.node.events.lastId;
    const events = await collect(
      { lastEventId: last - 2 },
      async () => undefined,
      (es) => es.length >= 2,
    );
    expect(events.map((e) => e.id)).toEqual([last - 1, last]);
  });

  it('sends heartbeat comments and cleans up when the client goes away', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${api.url}/v1/events`, { signal: ctl.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const dec = new TextDecoder();
    while ((text.match(/: ping/g) ?? []).length < 2) text += dec.decode((await reader.read()).value);
    const gauge = async () =>
      /^vpp_sse_clients (\d+)$/m.exec((await api.app.inject({ url: '/metrics' })).body)![1];
    expect(await gauge()).toBe('1');
    ctl.abort();
    await waitFor('stream closed on the server', async () => (await gauge()) === '0', 10_000);
    expect(api.node.events.subscriberCount).toBe(0);
  });

  it('400 BAD_REQUEST for unknown kinds or a malformed Last-Event-ID; 503 past the stream limit', async () => {
    const r = await api.app.inject({ url: '/v1/events?kinds=head,auction' });
    expect(r.statusCode).toBe(400);
    expect(errorOf(r.body).message).toContain("unknown event kind 'auction'");
    const h = await api.app.inject({ url: '/v1/events', headers: { 'last-event-id': 'yesterday' } });
    expect(h.statusCode).toBe(400);
    expect(errorOf(h.body).code).toBe('BAD_REQUEST');
    const small = await startApiNode(params, { api: { sseMaxClients: 1 } });
    const ctl = new AbortController();
    try {
      const first = await fetch(`${small.url}/v1/events`, { signal: ctl.signal });
      expect(first.status).toBe(200);
      const second = await fetch(`${small.url}/v1/events`);
      expect(second.status).toBe(503);
      expect(errorOf(await second.text()).code).toBe('UNAVAILABLE');
    } finally {
      ctl.abort();
      await small.close(); // closes open streams (would hang otherwise)
    }
  });
});

describe('EventBus and the SSE parser', () => {
  it('numbers events, isolates failing subscribers and replays from a bounded buffer', () => {
    const bus = new EventBus(3);
    const seen: number[] = [];
    bus.subscribe(() => {
      throw new Error('bad subscriber');
    });
    const off = bus.subscribe((e) => seen.push(e.id));
    const head = { height: 1, hash: 'h', parentHash: 'p', timestamp: 0, totalWork: '1', connected: [] };
    for (let i = 0; i < 5; i++) bus.publish('head', head);
    off();
    bus.publish('head', head);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(bus.since(4)!.map((e) => e.id)).toEqual([5, 6]);
    expect(bus.since(6)).toEqual([]);
    expect(bus.since(1)).toBeUndefined(); // 2 and 3 were dropped
  });

  it('parses events split across chunks, multi-line data, comments and CRLF', async () => {
    const text = ': hi\r\nid: 1\r\nevent: head\r\ndata: {"a":\r\ndata: 1}\r\n\r\nretry: 5\n\ndata: x\n\n';
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 3) c.enqueue(bytes.slice(i, i + 3));
        c.close();
      },
    });
    const out = [];
    for await (const m of parseSse(stream)) out.push(m);
    expect(out).toEqual([
      { id: '1', event: 'head', data: '{"a":\n1}' },
      { id: '1', event: 'message', data: 'x' },
    ]);
  });
});
