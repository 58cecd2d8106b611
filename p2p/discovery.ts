// Peer discovery, so that one bootstrap address yields a mesh: every node announces its peer record (its
// public key and listen addresses) on the chain's own gossip topic `/vppchain/<g>/peers/1` with
// @libp2p/pubsub-peer-discovery, every DISCOVERY_INTERVAL_MS; gossipsub carries it through the peers a node
// already has, so a node that knows only the bootstrap node hears of every other node of its chain (and
// only of its chain: the topic carries the genesis hash) and dials it. libp2p itself dials nothing it
// discovers; DiscoveryDialer decides, cheap checks first: not ourselves, not connected, not refused by the
// gater (banned, or held off as another chain's), fewer than DISCOVERY_TARGET_PEERS connections, at most
// MAX_DISCOVERY_DIALS in flight and one attempt per peer per DISCOVERY_DIAL_BACKOFF_MS: records are not
// signed (the topic runs StrictNoSign) and may name any address, so a forged record costs at most one
// failed dial per peer id and backoff, and a dial reaches only the peer id it names (noise checks it).
// Discovered peers are not configured peers: no gossipsub direct peering, no exemption from address bans
// or from the per-address limit (admission.ts); a peer that drops is dialled again when it next announces.
// Gossip validation accepts a record only if it parses (peerRecordProblem); a malformed one is rejected.
// Each announcement carries a stamp (stampAnnouncements), so that a repeated record is a new message.
import { publicKeyFromProtobuf } from '@libp2p/crypto/keys';
import type { GossipSub } from '@libp2p/gossipsub';
import type { PeerId, PeerInfo } from '@libp2p/interface';
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';

export const DISCOVERY_INTERVAL_MS = 10_000;
/** Discovered peers are dialled only while the node has fewer connections than this. */
export const DISCOVERY_TARGET_PEERS = 16;
export const MAX_DISCOVERY_DIALS = 4;
export const DISCOVERY_DIAL_BACKOFF_MS = 30_000;
const DISCOVERY_DIAL_TIMEOUT_MS = 5_000;
/** Peer ids whose last dial is remembered (the oldest forgotten first). */
const MAX_REMEMBERED_DIALS = 4096;
/** A record is a public key and addresses: a few hundred bytes; a host with many interfaces has more. */
export const MAX_PEER_RECORD_BYTES = 4096;
export const MAX_PEER_RECORD_ADDRS = 64;

/** The libp2p service that announces our record on `topic` and reports the records it hears. */
export function peerDiscoveryService(topic: string, intervalMs = DISCOVERY_INTERVAL_MS) {
  return pubsubPeerDiscovery({ topics: [topic], interval: intervalMs });
}

/** Appends field 3, a varint the module's decoder skips (an unknown field), to a peer record. */
export function stampPeerRecord(record: Uint8Array, stamp: number): Uint8Array {
  const out = [...record, (3 << 3) | 0];
  let n = stamp;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/**
 * Makes every announcement on `topic` a new gossip message. The module republishes the same bytes every
 * interval; gossip message ids are the data's hash (so that a block from two peers is one message), so
 * the repeat would be a duplicate for gossipsub's seen cache, which throws (PublishError.Duplicate) into a
 * promise the module leaves unhandled, and nobody who connected since would hear the record until the
 * cache forgets it (2 minutes). So each announcement gets a stamp (milliseconds, strictly increasing), and
 * a failed announcement is dropped: the next comes one interval later.
 */
export function stampAnnouncements(
  pubsub: Pick<GossipSub, 'publish'>,
  topic: string,
  now: () => number = Date.now,
): void {
  const publish = pubsub.publish.bind(pubsub);
  let last = 0;
  pubsub.publish = (t: string, data?: Uint8Array) => {
    if (t !== topic || data === undefined) return publish(t, data);
    last = Math.max(now(), last + 1);
    return publish(t, stampPeerRecord(data, last)).catch(() => ({ recipients: [] }));
  };
}

/** Reads a protobuf varint (up to 64 bits) at `pos`; [value, next position], or undefined if truncated. */
function varint(b: Uint8Array, pos: number): [number, number] | undefined {
  let value = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= b.length) return undefined;
    const byte = b[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
  }
  return undefined;
}

/**
 * Why a peer record (pubsub-peer-discovery's protobuf: field 1 the public key, field 2 repeated multiaddr
 * bytes) is malformed, or undefined if it is well formed. Unknown fields are skipped, as protobuf readers
 * do, so a later version of the module that adds one is not taken for an offender.
 */
export function peerRecordProblem(data: Uint8Array): string | undefined {
  if (data.length > MAX_PEER_RECORD_BYTES)
    return `peer record of ${data.length} bytes (at most ${MAX_PEER_RECORD_BYTES})`;
  let pos = 0;
  let keys = 0;
  let addrs = 0;
  while (pos < data.length) {
    const tag = varint(data, pos);
    if (!tag) return 'truncated field tag';
    pos = tag[1];
    const field = Math.floor(tag[0] / 8);
    const wireType = tag[0] % 8;
    if (wireType === 0) {
      const v = varint(data, pos);
      if (!v) return 'truncated varint';
      pos = v[1];
      continue;
    }
    if (wireType === 1 || wireType === 5) {
      pos += wireType === 1 ? 8 : 4;
      if (pos > data.length) return 'truncated fixed-size field';
      continue;
    }
    if (wireType !== 2) return `unsupported wire type ${wireType}`;
    const len = varint(data, pos);
    if (!len || len[1] + len[0] > data.length) return 'truncated field';
    const bytes = data.subarray(len[1], len[1] + len[0]);
    pos = len[1] + len[0];
    if (field === 1) {
      if (++keys > 1) return 'two public keys';
      try {
        publicKeyFromProtobuf(bytes);
      } catch (err) {
        return `invalid public key: ${(err as Error).message}`;
      }
    } else if (field === 2) {
      if (++addrs > MAX_PEER_RECORD_ADDRS) return `more than ${MAX_PEER_RECORD_ADDRS} addresses`;
      try {
        multiaddr(bytes);
      } catch (err) {
        return `invalid multiaddr: ${(err as Error).message}`;
      }
    }
  }
  return keys === 1 ? undefined : 'no public key';
}

/** What the dialer needs from the network. */
export interface DiscoveryPorts {
  self: string;
  connections(): number;
  isConnected(peer: string): boolean;
  /** Refused by the gater: banned, denied, or held off as another chain's peer. */
  isRefused(peer: string): boolean;
  dial(peer: string, addrs: Multiaddr[], signal: AbortSignal): Promise<void>;
}

/** The addresses of a record, each ending in /p2p/<id> (dialling a multiaddr list needs the id in each). */
export function dialAddrs(id: PeerId, addrs: readonly Multiaddr[]): Multiaddr[] {
  const suffix = `/p2p/${id.toString()}`;
  return addrs
    .map((a) => {
      const p2p = a.getComponents().find((c) => c.name === 'p2p')?.value;
      if (p2p === undefined) return a.encapsulate(suffix);
      return p2p === id.toString() ? a : undefined;
    })
    .filter((a): a is Multiaddr => a !== undefined);
}

export class DiscoveryDialer {
  private readonly ports: DiscoveryPorts;
  private readonly now: () => number;
  private readonly lastDial = new Map<string, number>();
  private inFlight = 0;
  /** Tests turn dialling off to keep a topology of their own (records are still announced and heard). */
  enabled = true;
  dials = 0;

  constructor(ports: DiscoveryPorts, now: () => number = Date.now) {
    this.ports = ports;
    this.now = now;
  }

  /** A record was heard: dial its peer if the policy allows. Never rejects. */
  async discovered(info: PeerInfo): Promise<void> {
    const peer = info.id.toString();
    const { ports } = this;
    if (!this.enabled || peer === ports.self || ports.isConnected(peer) || ports.isRefused(peer)) return;
    if (ports.connections() >= DISCOVERY_TARGET_PEERS || this.inFlight >= MAX_DISCOVERY_DIALS) return;
    const t = this.now();
    const last = this.lastDial.get(peer);
    if (last !== undefined && t - last < DISCOVERY_DIAL_BACKOFF_MS) return;
    const addrs = dialAddrs(info.id, info.multiaddrs);
    if (addrs.length === 0) return;
    this.lastDial.delete(peer); // re-inserted last: the map's order is oldest dial first
    this.lastDial.set(peer, t);
    if (this.lastDial.size > MAX_REMEMBERED_DIALS) this.lastDial.delete(this.lastDial.keys().next().value!);
    this.inFlight++;
    this.dials++;
    try {
      await ports.dial(peer, addrs, AbortSignal.timeout(DISCOVERY_DIAL_TIMEOUT_MS));
    } catch {
      // unreachable, refused, or not the peer the record names: tried again after the backoff
    } finally {
      this.inFlight--;
    }
  }
}
