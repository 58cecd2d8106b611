// Configured peers: the multiaddrs (with /p2p/<id>) the operator named with --bootstrap, or a devnet names.
// They are kept connected: dialled at start and every few seconds while not connected, unless the gater
// refuses them (banned, or held off as another chain's node); they are gossipsub direct peers and are
// admitted past address bans and the per-address limit (admission.ts, gossip-scoring.ts). Discovered
// peers (discovery.ts) are none of this.
// A configured peer that closes our connections at once (it banned us: its gater refuses us after the
// encryption handshake) is redialled less and less often, from every few seconds up to once a minute, and
// the operator is told once; a connection that lasts ends the back-off. Without it a banned node would
// dial, connect and be dropped every few seconds for the whole ban, a log line each time on both sides.
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import type { PeerAdmission } from './admission.ts';

const DIAL_TIMEOUT_MS = 5000;
/** A connection to a configured peer that ends sooner than this after it opened counts as refused. */
export const REFUSED_WITHIN_MS = 5000;
/** The n-th refusal in a row holds redials off for min(2^(n-1) × this, MAX_REDIAL_HOLD_MS). */
export const REDIAL_HOLD_BASE_MS = 3000;
export const MAX_REDIAL_HOLD_MS = 60_000;
/** Refusals in a row after which the operator is told (once per run of refusals). */
export const REFUSALS_REPORTED = 3;

interface Refusals {
  openedAt?: number;
  inRow: number;
  holdUntil: number;
}

export interface ConfiguredPeersPorts {
  libp2p: Pick<Libp2p, 'dial' | 'getConnections'>;
  admission: PeerAdmission;
  /** gossipsub's direct peers (read on every use, so a peer added later is direct at once). */
  direct: Set<string>;
  stopped(): boolean;
  now?: () => number;
  /** A configured peer closed our last `inRow` connections at once; redials are held off `holdMs`. */
  refusing?(peer: string, inRow: number, holdMs: number): void;
}

export class ConfiguredPeers {
  private readonly ports: ConfiguredPeersPorts;
  /** The configured multiaddrs (the caller's array: what it configured at start is in it). */
  readonly addrs: string[];
  private readonly refusals = new Map<string, Refusals>();
  private readonly now: () => number;

  constructor(ports: ConfiguredPeersPorts, addrs: string[]) {
    this.ports = ports;
    this.addrs = addrs;
    this.now = ports.now ?? Date.now;
  }

  /** A peer connected (any peer: only configured ones are remembered). */
  connected(peer: string): void {
    if (!this.ports.admission.isConfigured(peer)) return;
    const r = this.refusals.get(peer) ?? { inRow: 0, holdUntil: 0 };
    r.openedAt = this.now();
    this.refusals.set(peer, r);
  }

  /** A peer's last connection closed: if it lasted less than REFUSED_WITHIN_MS, redials are held off. */
  disconnected(peer: string): void {
    const r = this.refusals.get(peer);
    if (r?.openedAt === undefined) return;
    // We closed it (we banned the peer, or hold it off as another chain's node): not a refusal of theirs.
    if (this.ports.admission.isDenied(peer)) {
      this.refusals.delete(peer);
      return;
    }
    const t = this.now();
    if (t - r.openedAt >= REFUSED_WITHIN_MS) {
      this.refusals.delete(peer);
      return;
    }
    r.openedAt = undefined;
    r.inRow++;
    const hold = Math.min(REDIAL_HOLD_BASE_MS * 2 ** (r.inRow - 1), MAX_REDIAL_HOLD_MS);
    r.holdUntil = t + hold;
    if (r.inRow === REFUSALS_REPORTED) this.ports.refusing?.(peer, r.inRow, hold);
  }

  /** Adds a configured peer and dials it. */
  add(addr: string): void {
    if (!this.addrs.includes(addr)) this.addrs.push(addr);
    const id = this.ports.admission.configure(addr);
    if (id) this.ports.direct.add(id);
    void this.dial(addr);
  }

  /** Dials every configured peer that is not connected nor held off (at start, and on the reconnect timer). */
  dialAll(): void {
    const t = this.now();
    for (const addr of this.addrs) {
      const held = this.refusals.get(peerIdOf(addr) ?? '');
      if (held === undefined || held.holdUntil <= t) void this.dial(addr);
    }
  }

  /** Dials a configured address unless already connected or refused by the gater; never rejects. */
  async dial(addr: string): Promise<void> {
    const { libp2p, admission } = this.ports;
    if (this.ports.stopped()) return;
    try {
      const ma = multiaddr(addr);
      const id = idIn(ma);
      if (id && (libp2p.getConnections(peerIdFromString(id)).length > 0 || admission.isDenied(id))) return;
      await libp2p.dial(ma, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
    } catch {
      // unreachable for now; the reconnect timer tries again
    }
  }
}

/** The peer id a multiaddr names (/p2p/<id>), if it names one. */
const idIn = (ma: Multiaddr): string | undefined => ma.getComponents().find((c) => c.name === 'p2p')?.value;

/** The peer id a configured address names, if it parses and names one. */
function peerIdOf(addr: string): string | undefined {
  try {
    return idIn(multiaddr(addr));
  } catch {
    return undefined;
  }
}
