// Peers of another network. A node whose status names another genesis hash or chain id is most likely an
// honest node of a different network, or one initialised from another genesis file by mistake: not an
// offender. It is disconnected at the handshake with a log line naming both chains, never counted as a
// peer, not penalised and not banned (its address stays open to everyone else). It is held off for
// OTHER_CHAIN_HOLD_MS (the gater refuses its dials and connections both ways), so that a bootstrap address
// of another chain is not redialled every 3 s with a line each time; then it is tried again, since its
// operator may have re-initialised it on our genesis. A peer that speaks neither the chain-agnostic hello
// nor our chain's status says no chain at all: it is never counted, but stays subject to the usual
// verdicts (a gossiping attacker is banned for what it sends, not held off as a stranger).
import { toHex } from '../protocol/bytes.ts';
import type { Status } from './protocol.ts';

export const OTHER_CHAIN_HOLD_MS = 60_000;
/** Held peers remembered at once (the oldest forgotten first). */
const MAX_HELD = 1024;

export interface OtherChainReport {
  peer: string;
  ours: { chainId: number; genesisHash: string };
  theirs: { chainId: number; genesisHash: string };
  /** Who noticed: our request's answer ('asked') or the peer's request to us ('answered'). */
  via: 'asked' | 'answered';
  heldMs: number;
}

export function otherChainReport(
  peer: string,
  ours: Status,
  theirs: Status,
  via: OtherChainReport['via'],
): OtherChainReport {
  const chain = (s: Status) => ({ chainId: s.chainId, genesisHash: toHex(s.genesisHash) });
  return { peer, ours: chain(ours), theirs: chain(theirs), via, heldMs: OTHER_CHAIN_HOLD_MS };
}

/** One line for the operator, naming both chains. */
export function describeOtherChain(r: OtherChainReport): string {
  return (
    `peer ${r.peer} is on another chain (chain id ${r.theirs.chainId}, genesis ${r.theirs.genesisHash}; ours: chain id ${r.ours.chainId}, genesis ${r.ours.genesisHash}): ` +
    `disconnected, not counted as a peer, not dialled for ${Math.round(r.heldMs / 1000)} s; ` +
    'nodes of one network must be initialised from the same genesis file'
  );
}

export class OtherChainPeers {
  private readonly held = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Holds the peer off; false if it was already held (so the caller logs once per hold). */
  hold(peer: string): boolean {
    const fresh = !this.isHeld(peer);
    this.held.delete(peer);
    this.held.set(peer, this.now() + OTHER_CHAIN_HOLD_MS);
    if (this.held.size > MAX_HELD) this.held.delete(this.held.keys().next().value!);
    return fresh;
  }

  isHeld(peer: string): boolean {
    const until = this.held.get(peer);
    return until !== undefined && until > this.now();
  }
}
