// Request-response over libp2p streams: the requester writes one length-prefixed request; the responder
// answers with a u16 count message and then that many length-prefixed items. Sizes and counts are
// bounded on both sides, and every request has a deadline.
import {
  AbortError,
  ConnectionClosedError,
  ConnectionClosingError,
  type Libp2p,
  MuxerClosedError,
  type PeerId,
  type Stream,
  StreamAbortedError,
  StreamResetError,
  StreamStateError,
} from '@libp2p/interface';
import { lpStream, StreamClosedError, UnexpectedEOFError } from '@libp2p/utils';
import { DecodeError, Reader, Writer } from '../protocol/bytes.ts';
import { MAX_REQUEST_BYTES, REQUEST_TIMEOUT_MS } from './protocol.ts';
import { threadStalls } from './stall.ts';

export class ResponseError extends Error {
  override name = 'ResponseError';
  /**
   * 'invalid': the peer sent something malformed or oversize; 'timeout'/'failed': it did not answer;
   * 'unsupported': it does not speak the protocol (a node of another chain: the names carry the genesis).
   */
  readonly kind: 'invalid' | 'timeout' | 'failed' | 'unsupported';
  constructor(kind: ResponseError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface RequestLimits {
  maxItems: number;
  maxItemBytes: number;
}

// Since libp2p 2 its errors are told apart by `name` (one per class, js-libp2p#2655), not by message.
const CONNECTION_GONE = new Set(
  [
    ConnectionClosedError,
    ConnectionClosingError,
    MuxerClosedError,
    StreamResetError,
    StreamAbortedError,
    StreamStateError,
    StreamClosedError,
    UnexpectedEOFError,
    AbortError,
  ].map((c) => c.name),
);
// The same from Node's sockets and streams, by their error codes.
const SOCKET_GONE = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Whether a failure only means the connection or stream went away (the peer left, or we are stopping):
 * nobody's offence, and nothing to report.
 */
export function isConnectionGone(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return CONNECTION_GONE.has(err.name) || SOCKET_GONE.has((err as NodeJS.ErrnoException).code ?? '');
}

function classify(err: unknown): ResponseError {
  const e = err as Error;
  if (e instanceof ResponseError) return e;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new ResponseError('timeout', e.message);
  if (e.name === 'UnsupportedProtocolError') return new ResponseError('unsupported', e.message);
  if (e instanceof DecodeError || /Length|length|InvalidMessage/.test(e.name))
    return new ResponseError('invalid', `${e.name}: ${e.message}`);
  return new ResponseError('failed', `${e.name}: ${e.message}`);
}

/** Our event loop stood still at least this long during a request: its timeout is not the peer's. */
export const STALL_EXCUSE_MS = REQUEST_TIMEOUT_MS / 4;

/**
 * A timeout during which this thread's event loop stood still for `stalledMs` (stall.ts): past
 * STALL_EXCUSE_MS it is a failure of ours ('failed', never penalised), not the peer's timeout.
 */
export function excuseOwnStall(err: ResponseError, stalledMs: number): ResponseError {
  if (err.kind !== 'timeout' || stalledMs < STALL_EXCUSE_MS) return err;
  return new ResponseError(
    'failed',
    `${err.message}; this node's event loop stood still for ${(stalledMs / 1000).toFixed(1)} s meanwhile: not the peer's timeout`,
  );
}

export async function request(
  libp2p: Libp2p,
  peer: PeerId,
  protocol: string,
  body: Uint8Array,
  limits: RequestLimits,
): Promise<Uint8Array[]> {
  threadStalls.start();
  const startedAt = threadStalls.clock;
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let stream: Stream | undefined;
  try {
    stream = await libp2p.dialProtocol(peer, protocol, { signal });
    const lp = lpStream(stream, { maxDataLength: limits.maxItemBytes });
    await lp.write(body, { signal });
    const head = new Reader((await lp.read({ signal })).subarray());
    const count = head.u16('response count');
    head.end('response count');
    if (count > limits.maxItems)
      throw new ResponseError(
        'invalid',
        `response announces ${count} items, at most ${limits.maxItems} allowed`,
      );
    const items: Uint8Array[] = [];
    for (let i = 0; i < count; i++) items.push((await lp.read({ signal })).subarray());
    await stream.close({ signal }).catch(() => undefined);
    return items;
  } catch (err) {
    stream?.abort(err as Error);
    throw excuseOwnStall(classify(err), threadStalls.stalledSince(startedAt));
  }
}

/** Serves one request: `answer` gets the decoded request bytes and returns the items to send. */
export async function respond(
  stream: Stream,
  answer: (req: Uint8Array) => Promise<Uint8Array[]>,
): Promise<void> {
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  // The limit applies to what is read: requests are small.
  const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES });
  const req = (await lp.read({ signal })).subarray();
  const items = await answer(req);
  // One send for the count and every item (the same length-prefixed bytes as one write each): the muxer
  // and the encryption then work on a few large frames instead of one per item, on both sides.
  await lp.writeV([new Writer().u16(items.length).finish(), ...items], { signal });
  await stream.close({ signal });
}
