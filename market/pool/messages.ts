// The weak market's messages between the VPP's coordinator and its prosumer parties, and their byte
// layouts (docs/market.md, "Protocol"). The same bytes travel in every deployment: a function call in
// one process, a worker thread, or a libp2p stream (market-net/). Every message starts with the protocol
// version and its kind; every reply names the session and round it answers. Decoding checks every length
// and limit and refuses non-finite numbers, so a bad message is a DecodeError, never a crash.
import { DecodeError, Reader, Writer } from '../wire.ts';

export const PROTOCOL_VERSION = 1;
export const MAX_PERIODS = 1440;
export const MAX_NEIGHBOURS = 1024;
/** REVEAL asks for at most this many masks at once (the coordinator splits longer lists). */
export const MAX_REVEAL_TARGETS = 64;
export const MAX_REASON_BYTES = 256;
export const MAX_ID_BYTES = 64;
/** Words in a reply vector: the largest layout is the final report's 11·T + 6. */
export const MAX_WORDS = 11 * MAX_PERIODS + 16;
export const SESSION_ID_LENGTH = 8;
export const CHALLENGE_LENGTH = 32;

export const Kind = {
  hello: 1,
  setup: 2,
  round: 3,
  reveal: 4,
  finish: 5,
  bound: 6,
  totals: 7,
  helloReply: 129,
  ready: 130,
  masked: 131,
  masks: 132,
  refuse: 133,
  done: 134,
} as const;

export const Method = { admm: 0, subgradient: 1 } as const;

/** Why a party refuses a request (REFUSE): its own typed verdict. */
export const RefuseCode = {
  /** The request broke the protocol (bad session, round, neighbour, dimensions). */
  badRequest: 1,
  /** The party's own data or solver failed (no solution, or values it will not send). */
  cannotSolve: 2,
  /** Asked to reveal something the protocol never reveals (e.g. a mask of a live round twice). */
  notAllowed: 3,
} as const;

export interface Hello {
  kind: typeof Kind.hello;
  challenge: Uint8Array;
}

export interface Setup {
  kind: typeof Kind.setup;
  session: Uint8Array;
  index: number;
  parties: number;
  periods: number;
  periodMinutes: number;
  method: number;
  retail: Float64Array;
  feedIn: Float64Array;
  neighbours: { index: number; maskKey: Uint8Array }[];
}

export interface Round {
  kind: typeof Kind.round;
  session: Uint8Array;
  round: number;
  iteration: number;
  /** bit 0: keep running averages of the schedule (sub-gradient method's primal recovery). */
  flags: number;
  rho: number;
  prices: Float64Array;
  meanTrade: Float64Array;
  /** Neighbours out of the session from this round on: masks with them stop. */
  excluded: number[];
}

export interface Reveal {
  kind: typeof Kind.reveal;
  session: Uint8Array;
  round: number;
  targets: number[];
}

/** The certificate round: each party's Lagrangian lower bound at these prices (market/bound.ts). */
export interface Bound {
  kind: typeof Kind.bound;
  session: Uint8Array;
  round: number;
  prices: Float64Array;
  /** Neighbours out of the session from this round on (as in ROUND). */
  excluded: number[];
}

/** The round before FINISH: each party's final schedule's sales and purchases per period (secure sums). */
export interface Totals {
  kind: typeof Kind.totals;
  session: Uint8Array;
  round: number;
  /** Neighbours out of the session from this round on (as in ROUND). */
  excluded: number[];
}

export interface Finish {
  kind: typeof Kind.finish;
  session: Uint8Array;
  round: number;
  /** bit 0: research mode, reveal the schedule; bit 1: the party is out of the market (trades with the grid). */
  flags: number;
  iterations: number;
  converged: boolean;
  prices: Float64Array;
  /** The pool's total sales and purchases per period, kWh (the TOTALS round's sums): the bills' rule. */
  sold: Float64Array;
  bought: Float64Array;
  excluded: number[];
}

export interface HelloReply {
  kind: typeof Kind.helloReply;
  id: string;
  periods: number;
  identity: Uint8Array;
  maskKey: Uint8Array;
  signature: Uint8Array;
}

export interface Ready {
  kind: typeof Kind.ready;
  session: Uint8Array;
}

/** A revealed schedule (research mode only): the party's own figures, kWh per period. */
export interface RevealedReport {
  ownCost: number;
  p2pPayment: number;
  schedule: Record<(typeof SCHEDULE_FIELDS)[number], Float64Array>;
}

export interface Masked {
  kind: typeof Kind.masked;
  session: Uint8Array;
  round: number;
  /** The masked vector, 8 bytes a word, little-endian. */
  words: Uint8Array;
  report?: RevealedReport;
}

export interface Masks {
  kind: typeof Kind.masks;
  session: Uint8Array;
  round: number;
  masks: { index: number; words: Uint8Array }[];
}

export interface Refuse {
  kind: typeof Kind.refuse;
  session: Uint8Array;
  round: number;
  code: number;
  reason: string;
}

export interface Done {
  kind: typeof Kind.done;
  session: Uint8Array;
}

export type Request = Hello | Setup | Round | Reveal | Finish | Bound | Totals;
export type Reply = HelloReply | Ready | Masked | Masks | Refuse | Done;

/** Schedule fields in wire order (market/model.ts Schedule). */
export const SCHEDULE_FIELDS = [
  'load',
  'pvUsed',
  'pvCurtailed',
  'generator',
  'charge',
  'discharge',
  'soc',
  'flexible',
  'gridBuy',
  'gridSell',
  'p2pNet',
] as const;

const header = (kind: number, size = 256) => new Writer(size).u8(PROTOCOL_VERSION).u8(kind);

export function encodeRequest(m: Request): Uint8Array {
  const w = header(m.kind, 'prices' in m ? 64 + 24 * m.prices.length : 256);
  switch (m.kind) {
    case Kind.hello:
      return w.raw(m.challenge).finish();
    case Kind.setup:
      w.raw(m.session).u32(m.index).u32(m.parties).u16(m.periods).u16(m.periodMinutes).u8(m.method);
      w.f64s(m.retail).f64s(m.feedIn).u16(m.neighbours.length);
      for (const n of m.neighbours) w.u32(n.index).raw(n.maskKey);
      return w.finish();
    case Kind.round:
      w.raw(m.session).u32(m.round).u32(m.iteration).u8(m.flags).f64(m.rho);
      return w.f64s(m.prices).f64s(m.meanTrade).u32s(m.excluded).finish();
    case Kind.reveal:
      return w.raw(m.session).u32(m.round).u32s(m.targets).finish();
    case Kind.bound:
      return w.raw(m.session).u32(m.round).f64s(m.prices).u32s(m.excluded).finish();
    case Kind.totals:
      return w.raw(m.session).u32(m.round).u32s(m.excluded).finish();
    case Kind.finish:
      w.raw(m.session)
        .u32(m.round)
        .u8(m.flags)
        .u32(m.iterations)
        .u8(m.converged ? 1 : 0);
      return w.f64s(m.prices).f64s(m.sold).f64s(m.bought).u32s(m.excluded).finish();
  }
}

export function encodeReply(m: Reply): Uint8Array {
  const w = header(m.kind, m.kind === Kind.masked ? 32 + m.words.length : 256);
  switch (m.kind) {
    case Kind.helloReply:
      return w.string(m.id).u16(m.periods).raw(m.identity).raw(m.maskKey).raw(m.signature).finish();
    case Kind.ready:
    case Kind.done:
      return w.raw(m.session).finish();
    case Kind.masked:
      w.raw(m.session)
        .u32(m.round)
        .u32(m.words.length / 8)
        .raw(m.words);
      if (m.report) {
        w.u8(1).f64(m.report.ownCost).f64(m.report.p2pPayment);
        for (const f of SCHEDULE_FIELDS) w.f64s(m.report.schedule[f]);
      } else w.u8(0);
      return w.finish();
    case Kind.masks:
      w.raw(m.session).u32(m.round).u16(m.masks.length);
      for (const x of m.masks)
        w.u32(x.index)
          .u32(x.words.length / 8)
          .raw(x.words);
      return w.finish();
    case Kind.refuse:
      return w.raw(m.session).u32(m.round).u8(m.code).string(m.reason.slice(0, 200)).finish();
  }
}

function start(bytes: Uint8Array, what: string): [Reader, number] {
  const r = new Reader(bytes);
  const version = r.u8(`${what} version`);
  if (version !== PROTOCOL_VERSION)
    throw new DecodeError(
      'INVALID',
      `${what}: protocol version ${version}, this side speaks ${PROTOCOL_VERSION}`,
    );
  return [r, r.u8(`${what} kind`)];
}

function periodsOf(r: Reader, what: string): number {
  const periods = r.u16(what);
  if (periods < 1 || periods > MAX_PERIODS)
    throw new DecodeError('LIMIT', `${what}: ${periods} periods, 1..${MAX_PERIODS} allowed`);
  return periods;
}

/** Decodes a coordinator's request. `periods` is the session's, once known (dimensions are checked). */
export function decodeRequest(bytes: Uint8Array, periods?: number): Request {
  const [r, kind] = start(bytes, 'request');
  const T = () => {
    if (periods === undefined) throw new DecodeError('INVALID', 'request before the session was set up');
    return periods;
  };
  let m: Request;
  switch (kind) {
    case Kind.hello:
      m = { kind, challenge: r.raw(CHALLENGE_LENGTH, 'challenge') };
      break;
    case Kind.setup: {
      const session = r.raw(SESSION_ID_LENGTH, 'session');
      const index = r.u32('index');
      const parties = r.u32('parties');
      const n = periodsOf(r, 'setup periods');
      const periodMinutes = r.u16('period minutes');
      const method = r.u8('method');
      if (method !== Method.admm && method !== Method.subgradient)
        throw new DecodeError('INVALID', `unknown clearing method ${method}`);
      const retail = r.f64s(n, 'retail tariff');
      const feedIn = r.f64s(n, 'feed-in tariff');
      const count = r.u16('neighbour count');
      if (count > MAX_NEIGHBOURS)
        throw new DecodeError('LIMIT', `${count} neighbours, at most ${MAX_NEIGHBOURS}`);
      const neighbours = Array.from({ length: count }, () => ({
        index: r.u32('neighbour index'),
        maskKey: r.raw(32, 'neighbour mask key'),
      }));
      if (index >= parties || neighbours.some((x) => x.index >= parties || x.index === index))
        throw new DecodeError('INVALID', 'setup: a party index is out of range');
      m = { kind, session, index, parties, periods: n, periodMinutes, method, retail, feedIn, neighbours };
      break;
    }
    case Kind.round: {
      const session = r.raw(SESSION_ID_LENGTH, 'session');
      const round = r.u32('round');
      const iteration = r.u32('iteration');
      const flags = r.u8('flags');
      const rho = r.finite('rho');
      if (rho < 0) throw new DecodeError('INVALID', `rho must not be negative (${rho})`);
      const prices = r.f64s(T(), 'prices');
      const meanTrade = r.f64s(T(), 'mean trade');
      m = {
        kind,
        session,
        round,
        iteration,
        flags,
        rho,
        prices,
        meanTrade,
        excluded: r.u32s(MAX_NEIGHBOURS, 'excluded'),
      };
      break;
    }
    case Kind.reveal:
      m = {
        kind,
        session: r.raw(SESSION_ID_LENGTH, 'session'),
        round: r.u32('round'),
        targets: r.u32s(MAX_REVEAL_TARGETS, 'reveal targets'),
      };
      break;
    case Kind.bound:
      m = {
        kind,
        session: r.raw(SESSION_ID_LENGTH, 'session'),
        round: r.u32('round'),
        prices: r.f64s(T(), 'prices'),
        excluded: r.u32s(MAX_NEIGHBOURS, 'excluded'),
      };
      break;
    case Kind.totals:
      m = {
        kind,
        session: r.raw(SESSION_ID_LENGTH, 'session'),
        round: r.u32('round'),
        excluded: r.u32s(MAX_NEIGHBOURS, 'excluded'),
      };
      break;
    case Kind.finish: {
      const session = r.raw(SESSION_ID_LENGTH, 'session');
      const round = r.u32('round');
      const flags = r.u8('flags');
      const iterations = r.u32('iterations');
      const converged = r.u8('converged') === 1;
      const prices = r.f64s(T(), 'prices');
      const sold = r.f64s(T(), 'total sold');
      const bought = r.f64s(T(), 'total bought');
      for (let t = 0; t < sold.length; t++)
        if (sold[t]! < 0 || bought[t]! < 0)
          throw new DecodeError('INVALID', `finish: negative pool total in period ${t}`);
      m = {
        kind,
        session,
        round,
        flags,
        iterations,
        converged,
        prices,
        sold,
        bought,
        excluded: r.u32s(MAX_NEIGHBOURS, 'excluded'),
      };
      break;
    }
    default:
      throw new DecodeError('INVALID', `unknown request kind ${kind}`);
  }
  r.end('request');
  return m;
}

/**
 * Decodes a party's reply. `words` is the length of the masked vector the coordinator expects for this
 * round (dimensions are part of the protocol: any other length is a bad reply), `periods` the session's.
 */
export function decodeReply(bytes: Uint8Array, expect: { words?: number; periods?: number } = {}): Reply {
  const [r, kind] = start(bytes, 'reply');
  let m: Reply;
  const wordsOf = (count: number, what: string) => {
    if (expect.words === undefined || count !== expect.words)
      throw new DecodeError('INVALID', `${what} has ${count} words, expected ${expect.words ?? 'none'}`);
    return r.raw(8 * count, what);
  };
  switch (kind) {
    case Kind.helloReply: {
      const id = r.string(MAX_ID_BYTES, 'id');
      if (id.length === 0) throw new DecodeError('INVALID', 'empty prosumer id');
      m = {
        kind,
        id,
        periods: periodsOf(r, 'hello periods'),
        identity: r.raw(33, 'identity key'),
        maskKey: r.raw(32, 'mask key'),
        signature: r.raw(64, 'signature'),
      };
      break;
    }
    case Kind.ready:
    case Kind.done:
      m = { kind, session: r.raw(SESSION_ID_LENGTH, 'session') };
      break;
    case Kind.masked: {
      const session = r.raw(SESSION_ID_LENGTH, 'session');
      const round = r.u32('round');
      const words = wordsOf(r.u32('word count'), 'masked vector');
      const masked: Masked = { kind, session, round, words };
      if (r.u8('report flag') === 1) {
        if (expect.periods === undefined) throw new DecodeError('INVALID', 'a report outside a session');
        const ownCost = r.finite('own cost');
        const p2pPayment = r.finite('p2p payment');
        const schedule = {} as RevealedReport['schedule'];
        for (const f of SCHEDULE_FIELDS) schedule[f] = r.f64s(expect.periods, f);
        masked.report = { ownCost, p2pPayment, schedule };
      }
      m = masked;
      break;
    }
    case Kind.masks: {
      const session = r.raw(SESSION_ID_LENGTH, 'session');
      const round = r.u32('round');
      const count = r.u16('mask count');
      if (count > MAX_REVEAL_TARGETS)
        throw new DecodeError('LIMIT', `${count} masks, at most ${MAX_REVEAL_TARGETS}`);
      const masks = Array.from({ length: count }, () => {
        const index = r.u32('mask index');
        return { index, words: wordsOf(r.u32('mask word count'), 'mask') };
      });
      m = { kind, session, round, masks };
      break;
    }
    case Kind.refuse:
      m = {
        kind,
        session: r.raw(SESSION_ID_LENGTH, 'session'),
        round: r.u32('round'),
        code: r.u8('code'),
        reason: r.string(MAX_REASON_BYTES, 'reason'),
      };
      break;
    default:
      throw new DecodeError('INVALID', `unknown reply kind ${kind}`);
  }
  r.end('reply');
  return m;
}

export const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
