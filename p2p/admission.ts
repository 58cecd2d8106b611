// Who may connect: the connection gater's rules. Configured peers (bootstrap and devnet peers, which the
// operator named) are admitted unless their own peer id is banned or held off (a node of another chain,
// other-chain.ts): an attacker's ban on the address they share (a NAT, one machine) does not shut them
// out. Discovered peers (discovery.ts) are not configured peers. Any other peer is refused when its id or
// its address is banned (PeerScores) or when MAX_INBOUND_PEERS_PER_IP unconfigured peers are already
// connected inbound from its address, so one address cannot fill our connections (and gossipsub's mesh)
// with identities.
// Cheap checks first: before the encryption handshake only the address is known, and a full address is
// refused there, before any handshake work (identities waiting for a slot retry often); a configured peer
// on that address still connects, because we dial configured peers ourselves and outbound connections are
// not subject to the limit. After the handshake the peer id is known: configured peers pass, and the
// limit is checked again. libp2p's connection manager limits the rate of inbound connections per address
// and the pending upgrades (network.ts); this file adds only what libp2p lacks: a limit per address.
import type { Connection, ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerScores } from './peers.ts';

/** Unconfigured peers connected inbound from one IP address at once (configured peers not counted). */
export const MAX_INBOUND_PEERS_PER_IP = 8;

export const ipOf = (addr: { toString(): string }): string | undefined =>
  /\/ip[46]\/([^/]+)/.exec(addr.toString())?.[1];

/** The peer id and the IP address (if any) of a multiaddr such as /ip4/10.0.0.2/tcp/30300/p2p/12D3…. */
export function parsePeerAddr(addr: string): { peerId?: string; ip?: string } {
  const parts = multiaddr(addr).getComponents();
  return {
    peerId: parts.find((c) => c.name === 'p2p')?.value,
    ip: parts.find((c) => c.name === 'ip4' || c.name === 'ip6')?.value,
  };
}

export interface AdmissionOptions {
  scores: PeerScores;
  /** An extra rule (tests use it to partition the network). */
  denyPeer?: (peerId: string) => boolean;
  /** Peers held off for a while without a ban: nodes of another chain (other-chain.ts). */
  heldOff?: (peerId: string) => boolean;
  /** The open connections, once libp2p exists (the gater is built before it). */
  connections?: () => Connection[];
}

export class PeerAdmission {
  private readonly scores: PeerScores;
  private readonly denyPeer?: (peerId: string) => boolean;
  private readonly heldOff?: (peerId: string) => boolean;
  connections: () => Connection[];
  private readonly configured = new Set<string>();
  /** Addresses of configured peers: from their multiaddrs and from their connections. */
  readonly configuredIps = new Set<string>();

  constructor(opts: AdmissionOptions) {
    this.scores = opts.scores;
    this.denyPeer = opts.denyPeer;
    this.heldOff = opts.heldOff;
    this.connections = opts.connections ?? (() => []);
  }

  /** Names a peer by its multiaddr (with /p2p/<id>) as configured; returns its peer id. */
  configure(addr: string): string | undefined {
    const { peerId, ip } = parsePeerAddr(addr);
    if (peerId) this.configured.add(peerId);
    if (peerId && ip) this.configuredIps.add(ip);
    return peerId;
  }

  isConfigured(peer: string): boolean {
    return this.configured.has(peer);
  }

  /** A configured peer connected from `ip` (perhaps not the address it was configured with). */
  noteConnection(peer: string, ip: string | undefined): void {
    if (ip && this.configured.has(peer)) this.configuredIps.add(ip);
  }

  /** Banned, held off (another chain's node), or refused by the extra rule: no connection either way. */
  isDenied(peer: string): boolean {
    return this.scores.isBanned(peer) || (this.heldOff?.(peer) ?? false) || (this.denyPeer?.(peer) ?? false);
  }

  /**
   * Before encryption only the address is known: refuse a banned address unless a configured peer uses
   * it, and a full address (MAX_INBOUND_PEERS_PER_IP unconfigured peers connected inbound from it).
   */
  refusesAddress(ip: string | undefined): boolean {
    if (ip === undefined) return false;
    if (this.scores.isIpBanned(ip) && !this.configuredIps.has(ip)) return true;
    return this.unconfiguredInboundFrom(ip).size >= MAX_INBOUND_PEERS_PER_IP;
  }

  /** Why an inbound peer is refused once its id is known, or undefined if it is admitted. */
  refusalOf(peer: string, ip: string | undefined): string | undefined {
    if (this.isDenied(peer)) return 'peer banned, held off or denied';
    if (this.configured.has(peer)) return undefined;
    if (this.scores.isIpBanned(ip)) return `address ${ip} banned`;
    if (ip === undefined) return undefined;
    const others = this.unconfiguredInboundFrom(ip);
    others.delete(peer);
    if (others.size >= MAX_INBOUND_PEERS_PER_IP)
      return `${others.size} unconfigured peers already connected from ${ip}`;
    return undefined;
  }

  /** Peer ids of the unconfigured peers with an open inbound connection from `ip`. */
  private unconfiguredInboundFrom(ip: string): Set<string> {
    const ids = new Set<string>();
    for (const c of this.connections()) {
      const id = c.remotePeer.toString();
      if (c.direction !== 'inbound' || c.status !== 'open' || this.configured.has(id)) continue;
      if (ipOf(c.remoteAddr) === ip) ids.add(id);
    }
    return ids;
  }

  /** The rules as libp2p's connection gater. */
  gater(): ConnectionGater {
    return {
      denyDialPeer: (peerId: PeerId) => this.isDenied(peerId.toString()),
      denyInboundConnection: (maConn: MultiaddrConnection) => this.refusesAddress(ipOf(maConn.remoteAddr)),
      denyInboundEncryptedConnection: (peerId: PeerId, maConn: MultiaddrConnection) =>
        this.refusalOf(peerId.toString(), ipOf(maConn.remoteAddr)) !== undefined,
      denyOutboundEncryptedConnection: (peerId: PeerId) => this.isDenied(peerId.toString()),
    };
  }
}
