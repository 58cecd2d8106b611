// Configured peers: the multiaddrs (with /p2p/<id>) the operator named with --bootstrap, or a devnet names.
// They are kept connected: dialled at start and every few seconds while not connected, unless the gater
// refuses them (banned, or held off as another chain's node); they are gossipsub direct peers and are
// admitted past address bans and the per-address limit (admission.ts, gossip-scoring.ts). Discovered
// peers (discovery.ts) are none of this.
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerAdmission } from './admission.ts';

const DIAL_TIMEOUT_MS = 5000;

export interface ConfiguredPeersPorts {
  libp2p: Pick<Libp2p, 'dial' | 'getConnections'>;
  admission: PeerAdmission;
  /** gossipsub's direct peers (read on every use, so a peer added later is direct at once). */
  direct: Set<string>;
  stopped(): boolean;
}

export class ConfiguredPeers {
  private readonly ports: ConfiguredPeersPorts;
  /** The configured multiaddrs (the caller's array: what it configured at start is in it). */
  readonly addrs: string[];

  constructor(ports: ConfiguredPeersPorts, addrs: string[]) {
    this.ports = ports;
    this.addrs = addrs;
  }

  /** Adds a configured peer and dials it. */
  add(addr: string): void {
    if (!this.addrs.includes(addr)) this.addrs.push(addr);
    const id = this.ports.admission.configure(addr);
    if (id) this.ports.direct.add(id);
    void this.dial(addr);
  }

  /** Dials every configured peer that is not connected (at start, and on the reconnect timer). */
  dialAll(): void {
    for (const addr of this.addrs) void this.dial(addr);
  }

  /** Dials a configured address unless already connected or refused by the gater; never rejects. */
  async dial(addr: string): Promise<void> {
    const { libp2p, admission } = this.ports;
    if (this.ports.stopped()) return;
    try {
      const ma = multiaddr(addr);
      const id = ma.getComponents().find((c) => c.name === 'p2p')?.value;
      if (id && (libp2p.getConnections(peerIdFromString(id)).length > 0 || admission.isDenied(id))) return;
      await libp2p.dial(ma, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
    } catch {
      // unreachable for now; the reconnect timer tries again
    }
  }
}
