// How the coordinator reaches its parties. A transport delivers requests (bytes, by party index) and
// brings back each party's reply or the reason there is none, by a deadline. Implementations: in one
// process and in worker threads (hosts.ts, simulation), and over libp2p (market-net/). Parties that share
// a host (a worker, a `vppchain prosumer` process hosting several prosumers) get one batch per round:
// the batch codec below, which sends a request shared by many parties once. Nothing here knows a
// prosumer's model: a party is anything that turns request bytes into reply bytes.
import { DecodeError, Reader, Writer } from '../wire.ts';

/** The party side as a transport sees it (pool/party.ts ProsumerParty). */
export interface PartyEndpoint {
  handle(request: Uint8Array): Uint8Array;
}

export type PartyAnswer =
  | { ok: true; bytes: Uint8Array }
  /** 'timeout': no answer by the deadline; 'failed': the party or its host went away; 'invalid': bad bytes. */
  | { ok: false; failure: 'timeout' | 'failed' | 'invalid'; detail: string };

export interface PartyTransport {
  /** Parties are indexed 0..size-1 (the roster's order). */
  readonly size: number;
  /**
   * Sends each request and resolves, by the deadline, with an answer for every party asked. The same
   * Uint8Array object may be the request of many parties (a broadcast): hosts receive it once.
   */
  exchange(requests: Map<number, Uint8Array>, deadlineMs: number): Promise<Map<number, PartyAnswer>>;
  /** A party broke the protocol: the transport may penalise, disconnect or ban its host. */
  penalise(party: number, reason: string): void;
  close(): Promise<void>;
}

/** Limits of a batch frame (per host and round). */
export const MAX_BATCH_PARTIES = 65_535;
export const MAX_PARTY_MESSAGE_BYTES = 1 << 20;
export const MAX_BATCH_BYTES = 256 << 20;

/** One host's share of a round: distinct request bodies, then (party, body) pairs. */
export function encodeBatch(requests: [number, Uint8Array][]): Uint8Array {
  const bodies: Uint8Array[] = [];
  const index = new Map<Uint8Array, number>();
  const pairs: [number, number][] = [];
  for (const [party, body] of requests) {
    let b = index.get(body);
    if (b === undefined) {
      b = bodies.length;
      index.set(body, b);
      bodies.push(body);
    }
    pairs.push([party, b]);
  }
  const w = new Writer().u32(bodies.length);
  for (const b of bodies) w.u32(b.length).raw(b);
  w.u32(pairs.length);
  for (const [party, b] of pairs) w.u32(party).u32(b);
  return w.finish();
}

export function decodeBatch(bytes: Uint8Array): [number, Uint8Array][] {
  if (bytes.length > MAX_BATCH_BYTES) throw new DecodeError('LIMIT', `batch of ${bytes.length} bytes`);
  const r = new Reader(bytes);
  const count = r.u32('batch bodies');
  if (count > MAX_BATCH_PARTIES) throw new DecodeError('LIMIT', `batch of ${count} bodies`);
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.u32('body length');
    if (length > MAX_PARTY_MESSAGE_BYTES) throw new DecodeError('LIMIT', `message of ${length} bytes`);
    bodies.push(r.raw(length, 'body'));
  }
  const pairs = r.u32('batch parties');
  if (pairs > MAX_BATCH_PARTIES) throw new DecodeError('LIMIT', `batch of ${pairs} parties`);
  const out: [number, Uint8Array][] = [];
  for (let i = 0; i < pairs; i++) {
    const party = r.u32('party');
    const b = r.u32('body index');
    if (b >= bodies.length) throw new DecodeError('INVALID', `body ${b} of ${bodies.length}`);
    out.push([party, bodies[b]!]);
  }
  r.end('batch');
  return out;
}

/** A host's answers: per party, its reply bytes or a failure reason. */
export function encodeBatchReply(replies: [number, Uint8Array | string][]): Uint8Array {
  const w = new Writer().u32(replies.length);
  for (const [party, reply] of replies) {
    w.u32(party);
    if (typeof reply === 'string') w.u8(1).string(reply.slice(0, 200));
    else w.u8(0).u32(reply.length).raw(reply);
  }
  return w.finish();
}

export function decodeBatchReply(bytes: Uint8Array): [number, Uint8Array | string][] {
  if (bytes.length > MAX_BATCH_BYTES) throw new DecodeError('LIMIT', `batch reply of ${bytes.length} bytes`);
  const r = new Reader(bytes);
  const count = r.u32('reply count');
  if (count > MAX_BATCH_PARTIES) throw new DecodeError('LIMIT', `batch reply of ${count} parties`);
  const out: [number, Uint8Array | string][] = [];
  for (let i = 0; i < count; i++) {
    const party = r.u32('party');
    if (r.u8('status') === 1) out.push([party, r.string(1024, 'failure')]);
    else {
      const length = r.u32('reply length');
      if (length > MAX_PARTY_MESSAGE_BYTES) throw new DecodeError('LIMIT', `reply of ${length} bytes`);
      out.push([party, r.raw(length, 'reply')]);
    }
  }
  r.end('batch reply');
  return out;
}

/**
 * Serves a batch on a host: every listed party that the host holds answers (parties are independent,
 * so one party's failure is its own). `parties` maps the coordinator's index to the party.
 */
export function serveBatch(bytes: Uint8Array, parties: Map<number, PartyEndpoint>): Uint8Array {
  const out: [number, Uint8Array | string][] = [];
  for (const [index, body] of decodeBatch(bytes)) {
    const party = parties.get(index);
    out.push([index, party ? party.handle(body) : `no party ${index} on this host`]);
  }
  return encodeBatchReply(out);
}

/** All parties in this thread: a direct call per message (tests and small runs). */
export function localTransport(parties: PartyEndpoint[]): PartyTransport {
  return {
    size: parties.length,
    async exchange(requests) {
      const answers = new Map<number, PartyAnswer>();
      for (const [i, body] of requests) {
        const party = parties[i];
        answers.set(
          i,
          party
            ? { ok: true, bytes: party.handle(body) }
            : { ok: false, failure: 'failed', detail: 'no such party' },
        );
      }
      return answers;
    },
    penalise() {},
    async close() {},
  };
}
