// Options and stopping rule shared by the two distributed clearing methods.
import type { HistoryEntry } from './result.ts';
// (The stop test itself: weak.ts and peer/peer.ts, both on the certified gap; docs/market.md.)

export interface ClearingOptions {
  /** 'admm' (augmented Lagrangian, default) or 'subgradient' (plain Lagrangian with primal averaging; weak only). */
  method: 'admm' | 'subgradient';
  /** Initial proximal weight ρ, currency per kWh². */
  rho: number;
  /** Residual balancing: double / halve ρ when the primal and dual residuals drift apart (weak only). */
  adaptiveRho: boolean;
  maxIterations: number;
  /** Stop when the P2P imbalance is below this fraction of the traded volume... */
  imbalanceTolerance: number;
  /** ...and the certified gap (cost − dual bound, relative) is below this. */
  gapTolerance: number;
  /** The central optimum, if solved (research): reported as each iterate's gap, never used to stop. */
  referenceCost?: number;
  /** Initial step of the sub-gradient method, currency per kWh (normalised step a/√(k+1)). */
  subgradientStep: number;
  onIteration?: (entry: HistoryEntry, maxIterations: number) => void;
}

export const DEFAULT_CLEARING: ClearingOptions = {
  method: 'admm',
  rho: 0.05,
  adaptiveRho: true,
  maxIterations: 500,
  imbalanceTolerance: 1e-4,
  gapTolerance: 1e-3,
  subgradientStep: 0.05,
};
