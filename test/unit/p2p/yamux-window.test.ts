// p2p/yamux-window.ts: a yamux receiver returns credit once half its window is used, not after every data
// frame, and a sender of more than a window is never stalled by that. Real yamux muxers over an in-memory
// connection pair; what the receiving muxer writes back to the sender is counted.
import { yamux } from '@chainsafe/libp2p-yamux';
import type { MultiaddrConnection, Stream, StreamMuxer, StreamMuxerFactory } from '@libp2p/interface';
import { multiaddrConnectionPair } from '@libp2p/utils';
import { afterEach, describe, expect, it } from 'vitest';
import { halfWindowUpdates, yamuxWithHalfWindowUpdates } from '../../../p2p/yamux-window.ts';

const YAMUX_HEADER_BYTES = 12;
const INITIAL_WINDOW = 256 * 1024;

interface Link {
  sender: Stream;
  receiver: Stream;
  /** Frames the receiving muxer has written back to the sender (acknowledgements, window updates). */
  framesBack: () => number;
  close: () => Promise<void>;
}

async function link(factoryOf: () => StreamMuxerFactory): Promise<Link> {
  const [outbound, inbound] = multiaddrConnectionPair();
  let framesBack = 0;
  const countWrites = (conn: MultiaddrConnection) => {
    const send = conn.send.bind(conn);
    conn.send = (data) => {
      // Every frame back is a bare header (a window update); data frames would be longer.
      framesBack += Math.floor(data.byteLength / YAMUX_HEADER_BYTES);
      return send(data);
    };
  };
  countWrites(inbound);
  const a: StreamMuxer = factoryOf().createStreamMuxer(outbound);
  const b: StreamMuxer = factoryOf().createStreamMuxer(inbound);
  const accepted = new Promise<Stream>((resolve) => {
    b.addEventListener('stream', (e) => resolve(e.detail), { once: true });
  });
  const sender = await a.createStream();
  sender.send(new Uint8Array([0]));
  const receiver = await accepted;
  return {
    sender,
    receiver,
    framesBack: () => framesBack,
    close: async () => {
      await Promise.all([a.close(), b.close()]);
    },
  };
}

/** Reads from `stream` until `bytes` have arrived (reading on from where the last call stopped). */
async function receive(stream: Stream, bytes: number): Promise<number> {
  const reader = readerOf(stream);
  let got = 0;
  while (got < bytes) {
    const next = await reader.next();
    if (next.done) break;
    got += next.value.byteLength;
  }
  return got;
}

const readers = new WeakMap<Stream, AsyncIterator<{ byteLength: number }>>();
function readerOf(stream: Stream): AsyncIterator<{ byteLength: number }> {
  let reader = readers.get(stream);
  if (!reader) {
    reader = stream[Symbol.asyncIterator]();
    readers.set(stream, reader);
  }
  return reader;
}

const withoutKeepAlive = { enableKeepAlive: false };

describe('yamux window updates at half the window', () => {
  let open: Link | undefined;
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });

  it('a hundred small messages: one frame back (the ACK) instead of one per message', async () => {
    const messages = 100;
    const size = 100;
    for (const [factory, expected] of [
      [yamux(withoutKeepAlive), messages + 1],
      [yamuxWithHalfWindowUpdates(withoutKeepAlive), 1],
    ] as const) {
      open = await link(factory);
      expect(await receive(open.receiver, 1)).toBe(1);
      // One at a time, as gossip messages come: each is a data frame of its own.
      for (let i = 0; i < messages; i++) {
        open.sender.send(new Uint8Array(size));
        expect(await receive(open.receiver, size)).toBe(size);
      }
      expect(open.framesBack()).toBe(expected);
      await open.close();
      open = undefined;
    }
  });

  it('four windows in one go arrive whole, with an update each half window', async () => {
    open = await link(yamuxWithHalfWindowUpdates(withoutKeepAlive));
    const bytes = 4 * INITIAL_WINDOW;
    const arrived = receive(open.receiver, 1 + bytes);
    open.sender.send(new Uint8Array(bytes));
    expect(await arrived).toBe(1 + bytes);
    // The ACK, then one update per half window received (more if the window grew meanwhile, fewer if it
    // grew first): far fewer than the data frames it took.
    expect(open.framesBack()).toBeGreaterThanOrEqual(2);
    expect(open.framesBack()).toBeLessThanOrEqual(1 + bytes / (INITIAL_WINDOW / 2));
  });

  it('finds the internals it relies on, and refuses a stream without them', () => {
    expect(() => halfWindowUpdates({})).toThrow(/yamux changed/);
    const factory = yamuxWithHalfWindowUpdates(withoutKeepAlive)();
    const [outbound] = multiaddrConnectionPair();
    const muxer = factory.createStreamMuxer(outbound) as unknown as { _newStream: unknown };
    expect(typeof muxer._newStream).toBe('function');
  });
});
