// Which connected peers are peers of this node: those whose status named our chain (sync.ts tells us, on
// the hello at connection and on every status after). A peer between its connection and its status is
// not counted yet; a peer of another chain never is, and is held off (other-chain.ts). Also remembers which
// peers the discovery dialer brought (discovery.ts), and describes a connection for the log (peer-log.ts).
import type { Connection } from '@libp2p/interface';
import type { OtherChainPeers } from './other-chain.ts';

export interface ChainPeersPorts {
  /** The peer's open connections. */
  connections(peer: string): Connection[];
  isConfigured(peer: string): boolean;
}

export class ChainPeers {
  private readonly ports: ChainPeersPorts;
  readonly otherChains: OtherChainPeers;
  private readonly counted = new Set<string>();
  private readonly discovered = new Set<string>();

  constructor(ports: ChainPeersPorts, otherChains: OtherChainPeers) {
    this.ports = ports;
    this.otherChains = otherChains;
  }

  /** Connected peers whose status named our chain. */
  get count(): number {
    return this.counted.size;
  }

  has(peer: string): boolean {
    return this.counted.has(peer);
  }

  /** The peer's status named our chain: it counts, if it is still connected. */
  sameChain(peer: string): void {
    if (this.ports.connections(peer).length > 0) this.counted.add(peer);
  }

  /** The peer is on another chain: not counted, held off; true if it was not held already (log it). */
  otherChain(peer: string): boolean {
    this.counted.delete(peer);
    return this.otherChains.hold(peer);
  }

  /** The discovery dialer is dialling the peer. */
  dialling(peer: string): void {
    this.discovered.add(peer);
  }

  /** The discovery dialer's dial failed: nothing to remember (forged records name any peer id). */
  dialFailed(peer: string): void {
    if (this.ports.connections(peer).length === 0) this.discovered.delete(peer);
  }

  disconnected(peer: string): void {
    this.counted.delete(peer);
    this.discovered.delete(peer);
  }

  /** How a connected peer came (configured, discovered, or it dialled us) and from which address. */
  connection(peer: string): { addr?: string; direction?: string; via: string } {
    const c = this.ports.connections(peer)[0];
    const via = this.ports.isConfigured(peer)
      ? 'configured'
      : this.discovered.has(peer)
        ? 'discovered'
        : c?.direction === 'inbound'
          ? 'inbound'
          : 'dialled';
    return { addr: c?.remoteAddr.toString(), direction: c?.direction, via };
  }
}
