// The libp2p host of a node, configured for this network: TCP, noise, yamux, identify and gossipsub with
// async validation, content-addressed message ids, only the chain's two topics, the scoring of
// gossip-scoring.ts and the connection gater of admission.ts, and libp2p's own limits on inbound
// connections. Network (network.ts) creates it and wires the services to it.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { type GossipSub, gossipsub, type TopicValidatorResult } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { sha256 } from '../protocol/hash.ts';
import type { PeerAdmission } from './admission.ts';
import { gossipScoring } from './gossip-scoring.ts';
import type { ChainNames } from './protocol.ts';

/**
 * libp2p's own limits on inbound connections (it has no limit per address on open connections; the gater
 * adds that, admission.ts): at most this many new connections per second from one address, and this many
 * connections being upgraded at once.
 */
export const INBOUND_CONNECTIONS_PER_SECOND_PER_IP = 5;
export const MAX_PENDING_INBOUND_UPGRADES = 16;

export type NodeLibp2p = Libp2p<{ pubsub: GossipSub; identify: ReturnType<ReturnType<typeof identify>> }>;

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
}

export async function createLibp2pNode(o: Libp2pNodeOptions): Promise<NodeLibp2p> {
  const libp2p = await createLibp2p({
    privateKey: o.privateKey,
    addresses: { listen: [`/ip4/${o.listenHost}/tcp/${o.listenPort}`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: o.admission.gater(),
    connectionManager: {
      inboundConnectionThreshold: INBOUND_CONNECTIONS_PER_SECOND_PER_IP,
      maxIncomingPendingConnections: MAX_PENDING_INBOUND_UPGRADES,
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        ...gossipScoring(o.bootstrap, o.admission.configuredIps),
        asyncValidation: true,
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        globalSignaturePolicy: 'StrictNoSign',
        // Content-addressed ids: the same block or transaction from two peers is one message.
        msgIdFn: (msg) => sha256(msg.data),
        maxInboundDataLength: o.maxBlockBytes + 64 * 1024,
        allowedTopics: [o.names.blocksTopic, o.names.txsTopic],
      }),
    },
  });
  o.admission.connections = () => libp2p.getConnections();
  return libp2p;
}
