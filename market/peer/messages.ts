// What the decentralised market's peers send each other. The network (agent-host.ts) carries a message
// by its addresses only; the peers check everything else (peer.ts). Payloads are flat f64 vectors:
//   OFFER   iteration, trade[T] (kWh the sender offers to sell to the receiver per period, < 0 = buy),
//           share[2] (its random share of the iteration's stop-test figures), sum windows (sum.ts:
//           up[2R], to the parent only, else UNKNOWN; down[2(R+1)]: the stop test's masked tree sum)
//   CHECK   sum windows, maxPrice[T], -minPrice[T]    (is the frozen iterate balanced? flooded price extremes)
//   MASK    share[W]                                  (random residues: the receiver adds them, the sender subtracts them)
//   SUM     up[W] (to the parent only, else UNKNOWN), down[W]   (the certificate's masked tree sum, sum.ts)
// with W = 2 + T certificate fields (bracket.ts): own cost, Lagrangian value, deviation[T].

import { certificateWidth } from './bracket.ts';
import { SUM_FIELDS, sumWindowLength } from './sum.ts';

export const PeerKind = { offer: 1, check: 2, mask: 3, sum: 4 } as const;
export type PeerKind = (typeof PeerKind)[keyof typeof PeerKind];

export interface PeerMessage {
  from: number;
  to: number;
  kind: PeerKind;
  data: Float64Array;
}

/** Payload length of each kind, for the receiver's check; `radius` is the sum tree's depth (tree.ts). */
export function payloadLength(kind: PeerKind, periods: number, radius: number): number {
  switch (kind) {
    case PeerKind.offer:
      return 1 + periods + SUM_FIELDS + sumWindowLength(radius);
    case PeerKind.check:
      return sumWindowLength(radius) + 2 * periods;
    case PeerKind.mask:
      return certificateWidth(periods);
    case PeerKind.sum:
      return 2 * certificateWidth(periods);
  }
}

/**
 * A tick's inbox as a peer accepts it: every message addressed to `self` from one of its neighbours, of
 * `kind` and `length`, without NaN, at most one per neighbour; from every neighbour if `wanted`, from
 * none otherwise. Throws on anything else (the network reads nothing but the addresses).
 */
export function checkedInbox(
  inbox: PeerMessage[],
  o: { self: number; neighbours: number[]; kind: PeerKind; length: number; wanted: boolean },
): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  const { self, neighbours, kind, length } = o;
  // Runs for every message of every tick: the error text is only built when a check fails.
  const what = (m: PeerMessage) => `peer ${self}: message from ${m.from}`;
  for (const m of inbox) {
    if (m.to !== self) throw new Error(`${what(m)} addressed to ${m.to}`);
    if (!neighbours.includes(m.from)) throw new Error(`${what(m)}, not a neighbour`);
    if (m.kind !== kind) throw new Error(`${what(m)} of kind ${m.kind}, expected ${kind}`);
    const data = m.data;
    if (!(data instanceof Float64Array) || data.length !== length)
      throw new Error(`${what(m)}: ${data?.length} numbers, expected ${length}`);
    for (let k = 0; k < length; k++) if (Number.isNaN(data[k])) throw new Error(`${what(m)}: NaN`);
    if (out.has(m.from)) throw new Error(`${what(m)}: twice in one tick`);
    out.set(m.from, data);
  }
  if (o.wanted && out.size !== neighbours.length)
    throw new Error(`peer ${self}: ${out.size} of ${neighbours.length} neighbours answered`);
  if (!o.wanted && out.size > 0) throw new Error(`peer ${self}: unexpected messages`);
  return out;
}
