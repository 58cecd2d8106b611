// A primal-dual interior-point method (Mehrotra predictor-corrector) for small convex quadratic
// programs with a diagonal Hessian:
//
//   minimise ½·xᵀ·diag(q)·x + cᵀx   subject to   A·x = b,   l ≤ x ≤ u   (bounds may be infinite).
//
// It is the prosumer subproblem solver: the same structure is solved thousands of times with a new cost
// vector, so the constraint matrix, its column view and all work arrays are set up once. The normal
// equations A·H⁻¹·Aᵀ are factorised with the bordered band Cholesky in banded.ts, so one iteration is
// linear in the number of periods. Verified against HiGHS in test/unit/market/ipm.test.ts.
import { BorderedBandMatrix } from './banded.ts';

/** A QP's fixed part: equality rows in CSR, bounds, and the band shape of A·Aᵀ. */
export interface QpStructure {
  n: number;
  m: number;
  lower: Float64Array;
  upper: Float64Array;
  rowStart: Int32Array;
  colIndex: Int32Array;
  value: Float64Array;
  rhs: Float64Array;
  /** Half-bandwidth of A·Aᵀ over rows 0..m-border-1. */
  bandwidth: number;
  /** The last `border` rows may touch any other row. */
  border: number;
}

export interface QpSolution {
  x: Float64Array;
  objective: number;
  iterations: number;
}

export class QpNotSolvedError extends Error {}

/** A solver's iterate, kept to resume warm starts after solving something else. */
export interface WarmState {
  x: Float64Array;
  y: Float64Array;
  zl: Float64Array;
  zu: Float64Array;
  solved: boolean;
}

export class QpSolver {
  private readonly s: QpStructure;
  private readonly colStart: Int32Array;
  private readonly colRow: Int32Array;
  private readonly colVal: Float64Array;
  private readonly hasL: Uint8Array;
  private readonly hasU: Uint8Array;
  private readonly fixed: Uint8Array;
  private readonly M: BorderedBandMatrix;
  /** Per column j, entries pairStart[j]..pairStart[j+1] of (where in M, a_ij·a_kj) for its row pairs. */
  private readonly pairStart: Int32Array;
  private readonly pairSlot: Int32Array;
  private readonly pairProduct: Float64Array;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly zl: Float64Array;
  private readonly zu: Float64Array;
  private readonly rd: Float64Array;
  private readonly rp: Float64Array;
  private readonly hinv: Float64Array;
  private readonly g: Float64Array;
  private readonly dx: Float64Array;
  private readonly dy: Float64Array;
  private readonly dzl: Float64Array;
  private readonly dzu: Float64Array;
  private readonly rl: Float64Array;
  private readonly ru: Float64Array;
  private readonly dxa: Float64Array;
  private readonly dzla: Float64Array;
  private readonly dzua: Float64Array;
  /** Whether x, y, zl, zu hold the solution of the last solve (a warm start needs one). */
  private solved = false;

  constructor(structure: QpStructure) {
    const s = structure;
    this.s = s;
    const { n, m } = s;
    // Column view of A: each column lists the (few) rows it appears in.
    const counts = new Int32Array(n + 1);
    for (let k = 0; k < s.colIndex.length; k++) counts[s.colIndex[k]! + 1]!++;
    for (let j = 0; j < n; j++) counts[j + 1]! += counts[j]!;
    this.colStart = counts.slice();
    this.colRow = new Int32Array(s.colIndex.length);
    this.colVal = new Float64Array(s.colIndex.length);
    const fill = counts.slice();
    for (let i = 0; i < m; i++) {
      for (let k = s.rowStart[i]!; k < s.rowStart[i + 1]!; k++) {
        const j = s.colIndex[k]!;
        const p = fill[j]!++;
        this.colRow[p] = i;
        this.colVal[p] = s.value[k]!;
      }
    }
    this.hasL = new Uint8Array(n);
    this.hasU = new Uint8Array(n);
    this.fixed = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      const l = s.lower[j]!;
      const u = s.upper[j]!;
      if (l > u) throw new QpNotSolvedError(`variable ${j} has lower bound ${l} above upper bound ${u}`);
      if (u - l <= 1e-12) this.fixed[j] = 1;
      else {
        this.hasL[j] = Number.isFinite(l) ? 1 : 0;
        this.hasU[j] = Number.isFinite(u) ? 1 : 0;
      }
    }
    this.M = new BorderedBandMatrix(m, s.bandwidth, s.border);
    // Symbolic step, done once: where each column's contribution to A·H⁻¹·Aᵀ goes.
    const slots: number[] = [];
    const products: number[] = [];
    this.pairStart = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) {
      for (let a = this.colStart[j]!; a < this.colStart[j + 1]!; a++) {
        for (let b = this.colStart[j]!; b < this.colStart[j + 1]!; b++) {
          const ra = this.colRow[a]!;
          const rb = this.colRow[b]!;
          if (rb > ra) continue;
          slots.push(this.M.offset(ra, rb));
          products.push(this.colVal[a]! * this.colVal[b]!);
        }
      }
      this.pairStart[j + 1] = slots.length;
    }
    this.pairSlot = Int32Array.from(slots);
    this.pairProduct = Float64Array.from(products);
    const vec = (len: number) => new Float64Array(len);
    this.x = vec(n);
    this.y = vec(m);
    this.zl = vec(n);
    this.zu = vec(n);
    this.rd = vec(n);
    this.rp = vec(m);
    this.hinv = vec(n);
    this.g = vec(n);
    this.dx = vec(n);
    this.dy = vec(m);
    this.dzl = vec(n);
    this.dzu = vec(n);
    this.rl = vec(n);
    this.ru = vec(n);
    this.dxa = vec(n);
    this.dzla = vec(n);
    this.dzua = vec(n);
  }

  /**
   * Solves for one cost vector. `tol` is the relative tolerance on residuals and complementarity. With
   * `warmStart`, the iterate starts from the previous solution pushed slightly into the interior (by
   * 1e-4 of each bound range and multiplier scale): successive ADMM subproblems differ little, and this
   * cuts the interior-point iterations by more than half. A failed warm start should be retried cold.
   */
  solve(
    cost: Float64Array,
    qdiag: Float64Array,
    tol = 1e-9,
    maxIterations = 80,
    warmStart = false,
  ): QpSolution {
    const { s, x, y, zl, zu, rd, rp, hasL, hasU, fixed } = this;
    const { n, m, lower, upper, rowStart, colIndex, value, rhs } = s;
    let cmax = 0;
    for (let j = 0; j < n; j++) cmax = Math.max(cmax, Math.abs(cost[j]!));
    const zscale = Math.max(1, cmax);
    const warm = warmStart && this.solved;
    this.solved = false;
    if (warm) this.pushInterior(zscale);
    else this.coldStart(zscale);
    let bmax = 0;
    for (let i = 0; i < m; i++) bmax = Math.max(bmax, Math.abs(rhs[i]!));
    let ncomp = 0;
    for (let j = 0; j < n; j++) ncomp += hasL[j]! + hasU[j]!;

    for (let it = 0; it < maxIterations; it++) {
      // Residuals: rd = c + Qx - Aᵀy - zl + zu, rp = b - Ax.
      for (let j = 0; j < n; j++) rd[j] = cost[j]! + qdiag[j]! * x[j]! - zl[j]! + zu[j]!;
      let pinf = 0;
      for (let i = 0; i < m; i++) {
        let ax = 0;
        const yi = y[i]!;
        for (let k = rowStart[i]!, end = rowStart[i + 1]!; k < end; k++) {
          const j = colIndex[k]!;
          const a = value[k]!;
          ax += a * x[j]!;
          rd[j]! -= a * yi;
        }
        const r = rhs[i]! - ax;
        rp[i] = r;
        pinf = Math.max(pinf, Math.abs(r));
      }
      let dinf = 0;
      let gap = 0;
      let obj = 0;
      for (let j = 0; j < n; j++) {
        const xj = x[j]!;
        if (!fixed[j]) dinf = Math.max(dinf, Math.abs(rd[j]!));
        if (hasL[j]) gap += (xj - lower[j]!) * zl[j]!;
        if (hasU[j]) gap += (upper[j]! - xj) * zu[j]!;
        obj += (cost[j]! + 0.5 * qdiag[j]! * xj) * xj;
      }
      if (pinf <= tol * (1 + bmax) && dinf <= tol * (1 + cmax) && gap <= tol * (1 + Math.abs(obj))) {
        this.solved = true;
        return { x: x.slice(), objective: obj, iterations: it };
      }
      const mu = ncomp > 0 ? gap / ncomp : 0;
      this.factorNormal(qdiag);
      // Predictor (affine scaling) direction.
      this.direction(0, false);
      const alphaAff = this.stepLength();
      const gapAff = this.gapAfter(alphaAff);
      const sigma = mu > 0 ? Math.min(1, (gapAff / gap) ** 3) : 0;
      this.dxa.set(this.dx);
      this.dzla.set(this.dzl);
      this.dzua.set(this.dzu);
      // Corrector: centring plus the second-order term of the complementarity products. On degenerate
      // subproblems the corrector can overshoot and make the iterates cycle; when it fails to reduce the
      // complementarity gap, take a plain centred Newton step instead (a standard safeguard).
      this.direction(sigma * mu, true);
      let alpha = Math.min(1, 0.995 * this.stepLength());
      if (this.gapAfter(alpha) > (1 - 0.01 * alpha) * gap) {
        this.direction(Math.max(sigma, 0.1) * mu, false);
        alpha = Math.min(1, 0.995 * this.stepLength());
      }
      for (let j = 0; j < n; j++) {
        if (fixed[j]) continue;
        x[j]! += alpha * this.dx[j]!;
        zl[j]! += alpha * this.dzl[j]!;
        zu[j]! += alpha * this.dzu[j]!;
      }
      for (let i = 0; i < m; i++) y[i]! += alpha * this.dy[i]!;
    }
    throw new QpNotSolvedError(`interior-point method did not converge in ${maxIterations} iterations`);
  }

  /** The row multipliers of the last solve (A·x = b rows; the sign convention of rd = c + Qx - Aᵀy). */
  duals(): Float64Array {
    return this.y.slice();
  }

  /** The warm-start state (iterate and multipliers), to solve another problem and come back. */
  snapshot(): WarmState {
    return {
      x: this.x.slice(),
      y: this.y.slice(),
      zl: this.zl.slice(),
      zu: this.zu.slice(),
      solved: this.solved,
    };
  }

  restore(state: WarmState): void {
    this.x.set(state.x);
    this.y.set(state.y);
    this.zl.set(state.zl);
    this.zu.set(state.zu);
    this.solved = state.solved;
  }

  private coldStart(zscale: number): void {
    const { s, x, y, zl, zu, hasL, hasU, fixed } = this;
    for (let j = 0; j < s.n; j++) {
      const l = s.lower[j]!;
      const u = s.upper[j]!;
      if (fixed[j]) x[j] = l;
      else if (hasL[j] && hasU[j]) x[j] = (l + u) / 2;
      else if (hasL[j]) x[j] = l + 1;
      else if (hasU[j]) x[j] = u - 1;
      else x[j] = 0;
      zl[j] = hasL[j] ? zscale : 0;
      zu[j] = hasU[j] ? zscale : 0;
    }
    y.fill(0);
  }

  private pushInterior(zscale: number): void {
    const { s, x, zl, zu, hasL, hasU, fixed } = this;
    const shift = 1e-4;
    for (let j = 0; j < s.n; j++) {
      if (fixed[j]) continue;
      const l = s.lower[j]!;
      const u = s.upper[j]!;
      if (hasL[j] && hasU[j]) x[j] = Math.min(Math.max(x[j]!, l + shift * (u - l)), u - shift * (u - l));
      else if (hasL[j]) x[j] = Math.max(x[j]!, l + shift);
      else if (hasU[j]) x[j] = Math.min(x[j]!, u - shift);
      if (hasL[j]) zl[j] = Math.max(zl[j]!, shift * zscale);
      if (hasU[j]) zu[j] = Math.max(zu[j]!, shift * zscale);
    }
  }

  /** Forms and factorises A·H⁻¹·Aᵀ with H = Q + Zl/(x-l) + Zu/(u-x). */
  private factorNormal(qdiag: Float64Array): void {
    const { s, x, zl, zu, hinv, hasL, hasU, fixed, M, pairStart, pairSlot, pairProduct } = this;
    const { n, lower, upper } = s;
    const storage = M.storage;
    M.clear();
    for (let j = 0; j < n; j++) {
      if (fixed[j]) {
        hinv[j] = 0;
        continue;
      }
      let h = qdiag[j]! + 1e-12;
      if (hasL[j]) h += zl[j]! / (x[j]! - lower[j]!);
      if (hasU[j]) h += zu[j]! / (upper[j]! - x[j]!);
      const hi = 1 / h;
      hinv[j] = hi;
      for (let p = pairStart[j]!, end = pairStart[j + 1]!; p < end; p++)
        storage[pairSlot[p]!]! += hi * pairProduct[p]!;
    }
    M.factor();
  }

  /**
   * Newton direction for complementarity target `target` (0 = affine predictor). With `corrector`
   * the products of the stored predictor steps are subtracted (Mehrotra's second-order correction).
   */
  private direction(target: number, corrector: boolean): void {
    const { s, x, zl, zu, rd, rp, hinv, g, dx, dy, dzl, dzu, rl, ru, hasL, hasU, fixed, dxa, dzla, dzua } =
      this;
    const { n, m, lower, upper, rowStart, colIndex, value } = s;
    for (let j = 0; j < n; j++) {
      if (fixed[j]) {
        g[j] = 0;
        continue;
      }
      let gj = -rd[j]!;
      if (hasL[j]) {
        const sl = x[j]! - lower[j]!;
        let r = target - sl * zl[j]!;
        if (corrector) r -= dxa[j]! * dzla[j]!;
        rl[j] = r;
        gj += r / sl;
      }
      if (hasU[j]) {
        const su = upper[j]! - x[j]!;
        let r = target - su * zu[j]!;
        if (corrector) r += dxa[j]! * dzua[j]!;
        ru[j] = r;
        gj -= r / su;
      }
      g[j] = gj;
    }
    // dy solves (A H⁻¹ Aᵀ) dy = rp - A H⁻¹ g.
    for (let j = 0; j < n; j++) dx[j] = hinv[j]! * g[j]!;
    for (let i = 0; i < m; i++) {
      let v = rp[i]!;
      for (let k = rowStart[i]!, end = rowStart[i + 1]!; k < end; k++) v -= value[k]! * dx[colIndex[k]!]!;
      dy[i] = v;
    }
    this.M.solve(dy);
    for (let i = 0; i < m; i++) {
      const d = dy[i]!;
      for (let k = rowStart[i]!, end = rowStart[i + 1]!; k < end; k++) {
        const j = colIndex[k]!;
        dx[j]! += hinv[j]! * value[k]! * d;
      }
    }
    for (let j = 0; j < n; j++) {
      dzl[j] = hasL[j] ? (rl[j]! - zl[j]! * dx[j]!) / (x[j]! - lower[j]!) : 0;
      dzu[j] = hasU[j] ? (ru[j]! + zu[j]! * dx[j]!) / (upper[j]! - x[j]!) : 0;
    }
  }

  /** Complementarity gap after a step of length alpha along the current direction. */
  private gapAfter(alpha: number): number {
    const { s, x, zl, zu, dx, dzl, dzu, hasL, hasU } = this;
    const { n, lower, upper } = s;
    let g = 0;
    for (let j = 0; j < n; j++) {
      if (hasL[j]) g += (x[j]! - lower[j]! + alpha * dx[j]!) * (zl[j]! + alpha * dzl[j]!);
      if (hasU[j]) g += (upper[j]! - x[j]! - alpha * dx[j]!) * (zu[j]! + alpha * dzu[j]!);
    }
    return g;
  }

  /** Largest step in (0, 1] keeping slacks and bound multipliers non-negative (one step for both). */
  private stepLength(): number {
    const { s, x, zl, zu, dx, dzl, dzu, hasL, hasU } = this;
    const { n, lower, upper } = s;
    let a = 1;
    for (let j = 0; j < n; j++) {
      const d = dx[j]!;
      if (hasL[j]) {
        if (d < 0) {
          const t = -(x[j]! - lower[j]!) / d;
          if (t < a) a = t;
        }
        const dz = dzl[j]!;
        if (dz < 0) {
          const t = -zl[j]! / dz;
          if (t < a) a = t;
        }
      }
      if (hasU[j]) {
        if (d > 0) {
          const t = (upper[j]! - x[j]!) / d;
          if (t < a) a = t;
        }
        const dz = dzu[j]!;
        if (dz < 0) {
          const t = -zu[j]! / dz;
          if (t < a) a = t;
        }
      }
    }
    return a;
  }
}
