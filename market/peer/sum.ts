// The decentralised market's stop test as an exact masked sum (peer.ts): Σ_i residual_i / 2 ≤ tolerance ·
// Σ_i sales_i over all peers (each pair's residual is summed at both ends), computed by the peers on the
// tick messages they send anyway.
//
// Masking. A peer's two figures are quantised to whole units of SUM_UNIT_KWH (the residual rounded up,
// the sales down, so the test can only be stricter than on the exact figures) and added modulo
// SUM_MODULUS. With each offer a peer sends every neighbour a uniformly random share of that iteration's
// figures and subtracts it; the neighbour adds it. Shares cancel in the sum, and a peer's masked figures
// are uniformly distributed to anyone missing one of its shares: a neighbour that takes off the two
// shares it exchanged with the peer still misses those of the peer's other neighbours.
//
// Pipeline (tree.ts: every peer knows its parent on the same public spanning tree of depth R). Every
// tick a peer takes one masked input and sends, with its messages, two windows indexed by age:
//   up[h]    (to its parent only) its subtree's sum within h levels of itself of the inputs h ticks old:
//            own input of age h + its children's up[h − 1] of last tick;
//   down[h]  (to every neighbour) the root's total of the inputs R + h ticks old, flooded by maximum
//            (UNKNOWN = −1 below every sum): the root's own down[0] is its input of age R plus its
//            children's up[R − 1]; down[h] = max(own and neighbours' down[h − 1] of last tick).
// So down[R] at every peer is the exact total of the inputs 2R ticks old: the same integer everywhere,
// whatever the masks, and so the same decision at every peer in the same tick. Nothing but the two
// windows travel; the total of all peers' figures is the only unmasked number anyone learns.

/** Figures summed: the peers' residual Σ_j Σ_t |s_ij + s_ji| and sales Σ_j Σ_t max(s_ij, 0). */
export const SUM_FIELDS = 2;
/** Quantum of the summed figures, kWh (so the sums are exact up to 4.5e9 kWh). */
export const SUM_UNIT_KWH = 1e-6;
/** Sums are taken modulo 2^52: two residues add exactly in a double. */
export const SUM_MODULUS = 2 ** 52;
/** A down slot not yet reached by the root's total. */
export const UNKNOWN = -1;

export function addMod(a: number, b: number): number {
  const s = a + b;
  return s >= SUM_MODULUS ? s - SUM_MODULUS : s;
}

export function subMod(a: number, b: number): number {
  const s = a - b;
  return s < 0 ? s + SUM_MODULUS : s;
}

/** A uniformly random residue from a source of 32-bit fractions. */
export function randomResidue(random: () => number): number {
  return Math.floor(random() * 2 ** 20) * 2 ** 32 + Math.floor(random() * 2 ** 32);
}

/** Numbers of the up and down windows in one message. */
export function sumWindowLength(radius: number): number {
  return SUM_FIELDS * (2 * radius + 1);
}

export class TreeSum {
  private readonly R: number;
  private readonly isRoot: boolean;
  /** Own masked inputs by age 0..R. */
  private readonly inputs: Float64Array;
  private inputCount = 0;
  /** The windows sent this tick: up[R·F] then down[(R + 1)·F]. */
  windows: Float64Array;

  constructor(radius: number, isRoot: boolean) {
    this.R = radius;
    this.isRoot = isRoot;
    this.inputs = new Float64Array((radius + 1) * SUM_FIELDS);
    this.windows = new Float64Array(sumWindowLength(radius));
    this.windows.fill(UNKNOWN, radius * SUM_FIELDS);
  }

  /**
   * One tick: this tick's masked input and the windows received last tick — from the children (their
   * up halves count) and from every neighbour (their down halves count). Returns the total of the
   * inputs 2R ticks old once known (the same at every peer), else null.
   */
  tick(
    input: Float64Array,
    fromChildren: Float64Array[],
    fromNeighbours: Float64Array[],
  ): Float64Array | null {
    const F = SUM_FIELDS;
    const R = this.R;
    const inputs = this.inputs;
    inputs.copyWithin(F, 0, R * F);
    inputs.set(input.subarray(0, F));
    this.inputCount++;
    const last = this.windows;
    const next = new Float64Array(last.length);
    // up[h] = own input of age h + the children's up[h − 1]; at the root, h = R is the total (down[0]).
    const rootTotal = this.isRoot && this.inputCount > R;
    const down = R * F;
    for (let h = 0; h <= (rootTotal ? R : R - 1); h++) {
      for (let f = 0; f < F; f++) {
        let s = inputs[h * F + f]!;
        if (h > 0)
          for (let c = 0; c < fromChildren.length; c++) s = addMod(s, fromChildren[c]![(h - 1) * F + f]!);
        next[h * F + f] = s;
      }
    }
    if (!rootTotal) for (let f = 0; f < F; f++) next[down + f] = UNKNOWN;
    // down[h] = the largest down[h − 1] this peer or a neighbour held last tick.
    for (let k = down; k < down + R * F; k++) {
      let m = last[k]!;
      for (let n = 0; n < fromNeighbours.length; n++) {
        const v = fromNeighbours[n]![k]!;
        if (v > m) m = v;
      }
      next[k + F] = m;
    }
    this.windows = next;
    const total = next.subarray(down + R * F, down + (R + 1) * F);
    return total[0] === UNKNOWN ? null : total;
  }
}

/**
 * A one-off masked sum of fixed inputs (the certificate's figures, any number of fields): every tick a
 * peer sends its parent its input plus its children's last partial sums, and the root, once those are
 * complete (R ticks), floods the total by maximum. After 2R ticks every peer holds it.
 */
export class FrozenSum {
  private readonly R: number;
  private readonly isRoot: boolean;
  private readonly fields: number;
  private input: Float64Array;
  private ticks = 0;
  /** The windows sent this tick: up[fields] (the partial sum) then down[fields] (the total, or UNKNOWN). */
  windows: Float64Array;

  constructor(radius: number, isRoot: boolean, fields: number) {
    this.R = radius;
    this.isRoot = isRoot;
    this.fields = fields;
    this.input = new Float64Array(fields);
    this.windows = new Float64Array(2 * fields);
  }

  /** Starts a sum of `input` (masked residues); returns the total at once if the tree is one peer. */
  start(input: Float64Array): Float64Array | null {
    this.input = input;
    this.ticks = 0;
    this.windows = new Float64Array(2 * this.fields);
    this.windows.set(input);
    if (this.isRoot && this.R === 0) {
      this.windows.set(input, this.fields);
      return input;
    }
    this.windows.fill(UNKNOWN, this.fields);
    return null;
  }

  /** One tick on the windows received last tick; the total once every peer holds it (after 2R ticks). */
  tick(fromChildren: Float64Array[], fromNeighbours: Float64Array[]): Float64Array | null {
    const F = this.fields;
    this.ticks++;
    const next = new Float64Array(2 * F);
    for (let f = 0; f < F; f++) {
      let up = this.input[f]!;
      for (const c of fromChildren) up = addMod(up, c[f]!);
      next[f] = up;
      let down = this.windows[F + f]!;
      if (this.isRoot && this.ticks >= this.R) down = up;
      else for (const w of fromNeighbours) down = Math.max(down, w[F + f]!);
      next[F + f] = down;
    }
    this.windows = next;
    return this.ticks >= 2 * this.R ? next.subarray(F) : null;
  }
}
