// The decentralised market's peer settings and what every peer agrees at the end (peer.ts), for the
// hosts that run peers (agent-group.ts, agent-host.ts) and the market's front (decentralized.ts).
import type { HistoryEntry } from '../result.ts';

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
  /** A seed for the peer's mask randomness (reproducible tests); default: crypto.getRandomValues. */
  maskSeed?: number;
  /** The stop test measures the imbalance against at least this much sales volume, kWh. */
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
  /** imbalance / volume: the final iterate's relative imbalance (the stop test's figure). */
  residualRatio: number;
  history: HistoryEntry[];
  /** Ticks (message rounds) the market took, and certificates computed. */
  ticks: number;
  certificates: number;
}
