// The coordinator's side of a weak-market session: it greets and authenticates the parties, assigns the
// masking graph, and runs secure rounds in which it learns only sums (docs/market.md, "Protocol").
//
// A secure round: every active party gets the round's request (plus the neighbours dropped since it
// last heard) and answers with a masked vector. A party that does not answer by the deadline, refuses,
// or sends a malformed reply is out for the rest of the day: its neighbours reveal the masks they shared
// with it in this round (only this round's: masks are fresh every round), the coordinator removes them
// from the sum, and the party trades with the grid. A neighbour that fails to reveal is dropped in turn
// (its own reply is then hidden by the mask it shared with the first). The sum of the accepted vectors
// minus the revealed masks is exactly the sum of the accepted parties' values.
//
// A sum beyond what honest parties can produce (fixed.ts bounds, or a count that is not the number of
// contributors) means a hostile contribution. The coordinator then narrows it down by halving: for a
// connected half of the suspects it asks their masks across the cut and checks that half's sum; only
// halves whose every connected piece has at least `minGroup` parties are ever summed, so no sum over
// fewer than minGroup parties is learnt. The last suspects (fewer than 2·minGroup) are excluded.
// (Recovery and halving: recovery.ts.)
import { createHash, randomBytes } from 'node:crypto';
import { type Layout, MAX_PARTIES } from '../secagg/fixed.ts';
import { defaultMaskDegree, isConnectedWithin, maskingGraph } from '../secagg/graph.ts';
import { verifyHelloAsync } from '../secagg/keys.ts';
import type { Tariffs } from '../types.ts';
import { DecodeError } from '../wire.ts';
import { boundLayout, finalLayout, iterationLayout, totalsLayout } from './layouts.ts';
import {
  CHALLENGE_LENGTH,
  decodeReply,
  encodeRequest,
  type HelloReply,
  Kind,
  Method,
  type Request,
  type RevealedReport,
  sameBytes,
} from './messages.ts';
import { RoundRecovery } from './recovery.ts';
import type { PartyAnswer, PartyTransport } from './transport.ts';

export type SessionErrorCode = 'TOO_MANY_PARTIES' | 'NO_PARTIES' | 'SUMS_INVALID';

export class SessionError extends Error {
  override name = 'SessionError';
  readonly code: SessionErrorCode;
  constructor(code: SessionErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface RosterEntry {
  id: string;
  /** Compressed secp256k1 public key (33 bytes). */
  identity: Uint8Array;
}

export interface SessionOptions {
  tariffs: Tariffs;
  periodMinutes: number;
  method: 'admm' | 'subgradient';
  /**
   * Who may take part, by index. Without it (simulation: the host created the parties) whoever answers
   * the hello with a valid signature is listed under the id it gives.
   */
  roster?: RosterEntry[];
  /** Masking graph degree; default min(N - 1, 2⌈log2 N⌉). */
  maskDegree?: number;
  /** Smallest group whose sum the hostile-contribution search may learn (default 3). */
  minGroup?: number;
  setupDeadlineMs?: number;
  roundDeadlineMs?: number;
}

/** Why a party is out of the session. */
export interface Exclusion {
  index: number;
  id: string;
  round: number;
  reason: string;
}

export interface Traffic {
  messages: number;
  bytes: number;
}

interface Party {
  id: string;
  identity: Uint8Array;
  maskKey: Uint8Array;
}

interface SumResult {
  values: Float64Array[];
  contributors: number;
}

// Defaults for a network, where a host answers for one or a few prosumers: key agreement with a few
// dozen neighbours takes well under a second, a round a few milliseconds of solving per prosumer.
const SETUP_DEADLINE_MS = 300_000;
const ROUND_DEADLINE_MS = 120_000;

export class PoolSession {
  readonly sessionId: Uint8Array;
  readonly periods: number;
  readonly traffic: Traffic = { messages: 0, bytes: 0 };
  /** Parties by index (undefined: absent from the start). */
  readonly parties: (Party | undefined)[];
  readonly excluded = new Map<number, Exclusion>();
  /** Seconds spent greeting the parties and agreeing on keys (setup), before any round. */
  setupSeconds = 0;
  private readonly transport: PartyTransport;
  private readonly options: SessionOptions;
  private graph: number[][] = [];
  private round = 0;
  /** Exclusions each party has been told of (it stops masking with them). */
  private readonly told = new Map<number, Set<number>>();
  /** How many exclusions there were when the last round's requests went out (none new: no news). */
  private announced = 0;
  /** Revealed research-mode reports of the last finish. */
  reports = new Map<number, RevealedReport>();
  /** The pool totals (sold, bought per period, kWh) the last finish sent to the parties. */
  totals: { sold: Float64Array; bought: Float64Array } | undefined;

  private constructor(transport: PartyTransport, options: SessionOptions, periods: number) {
    this.transport = transport;
    this.options = options;
    this.periods = periods;
    this.sessionId = new Uint8Array(randomBytes(8));
    this.parties = new Array(transport.size).fill(undefined);
  }

  /** Greets, authenticates and sets up every party; those that fail are out from the start. */
  static async open(transport: PartyTransport, options: SessionOptions): Promise<PoolSession> {
    const started = performance.now();
    const periods = options.tariffs.retail.length;
    if (transport.size > MAX_PARTIES)
      throw new SessionError(
        'TOO_MANY_PARTIES',
        `${transport.size} parties, at most ${MAX_PARTIES} per session`,
      );
    const s = new PoolSession(transport, options, periods);
    await s.greet();
    await s.setup();
    if (s.active().length === 0) throw new SessionError('NO_PARTIES', 'no party completed the setup');
    s.setupSeconds = (performance.now() - started) / 1000;
    return s;
  }

  /** Parties still in the market. */
  active(): number[] {
    const out: number[] = [];
    this.parties.forEach((p, i) => {
      if (p && !this.excluded.has(i)) out.push(i);
    });
    return out;
  }

  /** The masking graph's neighbours of a party (tests and documentation of the traffic). */
  neighboursOf(index: number): readonly number[] {
    return this.graph[index] ?? [];
  }

  private exclude(index: number, round: number, reason: string): void {
    if (this.excluded.has(index)) return;
    this.excluded.set(index, { index, id: this.parties[index]?.id ?? `#${index}`, round, reason });
  }

  private async exchange(
    requests: Map<number, Uint8Array>,
    deadlineMs: number,
  ): Promise<Map<number, PartyAnswer>> {
    for (const body of requests.values()) {
      this.traffic.messages++;
      this.traffic.bytes += body.length;
    }
    const answers = await this.transport.exchange(requests, deadlineMs);
    for (const a of answers.values()) {
      if (a.ok) {
        this.traffic.messages++;
        this.traffic.bytes += a.bytes.length;
      }
    }
    return answers;
  }

  private async greet(): Promise<void> {
    const challenge = new Uint8Array(randomBytes(CHALLENGE_LENGTH));
    const body = encodeRequest({ kind: Kind.hello, challenge });
    const all = new Map<number, Uint8Array>();
    for (let i = 0; i < this.transport.size; i++) all.set(i, body);
    const answers = await this.exchange(all, this.options.setupDeadlineMs ?? SETUP_DEADLINE_MS);
    const fail = (i: number, reason: string, penalise = false) => {
      this.parties[i] = {
        id: this.options.roster?.[i]?.id ?? `#${i}`,
        identity: new Uint8Array(33),
        maskKey: new Uint8Array(32),
      };
      this.exclude(i, 0, reason);
      if (penalise) this.transport.penalise(i, reason);
    };
    // Cheap checks first; then every signature at once (on the thread pool); then, in index order, the
    // duplicate check, so the outcome does not depend on which verification finished first.
    const candidates: { i: number; reply: HelloReply }[] = [];
    for (const [i, a] of [...answers].sort((x, y) => x[0] - y[0])) {
      if (!a.ok) {
        fail(i, `no hello: ${a.detail}`);
        continue;
      }
      let reply: ReturnType<typeof decodeReply>;
      try {
        reply = decodeReply(a.bytes);
      } catch (err) {
        fail(i, `bad hello: ${(err as Error).message}`, true);
        continue;
      }
      if (reply.kind !== Kind.helloReply) {
        fail(
          i,
          reply.kind === Kind.refuse ? `refused the hello: ${reply.reason}` : 'not a hello reply',
          true,
        );
        continue;
      }
      const expected = this.options.roster?.[i];
      if (expected && (expected.id !== reply.id || !sameBytes(expected.identity, reply.identity))) {
        fail(i, `hello from ${reply.id} does not match the roster's party ${i} (${expected.id})`, true);
        continue;
      }
      if (reply.periods !== this.periods) {
        fail(i, `its data has ${reply.periods} periods, the session ${this.periods}`);
        continue;
      }
      candidates.push({ i, reply });
    }
    const verified = await Promise.all(
      candidates.map(({ reply }) =>
        verifyHelloAsync(reply.identity, reply.maskKey, reply.id, challenge, reply.signature),
      ),
    );
    const seenIds = new Set<string>();
    candidates.forEach(({ i, reply }, k) => {
      if (!verified[k]) fail(i, 'the hello signature does not verify', true);
      else if (seenIds.has(reply.id)) fail(i, `a second party with id ${reply.id}`, true);
      else {
        seenIds.add(reply.id);
        this.parties[i] = { id: reply.id, identity: reply.identity.slice(), maskKey: reply.maskKey.slice() };
      }
    });
  }

  private buildGraph(): void {
    const n = this.parties.length;
    // The seed is the roster (identities in index order): the same graph, and the same pairwise
    // secrets, every day the roster is the same.
    const hash = createHash('sha256');
    this.parties.forEach((p, i) => {
      hash.update(this.options.roster?.[i]?.identity ?? p?.identity ?? new Uint8Array(33));
    });
    const full = maskingGraph(
      n,
      this.options.maskDegree ?? defaultMaskDegree(n),
      new Uint8Array(hash.digest()),
    );
    const present = this.active();
    const inside = new Set(present);
    this.graph = full.map((ns, i) => (inside.has(i) ? ns.filter((j) => inside.has(j)) : []));
    if (!isConnectedWithin(this.graph, present)) {
      // Absent parties split the graph: a ring through the present ones joins it again.
      for (let a = 0; a < present.length && present.length > 1; a++) {
        const i = present[a]!;
        const j = present[(a + 1) % present.length]!;
        if (i !== j && !this.graph[i]!.includes(j)) {
          this.graph[i]!.push(j);
          this.graph[j]!.push(i);
        }
      }
      for (const ns of this.graph) ns.sort((a, b) => a - b);
    }
  }

  private async setup(): Promise<void> {
    this.buildGraph();
    const { tariffs, method, periodMinutes } = this.options;
    const requests = new Map<number, Uint8Array>();
    for (const i of this.active()) {
      requests.set(
        i,
        encodeRequest({
          kind: Kind.setup,
          session: this.sessionId,
          index: i,
          parties: this.parties.length,
          periods: this.periods,
          periodMinutes,
          method: method === 'subgradient' ? Method.subgradient : Method.admm,
          retail: Float64Array.from(tariffs.retail),
          feedIn: Float64Array.from(tariffs.feedIn),
          neighbours: this.graph[i]!.map((j) => ({ index: j, maskKey: this.parties[j]!.maskKey })),
        }),
      );
      this.told.set(i, new Set());
    }
    const answers = await this.exchange(requests, this.options.setupDeadlineMs ?? SETUP_DEADLINE_MS);
    for (const [i, a] of answers) {
      const reason = this.check(i, a, (r) => r.kind === Kind.ready && sameBytes(r.session, this.sessionId));
      if (reason) this.exclude(i, 0, `setup: ${reason}`);
    }
  }

  /** Decodes an answer; returns why it is not acceptable, or undefined (penalising malformed bytes). */
  private check(
    i: number,
    a: PartyAnswer,
    accept: (r: ReturnType<typeof decodeReply>) => boolean,
    words?: number,
  ): string | undefined {
    if (!a.ok) return `${a.failure}: ${a.detail}`;
    try {
      const r = decodeReply(a.bytes, { words, periods: this.periods });
      if (r.kind === Kind.refuse) return `refused: ${r.reason}`;
      if (!accept(r)) {
        this.transport.penalise(i, 'unexpected reply');
        return 'an unexpected reply';
      }
      return undefined;
    } catch (err) {
      if (err instanceof DecodeError) {
        this.transport.penalise(i, err.message);
        return `malformed reply: ${err.message}`;
      }
      throw err;
    }
  }

  /** Neighbours dropped since the party was last told (it stops masking with them now). */
  private news(i: number): number[] {
    const told = this.told.get(i)!;
    const out: number[] = [];
    for (const j of this.graph[i]!) if (this.excluded.has(j) && !told.has(j)) out.push(j);
    return out;
  }

  /**
   * One secure round: `make(excludedNews)` builds a party's request (called once for all parties
   * without news, so they share the bytes). Returns the sums over the parties that contributed.
   */
  private async secureRound(
    l: Layout,
    make: (round: number, news: number[]) => Request,
    keep?: (i: number, bytes: Uint8Array) => void,
  ): Promise<SumResult> {
    const round = ++this.round;
    const participants = this.active();
    const shared = encodeRequest(make(round, []));
    const requests = new Map<number, Uint8Array>();
    // Who each party masks with this round: its neighbours but those it has been told are out.
    const maskedWith = new Map<number, readonly number[]>();
    const anyNews = this.excluded.size !== this.announced;
    this.announced = this.excluded.size;
    for (const i of participants) {
      const news = anyNews ? this.news(i) : [];
      const told = this.told.get(i)!;
      for (const j of news) told.add(j);
      requests.set(i, news.length === 0 ? shared : encodeRequest(make(round, news)));
      maskedWith.set(i, told.size === 0 ? this.graph[i]! : this.graph[i]!.filter((j) => !told.has(j)));
    }
    const answers = await this.exchange(requests, this.options.roundDeadlineMs ?? ROUND_DEADLINE_MS);
    const accepted = new Map<number, Uint8Array>();
    const dropped = new Set<number>();
    for (const i of participants) {
      const a = answers.get(i) ?? { ok: false as const, failure: 'failed' as const, detail: 'no answer' };
      let words: Uint8Array | undefined;
      const reason = this.check(
        i,
        a,
        (r) => {
          if (r.kind !== Kind.masked || !sameBytes(r.session, this.sessionId) || r.round !== round)
            return false;
          words = r.words;
          return true;
        },
        l.words,
      );
      if (reason || !words) {
        this.exclude(i, round, reason ?? 'no masked vector');
        dropped.add(i);
      } else {
        accepted.set(i, words);
        if (a.ok) keep?.(i, a.bytes);
      }
    }
    const recovery = new RoundRecovery(
      {
        round,
        layout: l,
        sessionId: this.sessionId,
        graph: this.graph,
        maskedWith,
        minGroup: this.options.minGroup ?? 3,
        deadlineMs: this.options.roundDeadlineMs ?? ROUND_DEADLINE_MS,
        exchange: (requests, deadline) => this.exchange(requests, deadline),
        check: (i, a, accept, words) => this.check(i, a, accept, words),
      },
      accepted,
      dropped,
    );
    for (let attempt = 0; ; attempt++) {
      for (const [i, reason] of await recovery.recover())
        this.exclude(i, round, `could not reveal masks: ${reason}`);
      if (accepted.size === 0)
        return { values: l.fields.map((f) => new Float64Array(f.length)), contributors: 0 };
      const result = recovery.sumOf([...accepted.keys()], dropped.size === 0);
      if (result.valid) return { values: result.values, contributors: accepted.size };
      if (attempt >= 3)
        throw new SessionError(
          'SUMS_INVALID',
          `round ${round}: the sums stay invalid after excluding suspects`,
        );
      for (const i of await recovery.identify()) {
        this.exclude(i, round, 'a contribution beyond what honest parties send (found by halving)');
        accepted.delete(i);
        dropped.add(i);
      }
    }
  }

  /** An ADMM (or sub-gradient) iteration: prices out, sums of the iteration fields back. */
  async iterate(m: {
    iteration: number;
    prices: ArrayLike<number>;
    meanTrade: ArrayLike<number>;
    rho: number;
  }): Promise<SumResult> {
    const recover = this.options.method === 'subgradient';
    const prices = Float64Array.from(m.prices);
    const meanTrade = Float64Array.from(m.meanTrade);
    return this.secureRound(iterationLayout(this.periods, recover), (round, excluded) => ({
      kind: Kind.round,
      session: this.sessionId,
      round,
      iteration: m.iteration,
      flags: recover ? 1 : 0,
      rho: m.rho,
      prices,
      meanTrade,
      excluded,
    }));
  }

  /** The certificate round: the sum of the parties' Lagrangian lower bounds at `prices`. */
  async bound(prices: ArrayLike<number>): Promise<SumResult> {
    const p = Float64Array.from(prices);
    return this.secureRound(boundLayout(), (round, excluded) => ({
      kind: Kind.bound,
      session: this.sessionId,
      round,
      prices: p,
      excluded,
    }));
  }

  /**
   * The totals round (each period's sales and purchases of the final schedules, summed), then the final
   * round: FINISH sends every party `prices` and those totals, each fixes its schedule and computes its
   * own bill by the pool's rule (bills.ts poolLines), and the coordinator learns the aggregate schedule
   * and bills. Parties out of the market are told so (they trade with the grid).
   * With `reveal` (research mode) parties that allow it also send their schedule.
   */
  async finish(m: {
    prices: ArrayLike<number>;
    iterations: number;
    converged: boolean;
    reveal: boolean;
  }): Promise<SumResult> {
    const prices = Float64Array.from(m.prices);
    this.reports = new Map();
    // The pool's totals of the final schedules, which every party needs for its bill (bills.ts).
    const totals = await this.secureRound(totalsLayout(this.periods), (round, excluded) => ({
      kind: Kind.totals,
      session: this.sessionId,
      round,
      excluded,
    }));
    // Clamped: a sum of non-negative values can come back a hair below zero only through recovery of
    // the masks of dropped parties, never from honest figures; FINISH refuses negative totals.
    const sold = totals.values[0]!.map((x) => Math.max(x, 0));
    const bought = totals.values[1]!.map((x) => Math.max(x, 0));
    this.totals = { sold, bought };
    const result = await this.secureRound(
      finalLayout(this.periods),
      (round, excluded) => ({
        kind: Kind.finish,
        session: this.sessionId,
        round,
        flags: m.reveal ? 1 : 0,
        iterations: m.iterations,
        converged: m.converged,
        prices,
        sold,
        bought,
        excluded,
      }),
      (i, bytes) => {
        const r = decodeReply(bytes, { words: finalLayout(this.periods).words, periods: this.periods });
        if (r.kind === Kind.masked && r.report) this.reports.set(i, r.report);
      },
    );
    // Reports of parties whose final vector was not in the sum are not the market's outcome.
    for (const i of this.reports.keys()) if (this.excluded.has(i)) this.reports.delete(i);
    // Tell the parties out of the market (best effort: they may be gone).
    const round = ++this.round;
    const out = new Map<number, Uint8Array>();
    const body = encodeRequest({
      kind: Kind.finish,
      session: this.sessionId,
      round,
      flags: 2,
      iterations: m.iterations,
      converged: m.converged,
      prices,
      sold,
      bought,
      excluded: [],
    });
    // (Parties that never completed the setup have no session to be told about.)
    for (const [i, e] of this.excluded) if (e.round > 0) out.set(i, body);
    if (out.size > 0) await this.exchange(out, this.options.roundDeadlineMs ?? ROUND_DEADLINE_MS);
    return result;
  }
}
