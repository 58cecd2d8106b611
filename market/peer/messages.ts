// What the decentralised market's peers send each other. The network (agent-host.ts) carries a message
// by its addresses only; the peers check everything else (peer.ts). Payloads are flat f64 vectors:
//   OFFER   iteration, trade[T] (kWh the sender offers to sell to the receiver per period, < 0 = buy),
//           window[D+1] (the stop test's flood: the largest local residual ratio heard of, per age)
//   CHECK   ratio, maxPrice[T], -minPrice[T]          (flooded maxima: is the frozen iterate balanced?)
//   MASK    share[W]                                  (a random share: the receiver adds it, the sender subtracts it)
//   GOSSIP  value[W], weight                          (push-sum: half-lives of masked values)
//   AGREE   for each gossip field its max and -min estimate over the peers (flooded)
// with W = 4 + T gossip fields: own cost, Lagrangian bound, half the pairs' residual, sales, deviation[T].

export const PeerKind = { offer: 1, check: 2, mask: 3, gossip: 4, agree: 5 } as const;
export type PeerKind = (typeof PeerKind)[keyof typeof PeerKind];

export interface PeerMessage {
  from: number;
  to: number;
  kind: PeerKind;
  data: Float64Array;
}

/** Gossip fields before the per-period deviations. */
export const GOSSIP_SCALARS = ['ownCost', 'bound', 'residual', 'sales'] as const;

export function gossipWidth(periods: number): number {
  return GOSSIP_SCALARS.length + periods;
}

/** Payload length of each kind, for the receiver's check. */
export function payloadLength(kind: PeerKind, periods: number, floodRounds: number): number {
  switch (kind) {
    case PeerKind.offer:
      return 1 + periods + floodRounds + 1;
    case PeerKind.check:
      return 1 + 2 * periods;
    case PeerKind.mask:
      return gossipWidth(periods);
    case PeerKind.gossip:
      return gossipWidth(periods) + 1;
    case PeerKind.agree:
      return 2 * gossipWidth(periods);
  }
}
