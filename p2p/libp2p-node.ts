// The libp2p host of a node, configured for this network: TCP, noise, yamux, identify, gossipsub with
// async validation, content-addressed message ids, only the chain's three topics (blocks, transactions,
// peer records) and the scoring of gossip-scoring.ts, peer discovery over gossipsub (discovery.ts), the
// connection gater of admission.ts, and libp2p's own limits on inbound connections. Listening on every
// interface (0.0.0.0), it announces its other addresses but not loopback ones, which would lead a peer on
// another machine to itself. Network (network.ts) creates it and wires the services to it.
import { type GossipSub, gossipsub, type TopicValidatorResult } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerDiscovery, PrivateKey } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import type { Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { sha256 } from '../protocol/hash.ts';
import { ipOf, type PeerAdmission } from './admission.ts';
import { peerDiscoveryService, stampAnnouncements } from './discovery.ts';
import { idontwantToDirectPeers } from './gossip-idontwant.ts';
import { gossipScoring } from './gossip-scoring.ts';
import { noiseFrames } from './noise-frames.ts';
import { isLoopback } from './peers.ts';
import type { ChainNames } from './protocol.ts';
import { yamuxWithHalfWindowUpdates } from './yamux-window.ts';

/**
 * libp2p's own limits on inbound connections (it has no limit per address on open connections; the gater
 * adds that, admission.ts): at most this many new connections per second from one address, and this many
 * connections being upgraded at once.
 */
export const INBOUND_CONNECTIONS_PER_SECOND_PER_IP = 5;
export const MAX_PENDING_INBOUND_UPGRADES = 16;

export type NodeLibp2p = Libp2p<{
  pubsub: GossipSub;
  identify: ReturnType<ReturnType<typeof identify>>;
  discovery: PeerDiscovery;
}>;

/** Our addresses without the loopback ones, unless there are no others (a node on 127.0.0.1). */
export function announceable(addrs: Multiaddr[]): Multiaddr[] {
  const outside = addrs.filter((a) => !isLoopback(ipOf(a)));
  return outside.length > 0 ? outside : addrs;
}

/** Parts of gossipsub's implementation missing from its exported GossipSub interface. */
export interface GossipSubInternals {
  /** With asyncValidation, gossipsub forwards a message only after its verdict. */
  reportMessageValidationResult(
    msgId: string,
    propagationSource: string,
    acceptance: TopicValidatorResult,
  ): void;
  /** The direct peers' ids; read on every use, so a peer configured later is added here. */
  readonly direct: Set<string>;
}

export interface Libp2pNodeOptions {
  privateKey: PrivateKey;
  listenHost: string;
  listenPort: number;
  /** Configured peers' multiaddrs: gossipsub's direct peers. */
  bootstrap: readonly string[];
  names: ChainNames;
  maxBlockBytes: number;
  admission: PeerAdmission;
  /** How often our peer record is announced (discovery.ts). */
  discoveryIntervalMs?: number;
}

export async function createLibp2pNode(o: Libp2pNodeOptions): Promise<NodeLibp2p> {
  const libp2p = await createLibp2p({
    privateKey: o.privateKey,
    addresses: { listen: [`/ip4/${o.listenHost}/tcp/${o.listenPort}`], announceFilter: announceable },
    transports: [tcp()],
    connectionEncrypters: [noiseFrames()],
    streamMuxers: [yamuxWithHalfWindowUpdates()],
    connectionGater: o.admission.gater(),
    connectionManager: {
      inboundConnectionThreshold: INBOUND_CONNECTIONS_PER_SECOND_PER_IP,
      maxIncomingPendingConnections: MAX_PENDING_INBOUND_UPGRADES,
    },
    services: {
      identify: identify(),
      pubsub: (components: Parameters<ReturnType<typeof gossipsub>>[0]) => {
        const pubsub = gossipsub({
          ...gossipScoring(o.bootstrap, o.admission.configuredIps),
          asyncValidation: true,
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          globalSignaturePolicy: 'StrictNoSign',
          // Content-addressed ids: the same block or transaction from two peers is one message.
          msgIdFn: (msg) => sha256(msg.data),
          maxInboundDataLength: o.maxBlockBytes + 64 * 1024,
          allowedTopics: [o.names.blocksTopic, o.names.txsTopic, o.names.peersTopic],
        })(components);
        stampAnnouncements(pubsub, o.names.peersTopic);
        idontwantToDirectPeers(pubsub);
        return pubsub;
      },
      discovery: peerDiscoveryService(o.names.peersTopic, o.discoveryIntervalMs),
    },
  });
  o.admission.connections = () => libp2p.getConnections();
  return libp2p;
}
