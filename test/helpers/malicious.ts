// A hostile peer for tests: a real libp2p node on the chain's topics and protocols that sends whatever
// it is told to (invalid blocks, garbage, oversize responses).
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { type GossipSub, gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { type ChainNames, chainNames } from '../../p2p/protocol.ts';
import { Writer } from '../../protocol/bytes.ts';
import { sha256 } from '../../protocol/hash.ts';

export interface Attacker {
  libp2p: Libp2p<{ pubsub: GossipSub }>;
  names: ChainNames;
  peerId: string;
  publish(topic: string, data: Uint8Array): Promise<void>;
  /** Whether a connection to `addr` is (or with `fresh`, newly) open; never rejects. */
  dial(addr: string, opts?: { fresh?: boolean }): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startAttacker(
  genesisHash: Uint8Array,
  opts: { oversizeResponses?: boolean } = {},
): Promise<Attacker> {
  const names = chainNames(genesisHash);
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (m) => sha256(m.data),
        floodPublish: true,
      }),
    },
  });
  libp2p.services.pubsub.subscribe(names.blocksTopic);
  libp2p.services.pubsub.subscribe(names.txsTopic);
  if (opts.oversizeResponses) {
    // Announces one item, then sends 1 MiB where a status of 104 bytes belongs.
    const flood = async (stream: Stream) => {
      const lp = lpStream(stream, { maxDataLength: 4 * 1024 * 1024 });
      await lp.read();
      await lp.write(new Writer().u16(1).finish());
      await lp.write(new Uint8Array(1024 * 1024).fill(0xee));
      await stream.close().catch(() => undefined);
    };
    for (const p of [names.status, names.blocksByRange, names.headersByRange, names.blocksByHash])
      await libp2p.handle(p, flood);
  }
  return {
    libp2p,
    names,
    peerId: libp2p.peerId.toString(),
    publish: async (topic, data) => {
      await libp2p.services.pubsub.publish(topic, data).catch(() => undefined);
    },
    dial: async (addr, dialOpts = {}) => {
      try {
        // `force`: a new connection even if one is open, so that the target's gater is really asked.
        await libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000), force: dialOpts.fresh });
        return true;
      } catch {
        return false;
      }
    },
    stop: async () => {
      await libp2p.stop();
    },
  };
}
