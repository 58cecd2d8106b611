// The prosumer side of the market. An agent holds one prosumer's private data (load, PV, battery,
// flexible loads, generator) and answers the coordinator's or its peers' messages with trade quantities
// only. Nothing else leaves the agent until the day is cleared and it publishes its own schedule.
//
// Both distributed methods reduce to the same subproblem (see docs/market.md):
//   minimise ownCost(x) + Σ_{s,t} [ a_{s,t}·trade_{s,t} + ρ/2·(trade_{s,t} - m_{s,t})² ]
// where a is the negated price on trade slot s and m a proximal anchor (ADMM); ρ = 0 gives the plain
// Lagrangian subproblem of the sub-gradient method.

import { lagrangianLowerBound } from './bound.ts';
import {
  buildProsumerModel,
  extractSchedule,
  ownCostOf,
  type ProsumerModel,
  type Schedule,
} from './model.ts';
import { QpSolver } from './solver/ipm.ts';
import { canSolveSeparably, solveSeparable } from './solver/separable.ts';
import type { Prosumer, Tariffs } from './types.ts';

/** Coordinator → prosumer (weakly-centralised market), broadcast to all. */
export interface PoolPrices {
  /** Internal price per period, currency per kWh. */
  prices: ArrayLike<number>;
  /** Mean net P2P sale per prosumer at the last iteration (the ADMM anchor); zeros for sub-gradient. */
  meanTrade: ArrayLike<number>;
  /** Proximal weight ρ, currency per kWh²; 0 = plain Lagrangian (sub-gradient) step. */
  rho: number;
}

/** Prosumer → coordinator. */
export interface PoolReply {
  /** Net P2P sale per period, kWh (negative = purchase). */
  trade: Float64Array;
  /** Own cost of the reported schedule (grid, generator, degradation): one scalar for the stop test. */
  ownCost: number;
  /** With primal recovery (sub-gradient method): the running averages of the same two figures. */
  recovered?: { trade: Float64Array; ownCost: number };
}

/** Peer → peer: what the sender offers to sell to the receiver per period (negative = buy), kWh. */
export interface Offer {
  from: number;
  to: number;
  trade: Float64Array;
}

/** Published by the agent after clearing: its own schedule and bill. */
export interface AgentReport {
  id: string;
  schedule: Schedule;
  ownCost: number;
  /** Paid to peers (negative = received), currency. */
  p2pPayment: number;
  /** Net P2P sale per period to each trading partner (pool = one partner). */
  trades: Float64Array[];
  solverIterations: number;
  subproblemSolves: number;
}

/** Bound on a pool trade per period: the sum of every rating behind the meter keeps the plain LP bounded. */
export function tradeLimitKwh(p: Prosumer, hours: number): number {
  const peak = (xs?: number[]) => (xs ? Math.max(0, ...xs) : 0);
  const rating =
    peak(p.loadKw) +
    peak(p.pvKw) +
    (p.generator?.maxKw ?? 0) +
    (p.battery ? Math.max(p.battery.chargeKw, p.battery.dischargeKw) : 0) +
    p.flexibleLoads.reduce((s, f) => s + f.maxKw, 0);
  return Math.max(rating, 0.1) * hours;
}

/**
 * Inexact ADMM: the interior-point tolerance of an iteration's solve from the largest imbalance the
 * agent sees (kWh: the pool's mean trade, or its pairs' s_ij + s_ji). Far from agreement a 1e-8 solve
 * is wasted, so it is 1e-2 per kWh of imbalance, at most 1e-4 and at least 1e-8; by the stop test
 * (imbalance ≤ 1e-4 of the volume) it is at most 1e-6 of the mean trade. Measured on 400 and 200
 * generated prosumers (docs/market.md): interior-point iterations per solve -32% in both markets with
 * the same ADMM iterations; a cap of 1e-3 saved more but moved the weak market's stopping iterate.
 * The certificate's Lagrangian solve (lagrangianBound) stays at 1e-9.
 */
function inexactTolerance(imbalanceKwh: number): number {
  return Math.min(1e-4, Math.max(1e-8, 1e-2 * imbalanceKwh));
}

export class ProsumerAgent {
  private readonly prosumer: Prosumer;
  private readonly hours: number;
  private readonly tariffs: Tariffs;
  private readonly model: ProsumerModel;
  private readonly solver: QpSolver;
  /** No storage or flexible load: the exact per-period solver applies (solver/separable.ts). */
  private readonly separable: boolean;
  private readonly cost: Float64Array;
  private readonly qdiag: Float64Array;
  private readonly T: number;
  /** Trading partners (global prosumer indices); empty for the pool, where the single slot is the pool. */
  private readonly peers: number[];
  private x: Float64Array;
  private averageX: Float64Array | undefined;
  private averaged = 0;
  private lastPrices: ArrayLike<number> = [];
  /** Bilateral multipliers y_ij per peer and period (price for selling to peer j is -y_ij). */
  private readonly duals: Float64Array[];
  /** Last anchor z_ij = (s_ij - s_ji)/2 per peer, and the pair's proximal weight ρ_ij. */
  private readonly anchors: Float64Array[];
  private readonly pairRho: Float64Array;
  private solverIterations = 0;
  private solves = 0;
  /** Interior-point tolerance of the next ADMM solve (inexact ADMM: loose while the market is far off). */
  private tolerance = 1e-8;

  constructor(
    prosumer: Prosumer,
    tariffs: Tariffs,
    hours: number,
    peers: number[] | 'pool' | 'alone',
    /** Bound every trade slot by the prosumer's rating (tradeLimitKwh): plain Lagrangian steps need it. */
    boundTrades = false,
  ) {
    this.prosumer = prosumer;
    this.hours = hours;
    this.tariffs = tariffs;
    this.T = prosumer.loadKw.length;
    this.peers = Array.isArray(peers) ? peers : [];
    const slots = peers === 'alone' ? 0 : peers === 'pool' ? 1 : peers.length;
    this.model = buildProsumerModel(prosumer, tariffs, hours, slots);
    if (peers === 'pool' || boundTrades) {
      const limit = tradeLimitKwh(prosumer, hours);
      for (const c of this.model.col.trade) {
        this.model.structure.lower[c] = -limit;
        this.model.structure.upper[c] = limit;
      }
    }
    this.solver = new QpSolver(this.model.structure);
    this.separable = canSolveSeparably(prosumer);
    this.cost = this.model.ownCost.slice();
    this.qdiag = new Float64Array(this.model.structure.n);
    this.x = new Float64Array(this.model.structure.n);
    this.duals = this.peers.map(() => new Float64Array(this.T));
    this.anchors = this.peers.map(() => new Float64Array(this.T));
    this.pairRho = new Float64Array(this.peers.length);
  }

  private solve(): void {
    if (this.separable) {
      const x = new Float64Array(this.model.structure.n);
      if (solveSeparable(this.model, this.prosumer, this.tariffs, this.hours, this.cost, this.qdiag, x)) {
        this.x = x;
        this.solves++;
        return;
      }
    }
    let r: ReturnType<QpSolver['solve']> | undefined;
    // Warm start from the last iterate (successive subproblems differ little) at the iteration's
    // tolerance (inexactTolerance); if that stalls, start cold; a nearly degenerate subproblem can still
    // stall, so the last resort allows many more iterations at a looser tolerance. 1e-8 relative is far
    // below the market's tolerances (1e-4 imbalance, 0.1% gap) and keeps a market's sensitivity to the
    // fixed-point rounding of its sums within quantisation.test.ts's bounds; on 400 generated prosumers
    // 1e-9 took 10% more interior-point iterations for the same ADMM iterations.
    const attempts: [number, number, boolean][] = [
      [this.tolerance, 40, true],
      [1e-8, 80, false],
      [1e-7, 300, false],
    ];
    let failure: unknown;
    for (const [tol, iterations, warm] of attempts) {
      try {
        r = this.solver.solve(this.cost, this.qdiag, tol, iterations, warm);
        break;
      } catch (err) {
        failure = err;
      }
    }
    if (r === undefined) throw new Error(`prosumer ${this.prosumer.id}: ${(failure as Error).message}`);
    this.x = r.x;
    this.solverIterations += r.iterations;
    this.solves++;
  }

  private tradeOf(slot: number): Float64Array {
    const out = new Float64Array(this.T);
    for (let t = 0; t < this.T; t++) out[t] = this.x[this.model.col.trade[slot * this.T + t]!]!;
    return out;
  }

  /** Traditional market: optimise alone against the grid tariffs. */
  solveAlone(): void {
    this.solve();
  }

  /** One weakly-centralised iteration. With `recover`, also keeps the running average of the schedule. */
  poolStep(msg: PoolPrices, recover: boolean): PoolReply {
    const { T, cost, qdiag, model } = this;
    const previous = this.solves > 0 ? this.tradeOf(0) : new Float64Array(T);
    for (let t = 0; t < T; t++) {
      const c = model.col.trade[t]!;
      const anchor = previous[t]! - msg.meanTrade[t]!;
      cost[c] = -msg.prices[t]! - msg.rho * anchor;
      qdiag[c] = msg.rho;
    }
    this.lastPrices = msg.prices;
    let imbalance = 0;
    for (let t = 0; t < T; t++) imbalance = Math.max(imbalance, Math.abs(msg.meanTrade[t]!));
    this.tolerance = inexactTolerance(imbalance);
    this.solve();
    if (recover) {
      this.averageX ??= new Float64Array(this.x.length);
      this.averaged++;
      const w = 1 / this.averaged;
      for (let j = 0; j < this.x.length; j++) this.averageX[j]! += w * (this.x[j]! - this.averageX[j]!);
      return {
        trade: this.tradeOf(0),
        ownCost: ownCostOf(model, this.x),
        recovered: { trade: this.averageTrade(), ownCost: ownCostOf(model, this.averageX) },
      };
    }
    return { trade: this.tradeOf(0), ownCost: ownCostOf(model, this.x) };
  }

  private averageTrade(): Float64Array {
    const out = new Float64Array(this.T);
    for (let t = 0; t < this.T; t++) out[t] = this.averageX![this.model.col.trade[t]!]!;
    return out;
  }

  /**
   * One decentralised (consensus ADMM) iteration. `inbox` holds each peer's last offer s_ji. Both ends of
   * a pair update their shared multiplier identically: y_ij += ρ/2·(s_ij + s_ji).
   */
  peerStep(inbox: Map<number, Float64Array>, rho: number, self: number, adaptive = true): Offer[] {
    const { T, cost, qdiag, model, peers } = this;
    if (this.solves === 0) {
      // Both ends of a pair start from the same public figures: the middle of the grid spread and ρ.
      for (const y of this.duals) {
        for (let t = 0; t < T; t++) y[t] = -(this.tariffs.retail[t]! + this.tariffs.feedIn[t]!) / 2;
      }
      this.pairRho.fill(rho);
    }
    const round = this.solves;
    let imbalance = 0;
    const trade = model.col.trade;
    const x = this.solves > 0 ? this.x : new Float64Array(this.x.length);
    const none = new Float64Array(T);
    for (let s = 0; s < peers.length; s++) {
      const theirs = inbox.get(peers[s]!) ?? none;
      const y = this.duals[s]!;
      const anchor = this.anchors[s]!;
      let primal = 0;
      let dual = 0;
      const r = this.pairRho[s]!;
      for (let t = 0; t < T; t++) {
        const mine = x[trade[s * T + t]!]!;
        const sum = mine + theirs[t]!;
        y[t]! += (r / 2) * sum;
        const z = (mine - theirs[t]!) / 2;
        primal += sum * sum;
        imbalance = Math.max(imbalance, Math.abs(sum));
        dual += (z - anchor[t]!) ** 2;
        anchor[t] = z;
      }
      // Per-pair residual balancing. Both peers see the same two offers and compute bit-identical
      // residuals (a+b = b+a and the anchors are exact negations), so they agree on ρ_ij without talking.
      if (adaptive && round > 0 && round % 10 === 0) {
        const rp = Math.sqrt(primal);
        const rd = r * Math.sqrt(dual);
        if (rp > 10 * rd && rp > 1e-12) this.pairRho[s] = Math.min(r * 2, 1e3);
        else if (rd > 10 * rp) this.pairRho[s] = Math.max(r / 2, 1e-4);
      }
      const rs = this.pairRho[s]!;
      for (let t = 0; t < T; t++) {
        const c = model.col.trade[s * T + t]!;
        cost[c] = y[t]! - rs * anchor[t]!;
        qdiag[c] = rs;
      }
    }
    this.tolerance = round > 0 ? inexactTolerance(imbalance) : 1e-8;
    this.solve();
    return peers.map((peer, s) => ({ from: self, to: peer, trade: this.tradeOf(s) }));
  }

  /**
   * One decentralised sub-gradient iteration (Lagrangian relaxation of the reciprocity constraints):
   * with `mine` and `theirs` the pair's last *subproblem* offers, y_ij += a/√k · g/‖g‖∞ for g = s_ij + s_ji
   * (both ends compute the same step from the same two offers), then the plain LP at prices y (trades
   * bounded by the rating). Primal recovery: the running average of the schedule (ergodic averaging),
   * which stays feasible for the prosumer. Returns the subproblem's offers (what the neighbours' dual
   * updates need); `recoveredTrades` are the averaged ones.
   */
  peerSubgradientStep(inbox: Map<number, Float64Array>, step: number, self: number): Offer[] {
    const { T, cost, qdiag, model, peers } = this;
    if (this.solves === 0) {
      for (const y of this.duals)
        for (let t = 0; t < T; t++) y[t] = -(this.tariffs.retail[t]! + this.tariffs.feedIn[t]!) / 2;
    } else {
      const a = step / Math.sqrt(this.solves);
      peers.forEach((peer, s) => {
        const mine = this.tradeOf(s);
        const theirs = inbox.get(peer) ?? new Float64Array(T);
        let norm = 0;
        for (let t = 0; t < T; t++) norm = Math.max(norm, Math.abs(mine[t]! + theirs[t]!));
        if (norm > 0) for (let t = 0; t < T; t++) this.duals[s]![t]! += (a * (mine[t]! + theirs[t]!)) / norm;
      });
    }
    peers.forEach((_, s) => {
      for (let t = 0; t < T; t++) {
        const c = model.col.trade[s * T + t]!;
        cost[c] = this.duals[s]![t]!;
        qdiag[c] = 0;
      }
    });
    this.solve();
    this.averageX ??= new Float64Array(this.x.length);
    this.averaged++;
    const w = 1 / this.averaged;
    for (let j = 0; j < this.x.length; j++) this.averageX[j]! += w * (this.x[j]! - this.averageX[j]!);
    return peers.map((peer, s) => ({ from: self, to: peer, trade: this.tradeOf(s) }));
  }

  /** The recovered (averaged) offers per trading partner, and their own cost. */
  recoveredTrades(): Float64Array[] {
    const x = this.averageX ?? this.x;
    return this.peers.map((_, s) => {
      const out = new Float64Array(this.T);
      for (let t = 0; t < this.T; t++) out[t] = x[this.model.col.trade[s * this.T + t]!]!;
      return out;
    });
  }

  recoveredOwnCost(): number {
    return ownCostOf(this.model, this.averageX ?? this.x);
  }

  /**
   * A certified lower bound on this prosumer's Lagrangian value at pool prices π (bound.ts): the LP
   * min ownCost - π·trade over its own constraints, solved warm from the last iterate for tight
   * multipliers, then evaluated by weak duality. The ADMM warm start is restored afterwards.
   */
  lagrangianBound(prices: ArrayLike<number>): number {
    const { model, T } = this;
    // One pool slot, or none (a prosumer without trading partners: a bound on its own optimum).
    if (model.slots > 1) throw new Error('the Lagrangian bound is defined for the pool market');
    const cost = model.ownCost.slice();
    if (model.slots === 1) for (let t = 0; t < T; t++) cost[model.col.trade[t]!] = -prices[t]!;
    let y: Float64Array = new Float64Array(model.structure.m);
    if (!this.separable) {
      const state = this.solver.snapshot();
      try {
        const zero = new Float64Array(model.structure.n);
        for (const [tol, iterations, warm] of [
          [1e-9, 60, true],
          [1e-9, 100, false],
        ] as const) {
          try {
            this.solver.solve(cost, zero, tol, iterations, warm);
            y = this.solver.duals();
            break;
          } catch {
            // A stalled solve leaves y at zero: the bound stays valid, only looser.
          }
        }
      } finally {
        this.solver.restore(state);
      }
    }
    return lagrangianLowerBound(model, cost, y, this.tariffs);
  }

  /** Mean proximal weight over this agent's trading pairs. */
  meanPairRho(): number {
    return this.pairRho.length ? this.pairRho.reduce((a, b) => a + b, 0) / this.pairRho.length : 0;
  }

  ownCost(): number {
    return ownCostOf(this.model, this.x);
  }

  /** Publishes the agent's own outcome after clearing (recovered average if the method averaged). */
  report(): AgentReport {
    const x = this.averageX ?? this.x;
    const slots = this.model.slots;
    const trades = Array.from({ length: slots }, (_, s) => {
      const out = new Float64Array(this.T);
      for (let t = 0; t < this.T; t++) out[t] = x[this.model.col.trade[s * this.T + t]!]!;
      return out;
    });
    let p2pPayment = 0;
    if (this.peers.length > 0) {
      trades.forEach((tr, s) => {
        for (let t = 0; t < this.T; t++) p2pPayment += this.duals[s]![t]! * tr[t]!;
      });
    } else if (slots === 1) {
      for (let t = 0; t < this.T; t++) p2pPayment -= (this.lastPrices[t] ?? 0) * trades[0]![t]!;
    }
    return {
      id: this.prosumer.id,
      schedule: extractSchedule(this.model, this.prosumer, x, this.hours),
      ownCost: ownCostOf(this.model, x),
      p2pPayment,
      trades,
      solverIterations: this.solverIterations,
      subproblemSolves: this.solves,
    };
  }

  /** Bilateral prices this agent agreed with each peer (currency per kWh the seller receives). */
  bilateralPrices(): number[][] {
    return this.duals.map((y) => Array.from(y, (v) => -v));
  }
}
