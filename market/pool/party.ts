// A prosumer as a party of the weak market: it holds its own data and keys, answers the coordinator's
// messages (messages.ts) and sends nothing but masked vectors, the masks it is asked to reveal for a
// round in which a neighbour dropped out, and — only in research mode, only if the prosumer allows it —
// its final schedule. After the day is cleared it keeps its own schedule and bill (`outcome`).
//
// The party is transport-free: `handle` takes a request's bytes and returns the reply's bytes, and never
// throws (a bad request gets a REFUSE). The same class runs in the coordinator's process (tests), in
// worker threads (simulation) and in `vppchain prosumer` processes (market-net/).
import type { KeyObject } from 'node:crypto';
import { ProsumerAgent } from '../agent.ts';
import { type BillLines, MONEY_UNIT, poolLines } from '../bills.ts';
import type { Schedule } from '../model.ts';
import { addKeystream, keyWords } from '../secagg/chacha.ts';
import { encodeFixed, FixedPointError, type Layout, reduceWords } from '../secagg/fixed.ts';
import { type PartyKeys, pairSecret, partyKeys, signHello } from '../secagg/keys.ts';
import type { Prosumer, Tariffs } from '../types.ts';
import { DecodeError } from '../wire.ts';
import { boundLayout, finalLayout, iterationLayout, totalsLayout } from './layouts.ts';
import {
  type Bound,
  decodeRequest,
  encodeReply,
  type Finish,
  Kind,
  Method,
  RefuseCode,
  type Reply,
  type Reveal,
  type RevealedReport,
  type Round,
  SCHEDULE_FIELDS,
  type Setup,
  sameBytes,
  type Totals,
} from './messages.ts';

export interface PartyData {
  /** The prosumer's own resources (private). */
  prosumer: Prosumer;
  /** Its secp256k1 secret key and compressed public key (the roster's identity). */
  secretKey: Uint8Array;
  identity: Uint8Array;
  /** The secret as a key object, when the host already made one (saves importing it again). */
  secpKey?: KeyObject;
}

export interface PartyOptions {
  /** Honour a research-mode request to reveal the final schedule (off unless the prosumer opts in). */
  allowReveal?: boolean;
  /** Pairwise secrets by the neighbour's mask key (hex): computed once, reused every session. */
  pairCache?: Map<string, Uint8Array>;
}

/** What a prosumer keeps after a clearing: its schedule and bill, or the notice that it trades alone. */
export interface PartyOutcome {
  session: string;
  /** 'market': cleared in the pool; 'grid': left out of the market (dropped or excluded), trades alone. */
  status: 'market' | 'grid';
  iterations: number;
  converged: boolean;
  prices: number[];
  schedule: Schedule;
  ownCost: number;
  /** The bill's lines in currency (those of `bill` × 1e-9): pool payment and imbalance charge. */
  p2pPayment: number;
  imbalanceCharge: number;
  /** Own cost + P2P payment + imbalance charge: the prosumer's bill for the day. */
  cost: number;
  /** The bill in integers of 1e-9 (market/bills.ts poolLines, from the pool totals FINISH carried). */
  bill: BillLines;
  revealed: boolean;
}

interface SessionState {
  id: Uint8Array;
  index: number;
  periods: number;
  hours: number;
  method: number;
  tariffs: Tariffs;
  agent: ProsumerAgent;
  /** Neighbour index → ChaCha20 key words of the pair. */
  keys: Map<number, Uint32Array>;
  /** Neighbours still masked with (drop-outs leave; replaced, never changed, so a round can keep it). */
  active: readonly number[];
  lastRound: number;
  /** The round last answered with a masked vector: its word count and who its masks were shared with. */
  answered?: { round: number; words: number; with: readonly number[] };
  previousTrade?: Float64Array;
  lastPrices: Float64Array;
}

class Refusal extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export class ProsumerParty {
  readonly id: string;
  readonly keys: PartyKeys;
  private readonly prosumer: Prosumer;
  private readonly options: PartyOptions;
  private readonly pairCache: Map<string, Uint8Array>;
  private session: SessionState | undefined;
  private result: PartyOutcome | undefined;

  constructor(data: PartyData, options: PartyOptions = {}) {
    this.prosumer = data.prosumer;
    this.id = data.prosumer.id;
    this.keys = partyKeys(data.secretKey, data.identity, data.secpKey);
    this.options = options;
    this.pairCache = options.pairCache ?? new Map();
  }

  /** The schedule and bill of the last clearing this party finished. */
  get outcome(): PartyOutcome | undefined {
    return this.result;
  }

  /** Answers one request. Never throws: anything wrong becomes a REFUSE with a reason. */
  handle(bytes: Uint8Array): Uint8Array {
    let session: Uint8Array = new Uint8Array(8);
    let round = 0;
    try {
      const m = decodeRequest(bytes, this.session?.periods);
      if (m.kind !== Kind.hello) {
        session = m.session;
        if ('round' in m) round = m.round;
      }
      return encodeReply(this.dispatch(m));
    } catch (err) {
      const code =
        err instanceof Refusal
          ? err.code
          : err instanceof DecodeError
            ? RefuseCode.badRequest
            : RefuseCode.cannotSolve;
      return encodeReply({ kind: Kind.refuse, session, round, code, reason: (err as Error).message });
    }
  }

  private dispatch(m: ReturnType<typeof decodeRequest>): Reply {
    switch (m.kind) {
      case Kind.hello:
        return {
          kind: Kind.helloReply,
          id: this.id,
          periods: this.prosumer.loadKw.length,
          identity: this.keys.identity,
          maskKey: this.keys.maskPublic,
          signature: signHello(this.keys, m.challenge, this.id),
        };
      case Kind.setup:
        return this.setup(m);
      case Kind.round:
        return this.round(m);
      case Kind.bound:
        return this.bound(m);
      case Kind.reveal:
        return this.reveal(m);
      case Kind.totals:
        return this.totals(m);
      case Kind.finish:
        return this.finish(m);
    }
  }

  private current(session: Uint8Array, round: number): SessionState {
    const s = this.session;
    if (!s || !sameBytes(s.id, session)) throw new Refusal(RefuseCode.badRequest, 'unknown session');
    if (round <= s.lastRound)
      throw new Refusal(RefuseCode.badRequest, `round ${round} is not after round ${s.lastRound}`);
    return s;
  }

  private setup(m: Setup): Reply {
    const T = this.prosumer.loadKw.length;
    if (m.periods !== T)
      throw new Refusal(
        RefuseCode.badRequest,
        `the session has ${m.periods} periods, this prosumer's data ${T}`,
      );
    if (m.periodMinutes * m.periods !== 1440)
      throw new Refusal(
        RefuseCode.badRequest,
        `${m.periods} periods of ${m.periodMinutes} min do not make a day`,
      );
    for (let t = 0; t < T; t++) {
      const r = m.retail[t]!;
      const f = m.feedIn[t]!;
      if (f > r || Math.abs(r) > 1e3 || Math.abs(f) > 1e3)
        throw new Refusal(
          RefuseCode.badRequest,
          `tariffs of period ${t} are not usable (retail ${r}, feed-in ${f})`,
        );
    }
    const keys = new Map<number, Uint32Array>();
    for (const n of m.neighbours) {
      const cacheKey = Buffer.from(n.maskKey).toString('hex');
      let secret = this.pairCache.get(cacheKey);
      if (!secret) {
        secret = pairSecret(this.keys, n.maskKey);
        this.pairCache.set(cacheKey, secret);
      }
      keys.set(n.index, keyWords(secret));
    }
    const tariffs: Tariffs = { retail: [...m.retail], feedIn: [...m.feedIn], source: 'the VPP' };
    const hours = m.periodMinutes / 60;
    this.session = {
      id: m.session.slice(),
      index: m.index,
      periods: T,
      hours,
      method: m.method,
      tariffs,
      agent: new ProsumerAgent(this.prosumer, tariffs, hours, 'pool'),
      keys,
      active: [...keys.keys()],
      lastRound: 0,
      lastPrices: new Float64Array(T),
    };
    this.result = undefined;
    return { kind: Kind.ready, session: m.session };
  }

  private drop(s: SessionState, excluded: number[]): void {
    for (const j of excluded) {
      if (!s.keys.has(j)) throw new Refusal(RefuseCode.badRequest, `party ${j} is not a neighbour`);
    }
    if (excluded.length > 0) s.active = s.active.filter((j) => !excluded.includes(j));
  }

  /** Encodes `values` for `l`, adds every active neighbour's mask for `round`, returns the words. */
  private mask(s: SessionState, l: Layout, values: ArrayLike<number>[], round: number): Uint8Array {
    const lo = new Float64Array(l.words);
    const hi = new Float64Array(l.words);
    try {
      encodeFixed(l, values, lo, hi);
    } catch (err) {
      if (err instanceof FixedPointError) throw new Refusal(RefuseCode.cannotSolve, err.message);
      throw err;
    }
    const [n0, n1] = sessionWords(s.id);
    for (const j of s.active)
      addKeystream(s.keys.get(j)!, n0, n1, round, l.words, j > s.index ? 1 : -1, lo, hi);
    const words = new Uint8Array(8 * l.words);
    reduceWords(lo, hi, l.words, words);
    s.lastRound = round;
    s.answered = { round, words: l.words, with: s.active };
    return words;
  }

  private round(m: Round): Reply {
    const s = this.current(m.session, m.round);
    this.drop(s, m.excluded);
    const recover = (m.flags & 1) === 1;
    if (recover !== (s.method === Method.subgradient))
      throw new Refusal(RefuseCode.badRequest, 'primal recovery is for the sub-gradient method only');
    const reply = s.agent.poolStep({ prices: m.prices, meanTrade: m.meanTrade, rho: m.rho }, recover);
    s.lastPrices = m.prices.slice();
    const trade = reply.trade;
    const reported = reply.recovered ?? reply;
    let volume = 0;
    for (const q of reported.trade) volume += Math.max(q, 0);
    let changeSquared = 0;
    if (s.previousTrade) {
      for (let t = 0; t < s.periods; t++) {
        const d = trade[t]! - s.previousTrade[t]!;
        changeSquared += d * d;
      }
    }
    s.previousTrade = trade;
    const values: ArrayLike<number>[] = [trade, [reply.ownCost], [volume], [changeSquared], [1]];
    if (reply.recovered) values.push(reply.recovered.trade, [reply.recovered.ownCost]);
    const words = this.mask(s, iterationLayout(s.periods, recover), values, m.round);
    return { kind: Kind.masked, session: m.session, round: m.round, words };
  }

  private bound(m: Bound): Reply {
    const s = this.current(m.session, m.round);
    this.drop(s, m.excluded);
    const value = s.agent.lagrangianBound(m.prices);
    const words = this.mask(s, boundLayout(), [[value], [1]], m.round);
    return { kind: Kind.masked, session: m.session, round: m.round, words };
  }

  /**
   * The masks of the last answered round shared with `targets`: the coordinator asks when those parties'
   * replies are missing from the sum (or, to find a hostile contribution, across a cut of the graph).
   * Only that round's masks: every round has fresh ones. Who is out of the session the party learns from
   * the next request's exclusion list.
   */
  private reveal(m: Reveal): Reply {
    const s = this.session;
    if (!s || !sameBytes(s.id, m.session)) throw new Refusal(RefuseCode.badRequest, 'unknown session');
    const answered = s.answered;
    if (!answered || answered.round !== m.round)
      throw new Refusal(RefuseCode.notAllowed, `round ${m.round} is not the last round this party answered`);
    const [n0, n1] = sessionWords(s.id);
    const masks = m.targets.map((j) => {
      if (!answered.with.includes(j))
        throw new Refusal(RefuseCode.notAllowed, `party ${j} was not masked with in round ${m.round}`);
      const lo = new Float64Array(answered.words);
      const hi = new Float64Array(answered.words);
      addKeystream(s.keys.get(j)!, n0, n1, m.round, answered.words, 1, lo, hi);
      const words = new Uint8Array(8 * answered.words);
      reduceWords(lo, hi, answered.words, words);
      return { index: j, words };
    });
    return { kind: Kind.masks, session: m.session, round: m.round, masks };
  }

  /** The final schedule's sales and purchases per period, masked: the coordinator learns the pool's. */
  private totals(m: Totals): Reply {
    const s = this.current(m.session, m.round);
    this.drop(s, m.excluded);
    const q = s.agent.report().schedule.p2pNet;
    const sold = Array.from(q, (x) => Math.max(x, 0));
    const bought = Array.from(q, (x) => Math.max(-x, 0));
    const words = this.mask(s, totalsLayout(s.periods), [sold, bought, [1]], m.round);
    return { kind: Kind.masked, session: m.session, round: m.round, words };
  }

  private finish(m: Finish): Reply {
    const s = this.current(m.session, m.round);
    const session = Buffer.from(s.id).toString('hex');
    if ((m.flags & 2) === 2) {
      // Out of the market: the prosumer trades with the grid alone, as in the traditional market.
      const alone = new ProsumerAgent(this.prosumer, s.tariffs, s.hours, 'alone');
      alone.solveAlone();
      const r = alone.report();
      const own = Math.round(r.ownCost / MONEY_UNIT);
      this.result = {
        session,
        status: 'grid',
        iterations: m.iterations,
        converged: m.converged,
        prices: [...m.prices],
        schedule: r.schedule,
        ownCost: r.ownCost,
        p2pPayment: 0,
        imbalanceCharge: 0,
        cost: own * MONEY_UNIT,
        bill: { id: this.id, ownCost: own, p2p: 0, imbalance: 0, total: own },
        revealed: false,
      };
      s.lastRound = m.round;
      return { kind: Kind.done, session: m.session };
    }
    this.drop(s, m.excluded);
    const r = s.agent.report();
    const schedule = r.schedule;
    // The bill by the pool's rule (market/bills.ts), from its own trades and the pool's totals alone.
    let lines: { p2p: number; imbalance: number };
    try {
      lines = poolLines(schedule.p2pNet, m.prices, s.tariffs, { sold: m.sold, bought: m.bought });
    } catch (err) {
      throw new Refusal(RefuseCode.badRequest, `the bill cannot be computed: ${(err as Error).message}`);
    }
    const own = Math.round(r.ownCost / MONEY_UNIT);
    const bill: BillLines = {
      id: this.id,
      ownCost: own,
      p2p: lines.p2p,
      imbalance: lines.imbalance,
      total: own + lines.p2p + lines.imbalance,
    };
    const p2pPayment = bill.p2p * MONEY_UNIT;
    const values: ArrayLike<number>[] = [
      ...SCHEDULE_FIELDS.map((f) => schedule[f]),
      [r.ownCost],
      [p2pPayment],
      [1],
    ];
    const words = this.mask(s, finalLayout(s.periods), values, m.round);
    const reveal = (m.flags & 1) === 1 && this.options.allowReveal === true;
    this.result = {
      session,
      status: 'market',
      iterations: m.iterations,
      converged: m.converged,
      prices: [...m.prices],
      schedule,
      ownCost: r.ownCost,
      p2pPayment,
      imbalanceCharge: bill.imbalance * MONEY_UNIT,
      cost: bill.total * MONEY_UNIT,
      bill,
      revealed: reveal,
    };
    const reply: Reply = { kind: Kind.masked, session: m.session, round: m.round, words };
    if (reveal) {
      const report: RevealedReport = {
        ownCost: r.ownCost,
        p2pPayment,
        schedule: Object.fromEntries(
          SCHEDULE_FIELDS.map((f) => [f, Float64Array.from(schedule[f])]),
        ) as RevealedReport['schedule'],
      };
      reply.report = report;
    }
    return reply;
  }
}

/** The session id as the first two nonce words of every mask (the round is the third). */
export function sessionWords(id: Uint8Array): [number, number] {
  const view = new DataView(id.buffer, id.byteOffset, 8);
  return [view.getUint32(0, true), view.getUint32(4, true)];
}
