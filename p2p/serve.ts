// Serving one inbound request of the request-response protocols (answers.ts) with the verdicts on the
// asker: a rate limit per peer and protocol (over it: a mid-tolerance penalty, the stream aborted), a
// malformed request costs the peer points, a failure of our own answer is reported (never the peer's
// fault), and a stream that fails or times out is only aborted (the peer may just have left).
import type { Connection, Stream } from '@libp2p/interface';
import { DecodeError } from '../protocol/bytes.ts';
import type { Answer } from './answers.ts';
import type { PeerVerdicts } from './host.ts';
import { PeerAction, type RateLimiter } from './peers.ts';
import { respond } from './reqresp.ts';

export async function serveRequest(
  verdicts: PeerVerdicts,
  limiter: RateLimiter,
  protocol: string,
  stream: Stream,
  connection: Connection,
  answer: Answer,
): Promise<void> {
  const peer = connection.remotePeer.toString();
  if (!limiter.allow(`${peer} ${protocol}`)) {
    verdicts.penalise(peer, PeerAction.MidTolerance, `rate limit on ${protocol}`);
    stream.abort(new Error('rate limited'));
    return;
  }
  let handlerFailure: unknown;
  try {
    await respond(stream, (req) =>
      answer(req, connection.remotePeer).catch((err: unknown) => {
        handlerFailure = err;
        throw err;
      }),
    );
  } catch (err) {
    if (err instanceof DecodeError)
      verdicts.penalise(peer, PeerAction.LowTolerance, `malformed request on ${protocol}: ${err.message}`);
    else if (err === handlerFailure)
      verdicts.internalError({ activity: 'serve', error: err, peer, protocol });
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  }
}
