// gossipsub's peer scoring, configured for this network (docs/protocol.md, "Network"). gossipsub's
// defaults are made for large public networks and go wrong here: every devnet runs on one address, and
// several honest nodes may sit behind one NAT. With the defaults, more than 10 identities on one IP cost
// every peer there a quadratic penalty (P6), and a disconnected peer's record, address included, is kept
// for an hour; so ~15 attacker identities banned on 127.0.0.1 pushed the honest peers on that address
// below the gossip and graylist thresholds for an hour, and gossip went dark.
//
// What we configure instead:
// - configured peers (bootstrap and devnet peers) are gossipsub *direct peers*: every message is sent to
//   them and accepted from them whatever their score; they are never in the mesh, so never pruned, and
//   never graylisted by colocation. Direct peering is meant to be reciprocal: both sides configure it, as
//   the devnet does (a one-sided configuration still delivers our messages and the peer's own, and the
//   rest by IHAVE gossip);
// - the addresses of configured peers are whitelisted from P6: an operator who named a host vouches for
//   its address, and any other peer there is held to the per-address connection limit (admission.ts);
// - P6 applies past COLOCATION_THRESHOLD identities per address, twice what the gater admits from one
//   address at once, so honest peers are not charged for identities we banned and are dropping;
// - a disconnected peer's gossipsub record is kept RETAIN_SCORE_MS, not an hour, so identities we banned
//   and dropped stop counting at their address within about two seconds (gossipsub purges once a second).
//   Without topic scores a record holds nothing else worth keeping: P6 is recomputed on reconnection and
//   the behaviour penalty (P7) decays by 80 % a second anyway. Reputation that must last (penalties, bans
//   for 10 minutes, by id and address) is ours, in PeerScores, and the connection gater enforces it.
// Everything else keeps gossipsub's defaults (thresholds -10/-50/-80, no topic scores).
import type { AddrInfo } from '@libp2p/gossipsub/types';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { MAX_INBOUND_PEERS_PER_IP, parsePeerAddr } from './admission.ts';

export const COLOCATION_THRESHOLD = 2 * MAX_INBOUND_PEERS_PER_IP;
export const COLOCATION_WEIGHT = -5;
export const RETAIN_SCORE_MS = 1_000;

/** Configured peers as gossipsub direct peers (addresses without a /p2p/ id cannot be direct). */
export function directPeersOf(addrs: readonly string[]): AddrInfo[] {
  const out: AddrInfo[] = [];
  for (const addr of addrs) {
    const { peerId } = parsePeerAddr(addr);
    if (peerId) out.push({ id: peerIdFromString(peerId), addrs: [multiaddr(addr)] });
  }
  return out;
}

/** gossipsub's scoring options; `colocationWhitelist` is read live, so addresses may be added later. */
export function gossipScoring(bootstrap: readonly string[], colocationWhitelist: Set<string>) {
  return {
    directPeers: directPeersOf(bootstrap),
    scoreParams: {
      IPColocationFactorThreshold: COLOCATION_THRESHOLD,
      IPColocationFactorWeight: COLOCATION_WEIGHT,
      IPColocationFactorWhitelist: colocationWhitelist,
      retainScore: RETAIN_SCORE_MS,
    },
  };
}
