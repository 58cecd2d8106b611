// Cholesky factorisation of a symmetric positive definite matrix that is banded except for a few dense
// trailing rows ("arrowhead" / bordered band). A prosumer's normal-equation matrix has exactly this
// shape: balance and state-of-charge rows couple only neighbouring periods, while an energy requirement
// of a flexible load is one row touching every period of its window. Cost: O(m·w² + m·k·w + k³)
// instead of O(m³) for a dense factorisation.

/** A bordered band matrix: `m` rows, the first `m - k` with half-bandwidth `w`, the last `k` dense. */
export class BorderedBandMatrix {
  readonly m: number;
  readonly w: number;
  readonly k: number;
  readonly nb: number;
  /** band[i * (w + 1) + d] holds M[i][i - d] for the banded block (lower triangle). */
  readonly band: Float64Array;
  /** border[r * nb + j] holds M[nb + r][j] for j < nb. */
  readonly border: Float64Array;
  /** corner[r * k + s] holds M[nb + r][nb + s]. */
  readonly corner: Float64Array;
  /** One buffer behind band, border and corner, so callers can precompute where an entry lives. */
  readonly storage: Float64Array;
  private readonly tmp: Float64Array;

  constructor(m: number, w: number, k: number) {
    this.m = m;
    this.w = w;
    this.k = k;
    this.nb = m - k;
    const bandSize = this.nb * (w + 1);
    const borderSize = k * this.nb;
    this.storage = new Float64Array(bandSize + borderSize + k * k);
    this.band = this.storage.subarray(0, bandSize);
    this.border = this.storage.subarray(bandSize, bandSize + borderSize);
    this.corner = this.storage.subarray(bandSize + borderSize);
    this.tmp = new Float64Array(Math.max(k, 1));
  }

  clear(): void {
    this.storage.fill(0);
  }

  /** Index in `storage` of M[i][j] (and implicitly M[j][i]); requires i >= j. */
  offset(i: number, j: number): number {
    const { nb, w, k } = this;
    if (i < nb) {
      const d = i - j;
      if (d > w) throw new Error(`entry (${i},${j}) lies outside the band of half-width ${w}`);
      return i * (w + 1) + d;
    }
    if (j < nb) return this.band.length + (i - nb) * nb + j;
    return this.band.length + this.border.length + (i - nb) * k + (j - nb);
  }

  /** Adds v to M[i][j] (and implicitly M[j][i]); requires i >= j. */
  add(i: number, j: number, v: number): void {
    this.storage[this.offset(i, j)]! += v;
  }

  /**
   * In-place Cholesky factorisation M = L·Lᵀ. Pivots below `floor` (rank deficiency from rows whose
   * variables are all at their bounds) are replaced by a large value, which zeroes that direction.
   */
  factor(floor = 1e-30): void {
    const { nb, w, k, band, border, corner } = this;
    const W = w + 1;
    for (let i = 0; i < nb; i++) {
      const j0 = Math.max(0, i - w);
      for (let j = j0; j <= i; j++) {
        let s = band[i * W + (i - j)]!;
        const l0 = Math.max(j0, j - w);
        for (let l = l0; l < j; l++) s -= band[i * W + (i - l)]! * band[j * W + (j - l)]!;
        if (j === i) {
          band[i * W] = s > floor ? Math.sqrt(s) : 1e30;
        } else {
          band[i * W + (i - j)] = s / band[j * W]!;
        }
      }
    }
    // Border rows: solve L·yᵀ = borderᵀ row by row (forward substitution along the band).
    for (let r = 0; r < k; r++) {
      const off = r * nb;
      for (let j = 0; j < nb; j++) {
        let s = border[off + j]!;
        const l0 = Math.max(0, j - w);
        for (let l = l0; l < j; l++) s -= border[off + l]! * band[j * W + (j - l)]!;
        border[off + j] = s / band[j * W]!;
      }
    }
    // Schur complement of the corner, then its dense Cholesky.
    for (let r = 0; r < k; r++) {
      for (let s = 0; s <= r; s++) {
        let v = corner[r * k + s]!;
        for (let j = 0; j < nb; j++) v -= border[r * nb + j]! * border[s * nb + j]!;
        for (let l = 0; l < s; l++) v -= corner[r * k + l]! * corner[s * k + l]!;
        if (r === s) corner[r * k + r] = v > floor ? Math.sqrt(v) : 1e30;
        else corner[r * k + s] = v / corner[s * k + s]!;
      }
    }
  }

  /** Solves M·x = rhs in place using the factor. */
  solve(x: Float64Array): void {
    const { nb, w, k, band, border, corner, tmp } = this;
    const W = w + 1;
    for (let i = 0; i < nb; i++) {
      let s = x[i]!;
      for (let l = Math.max(0, i - w); l < i; l++) s -= band[i * W + (i - l)]! * x[l]!;
      x[i] = s / band[i * W]!;
    }
    for (let r = 0; r < k; r++) {
      let s = x[nb + r]!;
      for (let j = 0; j < nb; j++) s -= border[r * nb + j]! * x[j]!;
      for (let l = 0; l < r; l++) s -= corner[r * k + l]! * x[nb + l]!;
      x[nb + r] = s / corner[r * k + r]!;
    }
    for (let r = k - 1; r >= 0; r--) {
      let s = x[nb + r]!;
      for (let l = r + 1; l < k; l++) s -= corner[l * k + r]! * x[nb + l]!;
      x[nb + r] = s / corner[r * k + r]!;
      tmp[r] = x[nb + r]!;
    }
    for (let i = nb - 1; i >= 0; i--) {
      let s = x[i]!;
      for (let r = 0; r < k; r++) s -= border[r * nb + i]! * tmp[r]!;
      for (let l = i + 1; l <= Math.min(nb - 1, i + w); l++) s -= band[l * W + (l - i)]! * x[l]!;
      x[i] = s / band[i * W]!;
    }
  }
}
