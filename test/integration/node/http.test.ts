// The API's HTTP bounds on real sockets: what Node's HTTP parser refuses (a content type with a control
// character, a malformed request line), oversized headers, a malformed URL and an over-long parameter are
// all answered in the one error shape; a client that sends its headers or its body too slowly is answered
// 408 in that shape and disconnected; an event stream is not cut by the request timeout; a request that
// arrives while the server closes is a 503 in the shape.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiNode, errorOf, startApiNode } from '../../helpers/api-node.ts';
import { testParams } from '../../helpers/builder.ts';
import { waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;

let api: ApiNode;
let port: number;
beforeAll(async () => {
  api = await startApiNode(testParams(), {
    api: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, sseHeartbeatMs: 100 },
  });
  port = Number(new URL(api.url).port);
});
afterAll(() => api?.close());

interface RawReply {
  status: number;
  headers: string;
  body: string;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Writes `parts` on a fresh connection (each after `gapMs`) and reads until the server closes it or
 * `untilText` appears; gives up after a generous, scaled deadline.
 */
function raw(parts: string[], opts: { gapMs?: number; untilText?: string } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      socket.destroy();
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        headers: head,
        body: rest.join('\r\n\r\n'),
        closed,
      });
    };
    const deadline = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new Error(`no reply in time; received so far: ${JSON.stringify(data.slice(0, 300))}`));
    }, scaled(20_000));
    socket.on('data', (d) => {
      data += d;
      if (opts.untilText && data.includes(opts.untilText)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined); // a reset after the reply; 'close' follows
    socket.on('connect', async () => {
      for (const p of parts) {
        if (socket.destroyed) return;
        socket.write(p);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
    });
  });
}

const json = '{"hex":"00"}';

describe('HTTP bounds and error shape on real sockets', () => {
  it('a content type with a NUL (application/json\\x00…) is a 400 in the error shape, and the connection closes', async () => {
    const r = await raw([
      `POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\x00evil\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
    ]);
    expect(r.status).toBe(400);
    expect(r.headers).toMatch(/content-type: application\/json/i);
    expect(errorOf(r.body).code).toBe('BAD_REQUEST');
    expect(errorOf(r.body).message).toMatch(/malformed HTTP request/);
    expect(r.closed).toBe(true);
  });

  it('a malformed request line, oversized headers, a malformed URL and an over-long parameter: the one shape', async () => {
    const garbage = await raw(['NOT HTTP AT ALL\r\n\r\n']);
    expect([garbage.status, errorOf(garbage.body).code]).toEqual([400, 'BAD_REQUEST']);

    const big = await raw([`GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expect([big.status, errorOf(big.body).code]).toEqual([431, 'HEADERS_TOO_LARGE']);

    const url = await raw(['GET /v1/blocks/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect([url.status, errorOf(url.body).code]).toEqual([400, 'BAD_REQUEST']);
    expect(errorOf(url.body).message).toContain('not a valid url');

    const long = await raw([
      `GET /v1/blocks/${'1'.repeat(500)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ]);
    expect(long.status).toBe(414);
    expect(errorOf(long.body).code).toBe('BAD_REQUEST');

    // and an ordinary request on the same server still works
    const ok = await raw(['GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(ok.status).toBe(200);
  });

  it('headers that do not arrive in time: 408 REQUEST_TIMEOUT in the shape, connection closed', async () => {
    const r = await raw(['GET /v1/status HTTP/1.1\r\nHost: x\r\n']); // never finishes its headers
    expect(r.status).toBe(408);
    expect(errorOf(r.body).code).toBe('REQUEST_TIMEOUT');
    expect(errorOf(r.body).message).toContain(`headers within ${HEADERS_TIMEOUT_MS} ms`);
    expect(r.closed).toBe(true);
  });

  it('a body that trickles in slower than the request timeout: 408, connection closed', async () => {
    const body = JSON.stringify({ hex: '00'.repeat(200) });
    const chunks = body.match(/.{1,10}/g)!;
    const r = await raw(
      [
        `POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        ...chunks,
      ],
      { gapMs: 200 }, // 41 chunks, 200 ms apart: about 8 s for the body
    );
    expect(r.status).toBe(408);
    expect(errorOf(r.body).code).toBe('REQUEST_TIMEOUT');
    expect(r.closed).toBe(true);
  });

  it('an event stream outlives the request timeout: its request was complete', async () => {
    // Heartbeats come every 100 ms; wait for enough of them to span three request timeouts.
    const beats = Math.ceil((3 * REQUEST_TIMEOUT_MS) / 100);
    let pings = 0;
    const stream = await new Promise<{ head: string; pings: number; closed: boolean }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      const deadline = setTimeout(() => {
        socket.destroy();
        reject(new Error(`only ${pings} heartbeats arrived`));
      }, scaled(45_000));
      let head = '';
      socket.on('data', (d) => {
        if (!head) head = String(d).split('\r\n')[0]!;
        pings += String(d).split(': ping').length - 1;
        if (pings >= beats) {
          clearTimeout(deadline);
          socket.destroy();
          resolve({ head, pings, closed: false });
        }
      });
      socket.on('close', () => {
        clearTimeout(deadline);
        resolve({ head, pings, closed: true });
      });
    });
    expect(stream.head).toBe('HTTP/1.1 200 OK');
    expect(stream.closed).toBe(false);
    expect(stream.pings).toBeGreaterThanOrEqual(beats);
  });

  it('a request arriving while the server closes (behind one in flight on its connection): 503 UNAVAILABLE in the shape', async () => {
    const own = await startApiNode(testParams());
    try {
      const socket = connect(Number(new URL(own.url).port), '127.0.0.1');
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('error', () => undefined);
      const closed = new Promise((r) => socket.on('close', r));
      await new Promise((r) => socket.on('connect', r));
      // A request whose body is still on its way keeps the connection active while close() begins.
      const received = new Promise((r) => own.app.server.once('request', r));
      socket.write(
        `POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json.slice(0, 4)}`,
      );
      await received;
      const closing = own.app.close();
      await waitFor('the server to stop listening', () => !own.app.server.listening, 10_000);
      // The rest of the body, and behind it a second request, which the closing server receives.
      socket.write(`${json.slice(4)}GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n`);
      await closing;
      await closed;
      const replies = data.split(/(?=HTTP\/1\.1 )/);
      expect(replies).toHaveLength(2);
      expect(replies[0]).toMatch(/^HTTP\/1\.1 400/); // the first request, answered as usual
      expect(replies[1]).toMatch(/^HTTP\/1\.1 503/);
      expect(errorOf(replies[1]!.split('\r\n\r\n')[1]!).code).toBe('UNAVAILABLE');
    } finally {
      await own.close();
    }
  });
});
