// Options and stopping rule shared by the two distributed clearing methods.
import type { HistoryEntry } from './result.ts';

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
  /** ...and the total cost is within this fraction of the central optimum (when known). */
  gapTolerance: number;
  /** The central optimum, if solved; without it the stop test uses the change in trades instead. */
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

/**
 * The documented stop test. With a reference optimum: imbalance ≤ tol·volume and gap ≤ gapTol. Without
 * one (a real deployment): imbalance ≤ tol·volume and the trades moved less than gapTol of the volume
 * in the last iteration (ADMM's dual residual).
 */
export function hasConverged(
  o: ClearingOptions,
  imbalance: number,
  volume: number,
  gap: number | null,
  change: number,
): boolean {
  const scale = Math.max(volume, 1e-6);
  if (imbalance > o.imbalanceTolerance * scale) return false;
  if (gap !== null) return gap <= o.gapTolerance;
  return change <= o.gapTolerance * scale;
}
