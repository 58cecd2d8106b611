// The operator's view of the network: what Network emits about peers, written through the injected
// logger (log.ts) as one line per event. Connects say how the peer came (configured, discovered, or it
// dialled us) and from which address; disconnects how many peers are left; penalties the score and the
// reason; bans the address banned with the id; a peer of another chain both chains (other-chain.ts).
// Network supplies the facts the events do not carry (PeerFacts), so this file imports nothing of it.
import type { LogFields, P2pLog } from './log.ts';
import { describeOtherChain, type OtherChainReport } from './other-chain.ts';
import { BAN_MS } from './peers.ts';

export interface PeerLogEvents {
  'peer:connect': [string];
  'peer:disconnect': [string];
  penalty: [string, number, string];
  ban: [string];
  'other-chain': [OtherChainReport];
  /** A configured peer closed our last connections at once (configured-peers.ts): redials held off. */
  refusing: [string, number, number];
}

export interface PeerFacts {
  /** How the peer's connection came about and from where, while it is connected. */
  connection(peer: string): { addr?: string; direction?: string; via: string };
  /** Peers of our chain now connected (the status API's `peers`). */
  peerCount(): number;
  /** The address a ban also covers (none for loopback or unknown). */
  bannedAddress(peer: string): string | undefined;
}

/** The listener of each peer event, writing to `log`. */
export function peerLogListeners(
  facts: PeerFacts,
  log: P2pLog,
): { [K in keyof PeerLogEvents]: (...args: PeerLogEvents[K]) => void } {
  return {
    'peer:connect': (peer) => {
      const c = facts.connection(peer);
      log.info({ peer, addr: c.addr, direction: c.direction, via: c.via }, 'peer connected');
    },
    'peer:disconnect': (peer) => log.info({ peer, peers: facts.peerCount() }, 'peer disconnected'),
    penalty: (peer, score, reason) =>
      log.warn({ peer, score: Math.round(score * 10) / 10, reason }, 'peer penalised'),
    ban: (peer) =>
      log.warn(
        { peer, address: facts.bannedAddress(peer), minutes: BAN_MS / 60_000 },
        'peer banned: its connections and dials refused',
      ),
    refusing: (peer, inRow, holdMs) =>
      log.warn(
        { peer, refusals: inRow },
        `configured peer closed our last ${inRow} connections at once (it may have banned this node): redials ` +
          `are spaced out (${holdMs / 1000} s now, doubling up to a minute) until a connection lasts`,
      ),
    'other-chain': (r) => {
      const fields: LogFields = {
        peer: r.peer,
        ourChainId: r.ours.chainId,
        ourGenesis: r.ours.genesisHash,
        theirChainId: r.theirs.chainId,
        theirGenesis: r.theirs.genesisHash,
      };
      log.warn(fields, describeOtherChain(r));
    },
  };
}
