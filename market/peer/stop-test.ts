// A peer's side of the stop test (peer.ts): its masked figures per iteration, the shares on its offers,
// and its tick of the tree sum (sum.ts) whose totals every peer reads the same. The figures: the peer's
// pairs' residual Σ_j Σ_t |s_ij + s_ji| (each pair is summed at both ends, so the imbalance is half the
// total) and its sales Σ_j Σ_t max(s_ij, 0); the test: imbalance ≤ tolerance · sales.
import {
  addMod,
  randomResidue,
  SUM_FIELDS,
  SUM_MODULUS,
  SUM_UNIT_KWH,
  subMod,
  sumWindowLength,
  TreeSum,
  UNKNOWN,
} from './sum.ts';
import type { SumTree } from './tree.ts';

export class StopTest {
  /** The tree's depth: totals arrive 2R ticks after their inputs. */
  readonly radius: number;
  readonly parent: number;
  private readonly children: number[];
  private readonly sum: TreeSum;
  private readonly volumeFloorKwh: number;
  /** Sum of the shares sent with this iteration's offers, per figure. */
  private readonly sentShares = new Float64Array(SUM_FIELDS);
  /** The iterate of each of the last 2R + 1 inputs, newest last (−1: a frozen iterate's repeat). */
  private readonly inputIterates: number[] = [];
  /** This tick's windows for neighbours other than the parent: the up half UNKNOWN. */
  private forOthers: Float64Array;

  constructor(self: number, neighbours: number[], tree: SumTree, volumeFloorKwh: number) {
    this.radius = tree.radius;
    this.parent = tree.parent[self]!;
    this.children = neighbours.filter((j) => tree.parent[j] === self);
    this.sum = new TreeSum(tree.radius, tree.root === self);
    this.volumeFloorKwh = volumeFloorKwh;
    this.forOthers = this.othersWindows();
  }

  private othersWindows(): Float64Array {
    const w = this.sum.windows.slice();
    w.fill(UNKNOWN, 0, this.radius * SUM_FIELDS);
    return w;
  }

  isChild(peer: number): boolean {
    return this.children.includes(peer);
  }

  /** A new iteration's offers: their shares start afresh. */
  newIteration(): void {
    this.sentShares.fill(0);
  }

  /** Writes a random share of the iteration's figures for one neighbour at `offset`, and keeps its sum. */
  shareInto(data: Float64Array, offset: number, random: () => number): void {
    for (let f = 0; f < SUM_FIELDS; f++) {
      const share = randomResidue(random);
      data[offset + f] = share;
      this.sentShares[f] = addMod(this.sentShares[f]!, share);
    }
  }

  /**
   * The iteration's figures, masked: residual rounded up and sales rounded down to whole quanta, minus
   * the shares sent with this iteration's offers plus those received (`received`: their sum).
   */
  masked(residualKwh: number, salesKwh: number, received: Float64Array): Float64Array {
    const figures = [Math.ceil(residualKwh / SUM_UNIT_KWH), Math.floor(salesKwh / SUM_UNIT_KWH)];
    const input = new Float64Array(SUM_FIELDS);
    for (let f = 0; f < SUM_FIELDS; f++)
      input[f] = subMod(addMod(figures[f]! % SUM_MODULUS, received[f]!), this.sentShares[f]!);
    return input;
  }

  /**
   * One tick of the tree sum with this tick's input (of `iterate`, −1 for a repeat); `received` are the
   * messages carrying the windows at `offset`. Returns the totals of the input 2R ticks old and its iterate.
   */
  tick(
    input: Float64Array,
    iterate: number,
    received: Map<number, Float64Array>,
    offset: number,
  ): { total: Float64Array | null; iterate: number } {
    const W = sumWindowLength(this.radius);
    const windows: Float64Array[] = [];
    const fromChildren: Float64Array[] = [];
    for (const [j, data] of received) {
      const w = data.subarray(offset, offset + W);
      windows.push(w);
      if (this.children.includes(j)) fromChildren.push(w);
    }
    const total = this.sum.tick(input, fromChildren, windows);
    this.forOthers = this.othersWindows();
    const span = 2 * this.radius + 1;
    this.inputIterates.push(iterate);
    if (this.inputIterates.length > span) this.inputIterates.shift();
    return { total, iterate: this.inputIterates.length === span ? this.inputIterates[0]! : -1 };
  }

  /** This tick's windows for neighbour `to` (the up half only for the parent): copy, do not keep. */
  windowsFor(to: number): Float64Array {
    return to === this.parent ? this.sum.windows : this.forOthers;
  }

  /** The relative imbalance of the totals: half the summed residual over the sales. */
  ratio(total: Float64Array): number {
    return total[0]! / 2 / Math.max(total[1]!, this.volumeFloorKwh / SUM_UNIT_KWH);
  }

  /** The totals' imbalance Σ pairs Σ_t |s_ij + s_ji| and sales, kWh (an upper and a lower bound). */
  totalsKwh(total: Float64Array): [number, number] {
    return [(total[0]! / 2) * SUM_UNIT_KWH, total[1]! * SUM_UNIT_KWH];
  }
}
