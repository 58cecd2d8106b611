// A peer of the decentralised market: one prosumer that trades with its neighbours on the trading graph
// and, with them, decides when the market stops and certifies it. Nobody coordinates: every figure the
// peers act on is either one of their own, a neighbour's offer, a maximum flooded over the graph or a
// masked gossip sum. The network moves messages in synchronous ticks (agent-host.ts) and reads nothing
// but the addresses.
//
// Per tick a peer is in one phase:
//   admm    solve its subproblem against the last offers (consensus ADMM, agent.ts) and send new offers.
//           Each offer carries a flood window: window[h] = the largest local residual ratio heard of for
//           the iterate h ticks old. window[D] (D ≥ the graph's diameter) is the global maximum, the same
//           number at every peer, so all peers take the same decision in the same tick: when the
//           iterate D ago was balanced (every peer's ratio ≤ tolerance), or at the iteration limit,
//           they freeze and check the current iterate.
//   check   D ticks of flooding (its ratio, the highest and lowest pair prices per period). Still
//           unbalanced: back to admm. Balanced: every peer bounds its own Lagrangian value at the common
//           price π = mid-point of the flooded extremes (bound.ts; the pool relaxation, whose optimum is
//           the decentralised optimum on a connected graph).
//   masks   each peer sends each neighbour a random share of its figures and subtracts it (the neighbour
//           adds it): the masked figures have the same sum, and no neighbour can unmask a peer's own.
//   gossip  push-sum (Kempe, Dobra & Gehrke, FOCS 2003) of the masked figures: each tick a peer keeps
//           1/(degree+1) of its value and weight and sends each neighbour the same. Mass is conserved,
//           so the true mean is a weighted mean of the current estimates value/weight: it lies between
//           their minimum and maximum.
//   agree   D ticks of flooding the maximum and minimum estimate of each figure. From these every peer
//           computes the same rigorous bracket: primal cost P ≤ N·max own + max settlement over the box
//           of deviations, dual bound D ≥ N·min bound. Gap ≤ tolerance: stop. The estimates still too
//           far apart: gossip on. Otherwise back to admm.
import { type AgentReport, ProsumerAgent } from '../agent.ts';
import { seededRandom } from '../random.ts';
import type { HistoryEntry } from '../result.ts';
import type { Prosumer, Tariffs } from '../types.ts';
import { bracket } from './bracket.ts';
import { GOSSIP_SCALARS, gossipWidth, PeerKind, type PeerMessage, payloadLength } from './messages.ts';

export interface PeerOptions {
  /** 'admm' (consensus ADMM, default) or 'subgradient' (plain Lagrangian, ergodic primal averaging). */
  method: 'admm' | 'subgradient';
  /** Sub-gradient step a: y_ij moves a/√k × the pair's normalised residual. */
  subgradientStep: number;
  rho: number;
  adaptiveRho: boolean;
  maxIterations: number;
  imbalanceTolerance: number;
  gapTolerance: number;
  /** Number of peers (public: the VPP's roster). */
  parties: number;
  /** Flood rounds D: at least the trading graph's diameter (public: the graph is). */
  floodRounds: number;
  /** Push-sum rounds between two agreements. */
  gossipRounds: number;
  /** Masks are uniform in ±maskScale (currency or kWh). */
  maskScale: number;
  /** A seed for the peer's mask randomness (reproducible tests); default: crypto.getRandomValues. */
  maskSeed?: number;
  /** A peer's residual ratio is measured against at least this much traded volume, kWh. */
  volumeFloorKwh: number;
}

/** What a peer agreed at the end (every peer holds the same figures). */
export interface PeerAgreement {
  iterations: number;
  converged: boolean;
  /** Upper bound on the primal cost of the final iterate (own costs + settlement of the mismatch). */
  cost: number;
  dualBound: number;
  certifiedGap: number;
  /** Upper bound on Σ pairs |s_ij + s_ji| and lower bound on the sales volume, kWh. */
  imbalance: number;
  volume: number;
  /** Largest local residual ratio of the final iterate (flooded). */
  maxLocalRatio: number;
  history: HistoryEntry[];
  /** Ticks (message rounds) the market took, and gossip blocks run. */
  ticks: number;
  gossipBlocks: number;
}

type Phase = 'admm' | 'check' | 'masks' | 'gossip' | 'agree' | 'done';

/** At most this many gossip blocks per certificate (then the bracket is what it is). */
const MAX_GOSSIP_BLOCKS = 40;
/** Gossip until the estimates' spread is below this fraction of the gap tolerance. */
const SPREAD_SHARE = 1e-2;

/** The peer's mask randomness: crypto, or a seed (reproducible tests). */
function randomSource(seed: number | undefined): () => number {
  if (seed !== undefined) return seededRandom(seed);
  const buffer = new Uint32Array(256);
  let next = buffer.length;
  return () => {
    if (next === buffer.length) {
      crypto.getRandomValues(buffer);
      next = 0;
    }
    return buffer[next++]! / 4294967296;
  };
}

export class Peer {
  readonly self: number;
  private readonly neighbours: number[];
  private readonly o: PeerOptions;
  private readonly T: number;
  private readonly D: number;
  private readonly tariffs: Tariffs;
  private readonly agent: ProsumerAgent;
  /** The same prosumer with one pool slot: its Lagrangian bound at a common price (the certificate). */
  private readonly poolAgent: ProsumerAgent;
  private readonly random: () => number;
  private phase: Phase = 'admm';
  private iterations = 0;
  private ticks = 0;
  private own: Float64Array[] = [];
  private last = new Map<number, Float64Array>();
  /** Sub-gradient: the neighbours' subproblem offers (for the dual step); `last` holds their averages. */
  private actual = new Map<number, Float64Array>();
  private window: Float64Array;
  private flood = new Float64Array(0);
  private count = 0;
  private value = new Float64Array(0);
  private weight = 0;
  private gossipBlocks = 0;
  private checkedRatio = Number.POSITIVE_INFINITY;
  private readonly history: HistoryEntry[] = [];
  private agreement: PeerAgreement | undefined;

  constructor(
    prosumer: Prosumer,
    tariffs: Tariffs,
    hours: number,
    self: number,
    neighbours: number[],
    o: PeerOptions,
  ) {
    this.self = self;
    this.neighbours = neighbours;
    this.o = o;
    this.T = tariffs.retail.length;
    this.D = o.floodRounds;
    this.tariffs = tariffs;
    this.agent = new ProsumerAgent(prosumer, tariffs, hours, neighbours, o.method === 'subgradient');
    this.poolAgent = new ProsumerAgent(prosumer, tariffs, hours, 'pool');
    this.random = randomSource(o.maskSeed);
    this.window = new Float64Array(this.D + 1).fill(Number.POSITIVE_INFINITY);
  }

  get finished(): boolean {
    return this.phase === 'done';
  }

  /** The figures every peer agreed on (after it finished). */
  agreed(): PeerAgreement {
    if (!this.agreement) throw new Error(`peer ${this.self} has not finished`);
    return this.agreement;
  }

  report(): AgentReport {
    return this.agent.report();
  }

  bilateralPrices(): number[][] {
    return this.agent.bilateralPrices();
  }

  /** One synchronous tick: the messages addressed to this peer in, its messages out. */
  tick(inbox: PeerMessage[]): PeerMessage[] {
    this.ticks++;
    switch (this.phase) {
      case 'admm':
        return this.admmTick(this.expect(inbox, PeerKind.offer, this.iterations > 0));
      case 'check':
        return this.checkTick(this.expect(inbox, PeerKind.check, true));
      case 'masks':
        return this.masksTick(this.expect(inbox, PeerKind.mask, true));
      case 'gossip':
        return this.gossipTick(this.expect(inbox, PeerKind.gossip, true));
      case 'agree':
        return this.agreeTick(this.expect(inbox, PeerKind.agree, true));
      case 'done':
        if (inbox.length > 0) throw new Error(`peer ${this.self}: message after the market stopped`);
        return [];
    }
  }

  /** Exactly one message of `kind` from each neighbour (or none), of the right length, finite. */
  private expect(inbox: PeerMessage[], kind: PeerKind, wanted: boolean): Map<number, Float64Array> {
    const out = new Map<number, Float64Array>();
    const length = payloadLength(kind, this.T, this.D);
    // Runs for every message of every tick: the error text is only built when a check fails.
    const what = (m: PeerMessage) => `peer ${this.self}: message from ${m.from}`;
    for (const m of inbox) {
      if (m.to !== this.self) throw new Error(`${what(m)} addressed to ${m.to}`);
      if (!this.neighbours.includes(m.from)) throw new Error(`${what(m)}, not a neighbour`);
      if (m.kind !== kind) throw new Error(`${what(m)} of kind ${m.kind}, expected ${kind}`);
      const data = m.data;
      if (!(data instanceof Float64Array) || data.length !== length)
        throw new Error(`${what(m)}: ${data?.length} numbers, expected ${length}`);
      for (let k = 0; k < length; k++) if (Number.isNaN(data[k])) throw new Error(`${what(m)}: NaN`);
      if (out.has(m.from)) throw new Error(`${what(m)}: twice in one tick`);
      out.set(m.from, data);
    }
    if (wanted && out.size !== this.neighbours.length)
      throw new Error(`peer ${this.self}: ${out.size} of ${this.neighbours.length} neighbours answered`);
    if (!wanted && out.size > 0) throw new Error(`peer ${this.self}: unexpected messages`);
    return out;
  }

  private send(kind: PeerKind, data: (to: number, slot: number) => Float64Array): PeerMessage[] {
    return this.neighbours.map((to, slot) => ({ from: this.self, to, kind, data: data(to, slot) }));
  }

  /** Σ_j Σ_t |s_ij + s_ji| over the peer's pairs, its own offered volume, and its deviation per period. */
  private local(): { residual: number; offered: number; sales: number; deviation: Float64Array } {
    const deviation = new Float64Array(this.T);
    let residual = 0;
    let offered = 0;
    let sales = 0;
    for (let s = 0; s < this.neighbours.length; s++) {
      const mine = this.own[s]!;
      const theirs = this.last.get(this.neighbours[s]!)!;
      for (let t = 0; t < this.T; t++) {
        const sum = mine[t]! + theirs[t]!;
        residual += Math.abs(sum);
        offered += Math.abs(mine[t]!);
        sales += Math.max(mine[t]!, 0);
        deviation[t]! += sum / 2;
      }
    }
    return { residual, offered, sales, deviation };
  }

  /** The local ratio of every ADMM iteration: local()'s two sums in the same order, nothing allocated. */
  private ratio(): number {
    let residual = 0;
    let offered = 0;
    for (let s = 0; s < this.neighbours.length; s++) {
      const mine = this.own[s]!;
      const theirs = this.last.get(this.neighbours[s]!)!;
      for (let t = 0; t < this.T; t++) {
        residual += Math.abs(mine[t]! + theirs[t]!);
        offered += Math.abs(mine[t]!);
      }
    }
    return residual / Math.max(offered, this.o.volumeFloorKwh);
  }

  private entry(iteration: number): HistoryEntry {
    let e = this.history[iteration - 1];
    if (!e) {
      e = {
        iteration,
        imbalance: Number.NaN,
        relativeImbalance: Number.NaN,
        cost: Number.NaN,
        gap: null,
        rho: this.o.rho,
      };
      this.history[iteration - 1] = e;
    }
    return e;
  }

  private admmTick(offers: Map<number, Float64Array>): PeerMessage[] {
    const D = this.D;
    if (this.iterations > 0) {
      const trades = new Map<number, Float64Array>();
      const next = new Float64Array(D + 1);
      next[0] = 0;
      for (let h = 1; h <= D; h++) next[h] = this.window[h - 1]!;
      for (const [j, data] of offers) {
        if (data[0] !== this.iterations)
          throw new Error(`peer ${this.self}: offer of ${j} for another iteration`);
        // A view, not a copy: nothing writes to a received payload.
        trades.set(j, data.subarray(1, 1 + this.T));
        const w = data.subarray(1 + this.T);
        for (let h = 1; h <= D; h++) next[h] = Math.max(next[h]!, w[h - 1]!);
      }
      if (this.o.method === 'subgradient') {
        // Recovered offers: each peer averages its neighbours' offers as they average their own.
        this.actual = trades;
        const averaged = new Map<number, Float64Array>();
        for (const [j, x] of trades) {
          const avg = this.last.get(j) ?? new Float64Array(this.T);
          for (let t = 0; t < this.T; t++) avg[t]! += (x[t]! - avg[t]!) / this.iterations;
          averaged.set(j, avg);
        }
        this.last = averaged;
      } else this.last = trades;
      next[0] = this.ratio();
      this.window = next;
      this.entry(this.iterations);
      // window[D] is the global maximum for the iterate D ago: the same number at every peer.
      const old = this.iterations - D;
      if (old >= 1) this.entry(old).relativeImbalance = next[D]!;
      const balanced = old >= 1 && next[D]! <= this.o.imbalanceTolerance;
      if (balanced || this.iterations >= this.o.maxIterations) return this.startCheck();
    }
    return this.step();
  }

  /** One ADMM iteration against the last offers; the offers carry the flood window. */
  private step(): PeerMessage[] {
    let offers: { trade: Float64Array }[];
    if (this.o.method === 'subgradient') {
      offers = this.agent.peerSubgradientStep(this.actual, this.o.subgradientStep, this.self);
      this.own = this.agent.recoveredTrades();
    } else {
      offers = this.agent.peerStep(this.last, this.o.rho, this.self, this.o.adaptiveRho);
      this.own = offers.map((m) => m.trade);
    }
    this.iterations++;
    const window = this.window;
    return this.send(PeerKind.offer, (_, s) => {
      const data = new Float64Array(payloadLength(PeerKind.offer, this.T, this.D));
      data[0] = this.iterations;
      data.set(offers[s]!.trade, 1);
      data.set(window, 1 + this.T);
      return data;
    });
  }

  private startCheck(): PeerMessage[] {
    const T = this.T;
    const prices = this.agent.bilateralPrices();
    this.flood = new Float64Array(1 + 2 * T);
    this.flood[0] = this.window[0]!;
    for (let t = 0; t < T; t++) {
      let hi = Number.NEGATIVE_INFINITY;
      let lo = Number.POSITIVE_INFINITY;
      for (const p of prices) {
        hi = Math.max(hi, p[t]!);
        lo = Math.min(lo, p[t]!);
      }
      this.flood[1 + t] = hi;
      this.flood[1 + T + t] = -lo;
    }
    this.phase = 'check';
    this.count = 0;
    return this.floodOut(PeerKind.check);
  }

  private floodOut(kind: PeerKind): PeerMessage[] {
    const data = this.flood;
    return this.send(kind, () => data.slice());
  }

  private merge(received: Map<number, Float64Array>): void {
    for (const data of received.values())
      for (let k = 0; k < data.length; k++) this.flood[k] = Math.max(this.flood[k]!, data[k]!);
  }

  private resume(): PeerMessage[] {
    this.phase = 'admm';
    this.window.fill(Number.POSITIVE_INFINITY);
    return this.step();
  }

  private checkTick(received: Map<number, Float64Array>): PeerMessage[] {
    this.merge(received);
    if (++this.count < this.D) return this.floodOut(PeerKind.check);
    const T = this.T;
    this.checkedRatio = this.flood[0]!;
    this.entry(this.iterations).relativeImbalance = this.checkedRatio;
    const final = this.iterations >= this.o.maxIterations;
    if (this.checkedRatio > this.o.imbalanceTolerance && !final) return this.resume();
    // The common price: mid-point of the highest and lowest pair price of each period (the same at
    // every peer). Any common price gives a valid bound; near convergence the pair prices agree.
    const prices = Array.from({ length: T }, (_, t) => (this.flood[1 + t]! - this.flood[1 + T + t]!) / 2);
    // A peer without partners (a VPP of one) has no relaxed constraint: its term bounds its own optimum.
    const bound =
      this.neighbours.length > 0 ? this.poolAgent.lagrangianBound(prices) : this.agent.lagrangianBound([]);
    const l = this.local();
    const W = gossipWidth(T);
    const value = new Float64Array(W);
    const own = this.o.method === 'subgradient' ? this.agent.recoveredOwnCost() : this.agent.ownCost();
    value.set([own, bound, l.residual / 2, l.sales]);
    value.set(l.deviation, GOSSIP_SCALARS.length);
    // Masks: a random share for each neighbour, subtracted here and added there.
    const out = this.send(PeerKind.mask, () => {
      const share = new Float64Array(W);
      for (let k = 0; k < W; k++) {
        share[k] = (2 * this.random() - 1) * this.o.maskScale;
        value[k]! -= share[k]!;
      }
      return share;
    });
    this.value = value;
    this.weight = 1;
    this.gossipBlocks = 0;
    this.phase = 'masks';
    return out;
  }

  private pushOut(): PeerMessage[] {
    const keep = 1 / (this.neighbours.length + 1);
    const W = this.value.length;
    const share = new Float64Array(W + 1);
    for (let k = 0; k < W; k++) share[k] = this.value[k]! * keep;
    share[W] = this.weight * keep;
    this.value = share.slice(0, W);
    this.weight = share[W]!;
    return this.send(PeerKind.gossip, () => share.slice());
  }

  private masksTick(received: Map<number, Float64Array>): PeerMessage[] {
    for (const share of received.values()) for (let k = 0; k < share.length; k++) this.value[k]! += share[k]!;
    this.phase = 'gossip';
    this.count = 0;
    this.gossipBlocks++;
    return this.pushOut();
  }

  private gossipTick(received: Map<number, Float64Array>): PeerMessage[] {
    const W = this.value.length;
    for (const share of received.values()) {
      for (let k = 0; k < W; k++) this.value[k]! += share[k]!;
      this.weight += share[W]!;
    }
    if (++this.count < this.o.gossipRounds) return this.pushOut();
    // Estimates of the means; flood their maxima and (negated) minima.
    this.flood = new Float64Array(2 * W);
    for (let k = 0; k < W; k++) {
      const estimate = this.value[k]! / this.weight;
      this.flood[k] = estimate;
      this.flood[W + k] = -estimate;
    }
    this.phase = 'agree';
    this.count = 0;
    return this.floodOut(PeerKind.agree);
  }

  private agreeTick(received: Map<number, Float64Array>): PeerMessage[] {
    this.merge(received);
    if (++this.count < this.D) return this.floodOut(PeerKind.agree);
    const { costHigh, boundLow, gap, spread, imbalance, volume } = bracket(
      this.flood,
      this.o.parties,
      this.tariffs,
    );
    const final = this.iterations >= this.o.maxIterations;
    if (
      spread > SPREAD_SHARE * this.o.gapTolerance &&
      this.gossipBlocks < MAX_GOSSIP_BLOCKS &&
      gap - spread <= this.o.gapTolerance
    ) {
      // The bracket is too wide to tell, and a tighter one could pass: gossip on.
      this.phase = 'gossip';
      this.count = 0;
      this.gossipBlocks++;
      return this.pushOut();
    }
    const e = this.entry(this.iterations);
    e.imbalance = imbalance;
    e.cost = costHigh;
    e.dualBound = boundLow;
    e.certifiedGap = gap;
    const converged = this.checkedRatio <= this.o.imbalanceTolerance && gap <= this.o.gapTolerance;
    if (!converged && !final) return this.resume();
    this.phase = 'done';
    this.agreement = {
      iterations: this.iterations,
      converged,
      cost: costHigh,
      dualBound: boundLow,
      certifiedGap: gap,
      imbalance,
      volume,
      maxLocalRatio: this.checkedRatio,
      history: this.history.map((h) => ({ ...h })),
      ticks: this.ticks,
      gossipBlocks: this.gossipBlocks,
    };
    return [];
  }
}
