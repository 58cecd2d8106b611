// The sums of one secure round, and what it takes to get them when parties are missing or hostile
// (docs/market.md, "Drop-outs and hostile contributions"). The accepted parties' masked vectors add up
// to the sum of their values once the masks they shared with parties outside the sum are taken out:
// those masks are revealed by the accepted end of each pair (REVEAL), for this round only. A party
// that fails to reveal leaves the sum in turn. A sum beyond what honest parties can send is narrowed
// down by halving over connected groups of at least `minGroup` parties (`identify`).
import { accumulateWords, decodeSums, type Layout } from '../secagg/fixed.ts';
import { fieldIndex } from './layouts.ts';
import { type decodeReply, encodeRequest, Kind, MAX_REVEAL_TARGETS, sameBytes } from './messages.ts';
import type { PartyAnswer } from './transport.ts';

/** What a round's recovery needs from its session. */
export interface RoundContext {
  round: number;
  layout: Layout;
  sessionId: Uint8Array;
  graph: number[][];
  /** Whom each party masked with in this round. */
  maskedWith: Map<number, readonly number[]>;
  minGroup: number;
  deadlineMs: number;
  exchange(requests: Map<number, Uint8Array>, deadlineMs: number): Promise<Map<number, PartyAnswer>>;
  /** Why an answer is not acceptable (penalising malformed bytes), or undefined. */
  check(
    i: number,
    a: PartyAnswer,
    accept: (r: ReturnType<typeof decodeReply>) => boolean,
    words?: number,
  ): string | undefined;
}

export class RoundRecovery {
  /** Revealed masks, by "i:j": the mask party i shared with party j in this round. */
  readonly masks = new Map<string, Uint8Array>();
  private readonly ctx: RoundContext;
  private readonly accepted: Map<number, Uint8Array>;
  private readonly dropped: Set<number>;

  /** `accepted` and `dropped` are the round's, and are updated as parties leave the sum. */
  constructor(ctx: RoundContext, accepted: Map<number, Uint8Array>, dropped: Set<number>) {
    this.ctx = ctx;
    this.accepted = accepted;
    this.dropped = dropped;
  }

  /**
   * Reveals, from every accepted party, the masks it shared with dropped ones; a party that fails to
   * reveal is dropped in turn (and its own masks recovered). Returns who was dropped, and why.
   */
  async recover(): Promise<Map<number, string>> {
    const { accepted, dropped, masks } = this;
    const maskedWith = this.ctx.maskedWith;
    const out = new Map<number, string>();
    for (;;) {
      if (dropped.size === 0) return out;
      const wanted = new Map<number, number[]>();
      for (const i of accepted.keys()) {
        const targets = maskedWith.get(i)!.filter((j) => dropped.has(j) && !masks.has(`${i}:${j}`));
        if (targets.length > 0) wanted.set(i, targets);
      }
      if (wanted.size === 0) return out;
      const failed = await this.reveal(wanted);
      for (const [i, reason] of failed) {
        out.set(i, reason);
        accepted.delete(i);
        dropped.add(i);
      }
    }
  }

  /** Asks each party in `wanted` for its masks with the listed neighbours; returns those who failed. */
  private async reveal(wanted: Map<number, number[]>): Promise<Map<number, string>> {
    const { round, layout: l, sessionId } = this.ctx;
    const masks = this.masks;
    const failed = new Map<number, string>();
    let pending = new Map(wanted);
    while (pending.size > 0) {
      const requests = new Map<number, Uint8Array>();
      const asked = new Map<number, number[]>();
      const rest = new Map<number, number[]>();
      for (const [i, targets] of pending) {
        const now = targets.slice(0, MAX_REVEAL_TARGETS);
        if (targets.length > now.length) rest.set(i, targets.slice(now.length));
        asked.set(i, now);
        requests.set(i, encodeRequest({ kind: Kind.reveal, session: sessionId, round, targets: now }));
      }
      const answers = await this.ctx.exchange(requests, this.ctx.deadlineMs);
      for (const [i, targets] of asked) {
        const a = answers.get(i) ?? { ok: false as const, failure: 'failed' as const, detail: 'no answer' };
        let got: { index: number; words: Uint8Array }[] = [];
        const reason = this.ctx.check(
          i,
          a,
          (r) => {
            if (r.kind !== Kind.masks || r.round !== round || !sameBytes(r.session, sessionId)) return false;
            if (r.masks.length !== targets.length || r.masks.some((m, k) => m.index !== targets[k]))
              return false;
            got = r.masks;
            return true;
          },
          l.words,
        );
        if (reason) {
          failed.set(i, reason);
          rest.delete(i);
        } else for (const m of got) masks.set(`${i}:${m.index}`, m.words.slice());
      }
      pending = rest;
    }
    return failed;
  }

  /**
   * The sum over `members` of their values: their masked vectors minus the masks they shared with
   * anyone outside `members` (which must have been revealed).
   */
  sumOf(members: number[], closed = false): { values: Float64Array[]; valid: boolean } {
    const { accepted, masks } = this;
    const { layout: l, maskedWith } = this.ctx;
    const inside = new Set(closed ? [] : members);
    const lo = new Float64Array(l.words);
    const hi = new Float64Array(l.words);
    for (const i of members) {
      accumulateWords(accepted.get(i)!, 0, l.words, 1, lo, hi);
      // `closed`: nobody outside `members` masked with them this round (no drop-out): nothing to remove.
      if (closed) continue;
      for (const j of maskedWith.get(i)!) {
        if (inside.has(j)) continue;
        const m = masks.get(`${i}:${j}`);
        if (!m) throw new Error(`internal: mask ${i}:${j} needed but not revealed`);
        // Party i added +mask for a higher index and -mask for a lower one: take it back out.
        accumulateWords(m, 0, l.words, j > i ? -1 : 1, lo, hi);
      }
    }
    const { values, invalid } = decodeSums(l, lo, hi, members.length);
    const count = values[fieldIndex(l, 'count')]![0]!;
    return { values, valid: invalid === undefined && count === members.length };
  }

  /** Connected pieces of `members` in the masking graph restricted to them. */
  private components(members: number[]): number[][] {
    const graph = this.ctx.graph;
    const inside = new Set(members);
    const seen = new Set<number>();
    const out: number[][] = [];
    for (const start of members) {
      if (seen.has(start)) continue;
      const piece = [start];
      seen.add(start);
      for (let q = 0; q < piece.length; q++) {
        for (const j of graph[piece[q]!]!) {
          if (inside.has(j) && !seen.has(j)) {
            seen.add(j);
            piece.push(j);
          }
        }
      }
      out.push(piece);
    }
    return out;
  }

  /**
   * Splits a connected group in two parts whose connected pieces all have at least `minGroup` members:
   * a breadth-first prefix of about half (connected), plus any piece of the rest that would be too small
   * (each touches the prefix, so the part stays connected). Tries each member as the root; undefined if
   * no root gives a proper split.
   */
  private split(group: number[], minGroup: number): [number[], number[]] | undefined {
    for (const root of group) {
      const ordered = this.components([root, ...group.filter((i) => i !== root)])[0]!;
      const half = ordered.slice(0, Math.floor(group.length / 2));
      const inHalf = new Set(half);
      const rest = group.filter((i) => !inHalf.has(i));
      const kept: number[] = [];
      for (const piece of this.components(rest)) {
        if (piece.length < minGroup) half.push(...piece);
        else kept.push(...piece);
      }
      if (half.length >= minGroup && kept.length >= minGroup) return [half, kept];
    }
    return undefined;
  }

  /** Finds the parties behind an invalid sum by halving (see the header); returns who to exclude. */
  async identify(): Promise<number[]> {
    const { accepted, masks } = this;
    const { maskedWith, minGroup } = this.ctx;
    let suspects = [...accepted.keys()];
    for (;;) {
      const pieces = this.components(suspects);
      if (pieces.length > 1) {
        // Disconnected suspects: each piece's sum is already known from the revealed cuts.
        const bad = pieces.find((p) => !this.sumOf(p).valid);
        if (!bad) return suspects;
        suspects = bad;
        continue;
      }
      if (suspects.length < 2 * minGroup) return suspects;
      const split = this.split(pieces[0]!, minGroup);
      if (!split) return suspects;
      const [half, other] = split;
      const inHalf = new Set(half);
      // Reveal the masks across the cut, from both sides (each side's sum needs its own).
      const wanted = new Map<number, number[]>();
      const suspectSet = new Set(suspects);
      for (const i of suspects) {
        const targets = maskedWith
          .get(i)!
          .filter(
            (j) =>
              accepted.has(j) &&
              (!suspectSet.has(j) || inHalf.has(i) !== inHalf.has(j)) &&
              !masks.has(`${i}:${j}`),
          );
        if (targets.length > 0) wanted.set(i, targets);
      }
      const failed = await this.reveal(wanted);
      if (failed.size > 0) return [...failed.keys()];
      suspects = this.sumOf(half).valid ? other : half;
    }
  }
}
