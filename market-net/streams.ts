// One request, one response over a libp2p stream: length-prefixed frames with size limits on what is
// read and a deadline on the whole exchange (the pattern of p2p/reqresp.ts, for the market's protocols).
import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';

export class ExchangeError extends Error {
  override name = 'ExchangeError';
  /** 'timeout': no answer by the deadline; 'invalid': an oversize or malformed frame; 'failed': gone. */
  readonly kind: 'timeout' | 'invalid' | 'failed';
  constructor(kind: 'timeout' | 'invalid' | 'failed', message: string) {
    super(message);
    this.kind = kind;
  }
}

function classify(err: unknown): ExchangeError {
  const e = err as Error;
  if (e instanceof ExchangeError) return e;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new ExchangeError('timeout', e.message);
  if (/Length|length|InvalidMessage|InvalidData/.test(e.name))
    return new ExchangeError('invalid', `${e.name}: ${e.message}`);
  return new ExchangeError('failed', `${e.name}: ${e.message}`);
}

/** Sends `body` on a new stream of `protocol` and reads one response frame of at most `maxBytes`. */
export async function exchange(
  libp2p: Libp2p,
  peer: PeerId,
  protocol: string,
  body: Uint8Array,
  maxBytes: number,
  deadlineMs: number,
): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(deadlineMs);
  let stream: Stream | undefined;
  try {
    stream = await libp2p.dialProtocol(peer, protocol, { signal });
    const lp = lpStream(stream, { maxDataLength: maxBytes });
    await lp.write(body, { signal });
    const reply = (await lp.read({ signal })).subarray();
    await stream.close({ signal }).catch(() => undefined);
    return reply;
  } catch (err) {
    stream?.abort(err as Error);
    throw classify(err);
  }
}

/** Serves one exchange on an inbound stream: reads a frame of at most `maxBytes`, writes the answer. */
export async function serve(
  stream: Stream,
  maxBytes: number,
  deadlineMs: number,
  answer: (request: Uint8Array) => Promise<Uint8Array>,
): Promise<void> {
  const signal = AbortSignal.timeout(deadlineMs);
  try {
    const lp = lpStream(stream, { maxDataLength: maxBytes });
    const request = (await lp.read({ signal })).subarray();
    await lp.write(await answer(request), { signal });
    await stream.close({ signal });
  } catch (err) {
    stream.abort(err as Error);
    throw classify(err);
  }
}

/**
 * One long-lived stream for a sequence of request-response exchanges with one peer (the coordinator's
 * rounds with a prosumer host): no stream set-up and protocol negotiation per round. Exchanges must not
 * overlap. Any failure or missed deadline aborts the stream (a late answer is never read); the next
 * exchange opens a new one.
 */
export class Channel {
  private readonly libp2p: Libp2p;
  private readonly peer: PeerId;
  private readonly protocol: string;
  private readonly maxBytes: number;
  private open: { stream: Stream; lp: ReturnType<typeof lpStream> } | undefined;

  constructor(libp2p: Libp2p, peer: PeerId, protocol: string, maxBytes: number) {
    this.libp2p = libp2p;
    this.peer = peer;
    this.protocol = protocol;
    this.maxBytes = maxBytes;
  }

  async request(body: Uint8Array, deadlineMs: number): Promise<Uint8Array> {
    const signal = AbortSignal.timeout(deadlineMs);
    try {
      if (!this.open) {
        const stream = await this.libp2p.dialProtocol(this.peer, this.protocol, { signal });
        this.open = { stream, lp: lpStream(stream, { maxDataLength: this.maxBytes }) };
      }
      await this.open.lp.write(body, { signal });
      return (await this.open.lp.read({ signal })).subarray();
    } catch (err) {
      this.close(err as Error);
      throw classify(err);
    }
  }

  close(reason?: Error): void {
    this.open?.stream.abort(reason ?? new Error('channel closed'));
    this.open = undefined;
  }
}

/**
 * Serves a Channel's exchanges on an inbound stream until it ends: each request frame (at most
 * `maxBytes`) gets one answer frame. Waiting for the next request has no deadline (rounds come when
 * the market is ready); writing an answer must finish within `deadlineMs`.
 */
export async function serveChannel(
  stream: Stream,
  maxBytes: number,
  deadlineMs: number,
  answer: (request: Uint8Array) => Uint8Array,
  after?: () => void,
): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: maxBytes });
  try {
    for (;;) {
      const request = (await lp.read()).subarray();
      try {
        await lp.write(answer(request), { signal: AbortSignal.timeout(deadlineMs) });
      } finally {
        after?.();
      }
    }
  } catch (err) {
    stream.abort(err as Error);
    const e = classify(err);
    // The coordinator closing the channel at the end of a session is the normal way out.
    if (e.kind !== 'failed' || !/closed|reset|EOF|abort/i.test(e.message)) throw e;
  }
}
