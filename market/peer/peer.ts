// A peer of the decentralised market: one prosumer that trades with its neighbours on the trading graph
// and, with them, decides when the market stops and certifies it. Nobody coordinates: every figure the
// peers act on is either one of their own, a neighbour's offer, a maximum flooded over the graph or an
// exact sum of all peers' masked figures. The network moves messages in synchronous ticks (agent-host.ts) and reads nothing
// but the addresses.
//
// Per tick a peer is in one phase:
//   admm    solve its subproblem against the last offers (consensus ADMM, agent.ts) and send new offers.
//           Each offer carries a random share of the iteration's stop-test figures and the windows of a
//           masked sum up and down a spanning tree of depth R (sum.ts, tree.ts): every tick, every peer
//           learns the exact totals Σ residual and Σ sales of all peers for the iterate 2R ticks old — the
//           same integers at every peer, so all take the same decision in the same tick: when that iterate
//           was balanced (Σ pairs' residual ≤ tolerance · Σ sales), or at the iteration limit,
//           they freeze and check the current iterate.
//   check   max(2R, D) ticks of the sum for the frozen iterate (D ≥ the graph's diameter), flooding the
//           highest and lowest pair prices per period alongside. Still unbalanced: back to admm.
//           Balanced: every peer bounds its own Lagrangian value at the common
//           price π = mid-point of the flooded extremes (bound.ts; the pool relaxation, whose optimum is
//           the decentralised optimum on a connected graph).
//   masks   each peer quantises its figures (own cost up, Lagrangian value down, deviation per period;
//           bracket.ts) and sends each neighbour random residues modulo 2^52, subtracted here and added
//           there: the masked figures have the same sum, and no neighbour can unmask a peer's own.
//   sum     2R ticks of the same masked tree sum as the stop test's, once (sum.ts FrozenSum): every peer
//           then holds the exact totals and computes the same rigorous certificate: primal cost
//           P ≤ Σ own + the largest settlement over the mismatches the rounding allows, dual bound
//           ≥ Σ bounds. Gap ≤ tolerance: stop. Otherwise back to admm.
import { type AgentReport, ProsumerAgent } from '../agent.ts';
import { maskRandomness } from '../random.ts';
import type { HistoryEntry } from '../result.ts';
import type { Prosumer, Tariffs } from '../types.ts';
import { bracket, certificateFigures, certificateWidth } from './bracket.ts';
import { checkedInbox, PeerKind, type PeerMessage, payloadLength } from './messages.ts';
import { StopTest } from './stop-test.ts';
import { addMod, FrozenSum, randomResidue, SUM_FIELDS, subMod, sumWindowLength, UNKNOWN } from './sum.ts';
import type { SumTree } from './tree.ts';
import type { PeerAgreement, PeerOptions } from './types.ts';

type Phase = 'admm' | 'check' | 'masks' | 'sum' | 'done';

export class Peer {
  readonly self: number;
  private readonly neighbours: number[];
  private readonly o: PeerOptions;
  private readonly T: number;
  private readonly D: number;
  /** The sum tree's depth R, the stop test's sum on it, and the check's length. */
  private readonly R: number;
  private readonly stop: StopTest;
  private readonly checkRounds: number;
  private frozenInput: Float64Array = new Float64Array(SUM_FIELDS);
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
  private flood = new Float64Array(0);
  private count = 0;
  /** The certificate's masked figures and their sum over the tree. */
  private certificateInput: Float64Array = new Float64Array(0);
  private readonly certificateSum: FrozenSum;
  private certificates = 0;
  private checkedRatio = Number.POSITIVE_INFINITY;
  /** The checked iterate's imbalance Σ pairs Σ_t |s_ij + s_ji| and sales volume, kWh (exact sums). */
  private checkedTotals = [Number.POSITIVE_INFINITY, 0];
  private readonly history: HistoryEntry[] = [];
  private agreement: PeerAgreement | undefined;

  constructor(
    prosumer: Prosumer,
    tariffs: Tariffs,
    hours: number,
    self: number,
    neighbours: number[],
    o: PeerOptions,
    tree: SumTree,
  ) {
    this.self = self;
    this.neighbours = neighbours;
    this.o = o;
    this.T = tariffs.retail.length;
    this.D = o.floodRounds;
    this.tariffs = tariffs;
    this.agent = new ProsumerAgent(prosumer, tariffs, hours, neighbours, o.method === 'subgradient');
    this.poolAgent = new ProsumerAgent(prosumer, tariffs, hours, 'pool');
    this.random = maskRandomness(o.maskSeed);
    this.R = tree.radius;
    this.stop = new StopTest(self, neighbours, tree, o.volumeFloorKwh);
    this.checkRounds = Math.max(2 * this.R, this.D);
    this.certificateSum = new FrozenSum(this.R, tree.root === self, certificateWidth(this.T));
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
        return this.admmTick(this.inbox(inbox, PeerKind.offer, this.iterations > 0));
      case 'check':
        return this.checkTick(this.inbox(inbox, PeerKind.check, true));
      case 'masks':
        return this.masksTick(this.inbox(inbox, PeerKind.mask, true));
      case 'sum':
        return this.sumTick(this.inbox(inbox, PeerKind.sum, true));
      case 'done':
        if (inbox.length > 0) throw new Error(`peer ${this.self}: message after the market stopped`);
        return [];
    }
  }

  private inbox(messages: PeerMessage[], kind: PeerKind, wanted: boolean): Map<number, Float64Array> {
    return checkedInbox(messages, {
      self: this.self,
      neighbours: this.neighbours,
      kind,
      length: payloadLength(kind, this.T, this.R),
      wanted,
    });
  }

  private send(kind: PeerKind, data: (to: number, slot: number) => Float64Array): PeerMessage[] {
    return this.neighbours.map((to, slot) => ({ from: this.self, to, kind, data: data(to, slot) }));
  }

  /** The peer's deviation per period: Σ_j (s_ij + s_ji)/2 over its pairs (its share of the mismatch). */
  private deviation(): Float64Array {
    const deviation = new Float64Array(this.T);
    for (let s = 0; s < this.neighbours.length; s++) {
      const mine = this.own[s]!;
      const theirs = this.last.get(this.neighbours[s]!)!;
      for (let t = 0; t < this.T; t++) deviation[t]! += (mine[t]! + theirs[t]!) / 2;
    }
    return deviation;
  }

  /** The iteration's stop-test figures (stop-test.ts), masked with the shares sent and `received`. */
  private stopFigures(received: Float64Array): Float64Array {
    let residual = 0;
    let sales = 0;
    for (let s = 0; s < this.neighbours.length; s++) {
      const mine = this.own[s]!;
      const theirs = this.last.get(this.neighbours[s]!)!;
      for (let t = 0; t < this.T; t++) {
        residual += Math.abs(mine[t]! + theirs[t]!);
        sales += Math.max(mine[t]!, 0);
      }
    }
    return this.stop.masked(residual, sales, received);
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
    const T = this.T;
    if (this.iterations > 0) {
      const trades = new Map<number, Float64Array>();
      const shares = new Float64Array(SUM_FIELDS);
      for (const [j, data] of offers) {
        if (data[0] !== this.iterations)
          throw new Error(`peer ${this.self}: offer of ${j} for another iteration`);
        // A view, not a copy: nothing writes to a received payload.
        trades.set(j, data.subarray(1, 1 + T));
        for (let f = 0; f < SUM_FIELDS; f++) shares[f] = addMod(shares[f]!, data[1 + T + f]!);
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
      const input = this.stopFigures(shares);
      this.entry(this.iterations);
      // The totals of the iterate 2R ticks old: the same integers at every peer.
      const { total, iterate } = this.stop.tick(input, this.iterations, offers, 1 + T + SUM_FIELDS);
      let balanced = false;
      if (total && iterate >= 1) {
        const ratio = this.stop.ratio(total);
        this.entry(iterate).relativeImbalance = ratio;
        balanced = ratio <= this.o.imbalanceTolerance;
      }
      if (balanced || this.iterations >= this.o.maxIterations) return this.startCheck(input);
    }
    return this.step();
  }

  /** One ADMM iteration against the last offers; the offers carry the stop test's shares and sum windows. */
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
    const T = this.T;
    this.stop.newIteration();
    return this.send(PeerKind.offer, (to, s) => {
      const data = new Float64Array(payloadLength(PeerKind.offer, T, this.R));
      data[0] = this.iterations;
      data.set(offers[s]!.trade, 1);
      this.stop.shareInto(data, 1 + T, this.random);
      data.set(this.stop.windowsFor(to), 1 + T + SUM_FIELDS);
      return data;
    });
  }

  /** Freezes the current iterate (its masked figures `input`) and checks it. */
  private startCheck(input: Float64Array): PeerMessage[] {
    const T = this.T;
    this.frozenInput = input;
    const prices = this.agent.bilateralPrices();
    this.flood = new Float64Array(2 * T);
    for (let t = 0; t < T; t++) {
      let hi = Number.NEGATIVE_INFINITY;
      let lo = Number.POSITIVE_INFINITY;
      for (const p of prices) {
        hi = Math.max(hi, p[t]!);
        lo = Math.min(lo, p[t]!);
      }
      this.flood[t] = hi;
      this.flood[T + t] = -lo;
    }
    this.phase = 'check';
    this.count = 0;
    return this.checkOut();
  }

  /** CHECK: the sum windows, then the flooded price extremes. */
  private checkOut(): PeerMessage[] {
    const W = sumWindowLength(this.R);
    return this.send(PeerKind.check, (to) => {
      const data = new Float64Array(W + this.flood.length);
      data.set(this.stop.windowsFor(to));
      data.set(this.flood, W);
      return data;
    });
  }

  /** Maxima of the flood and the received floods, which start at `offset` in each payload. */
  private merge(received: Map<number, Float64Array>, offset: number): void {
    for (const data of received.values())
      for (let k = 0; k < this.flood.length; k++) this.flood[k] = Math.max(this.flood[k]!, data[offset + k]!);
  }

  private resume(): PeerMessage[] {
    this.phase = 'admm';
    return this.step();
  }

  private checkTick(received: Map<number, Float64Array>): PeerMessage[] {
    this.merge(received, sumWindowLength(this.R));
    // The frozen iterate's figures again: after 2R ticks the totals are its own.
    const { total } = this.stop.tick(this.frozenInput, -1, received, 0);
    if (++this.count < this.checkRounds) return this.checkOut();
    if (!total) throw new Error(`peer ${this.self}: the stop test's sum did not arrive`);
    const T = this.T;
    this.checkedRatio = this.stop.ratio(total);
    this.checkedTotals = this.stop.totalsKwh(total);
    this.entry(this.iterations).relativeImbalance = this.checkedRatio;
    const final = this.iterations >= this.o.maxIterations;
    if (this.checkedRatio > this.o.imbalanceTolerance && !final) return this.resume();
    // The common price: mid-point of the highest and lowest pair price of each period (the same at
    // every peer). Any common price gives a valid bound; near convergence the pair prices agree.
    const prices = Array.from({ length: T }, (_, t) => (this.flood[t]! - this.flood[T + t]!) / 2);
    // A peer without partners (a VPP of one) has no relaxed constraint: its term bounds its own optimum.
    const bound =
      this.neighbours.length > 0 ? this.poolAgent.lagrangianBound(prices) : this.agent.lagrangianBound([]);
    const own = this.o.method === 'subgradient' ? this.agent.recoveredOwnCost() : this.agent.ownCost();
    const figures = certificateFigures(own, bound, this.deviation(), this.o.parties);
    // Masks: random residues for each neighbour, subtracted here and added there.
    const out = this.send(PeerKind.mask, () => {
      const share = new Float64Array(figures.length);
      for (let k = 0; k < figures.length; k++) {
        share[k] = randomResidue(this.random);
        figures[k] = subMod(figures[k]!, share[k]!);
      }
      return share;
    });
    this.certificateInput = figures;
    this.phase = 'masks';
    return out;
  }

  private masksTick(received: Map<number, Float64Array>): PeerMessage[] {
    const input = this.certificateInput;
    for (const share of received.values())
      for (let k = 0; k < share.length; k++) input[k] = addMod(input[k]!, share[k]!);
    const total = this.certificateSum.start(input);
    if (total) return this.certify(total);
    this.phase = 'sum';
    return this.sumOut();
  }

  /** SUM: the certificate's partial sum (to the parent only) and the root's total as far as it got. */
  private sumOut(): PeerMessage[] {
    const F = this.certificateInput.length;
    const windows = this.certificateSum.windows;
    return this.send(PeerKind.sum, (to) => {
      const w = windows.slice();
      if (to !== this.stop.parent) w.fill(UNKNOWN, 0, F);
      return w;
    });
  }

  private sumTick(received: Map<number, Float64Array>): PeerMessage[] {
    const fromChildren: Float64Array[] = [];
    for (const [j, data] of received) if (this.stop.isChild(j)) fromChildren.push(data);
    const total = this.certificateSum.tick(fromChildren, [...received.values()]);
    return total ? this.certify(total) : this.sumOut();
  }

  /** The certificate from the exact totals (the same at every peer): stop, or resume the ADMM. */
  private certify(total: Float64Array): PeerMessage[] {
    const { costHigh, boundLow, gap } = bracket(total, this.o.parties, this.tariffs);
    const final = this.iterations >= this.o.maxIterations;
    const e = this.entry(this.iterations);
    // The exact sums of the check (quantised outwards).
    const [imbalance, volume] = this.checkedTotals as [number, number];
    e.imbalance = imbalance;
    e.cost = costHigh;
    e.dualBound = boundLow;
    e.certifiedGap = gap;
    this.certificates++;
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
      residualRatio: this.checkedRatio,
      history: this.history.map((h) => ({ ...h })),
      ticks: this.ticks,
      certificates: this.certificates,
    };
    return [];
  }
}
