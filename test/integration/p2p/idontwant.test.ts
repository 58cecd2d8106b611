// gossipsub sends IDONTWANT for a large message only to mesh peers; configured peers are direct peers,
// never in the mesh, so p2p/gossip-idontwant.ts tells them too. Without it, three nodes that are each
// other's direct peers exchange no IDONTWANT at all (the mesh is empty), so this also fails if an
// upgrade of @libp2p/gossipsub changes the internals the wrapper relies on.
import type { GossipSub } from '@libp2p/gossipsub';
import { afterEach, describe, expect, it } from 'vitest';
import { idontwantToDirectPeers } from '../../../p2p/gossip-idontwant.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';
import { startNet, type TestNet, waitFor } from '../../helpers/net.ts';

/** IDONTWANT entries a node holds from its peers (gossipsub's per-peer record of them). */
function idontwantsHeld(pubsub: unknown): number {
  const held = (pubsub as { idontwants: Map<string, Map<string, number>> }).idontwants;
  let n = 0;
  for (const ids of held.values()) n += ids.size;
  return n;
}

describe('IDONTWANT to direct peers', () => {
  let net: TestNet | undefined;
  afterEach(async () => {
    await net?.close();
    net = undefined;
  });

  it('each node that receives a block tells its other direct peers it does not want it again', async () => {
    const params = testParams();
    const b = new ChainBuilder(params);
    // Eight transfers: over gossipsub's 512-byte threshold for IDONTWANT.
    const txs = Array.from({ length: 8 }, (_, i) => b.transfer(keys.vpp1, keys.vpp2, 1n, BigInt(i)));
    const block = b.next(b.genesisId, { txs });
    net = await startNet(params, [{}, {}, {}]);
    const { nodes } = net;
    const pubsubs = nodes.map((n) => n.network!.libp2p.services.pubsub);
    const direct = (ps: unknown) => (ps as { direct: Set<string> }).direct;
    await waitFor('every node has both others as direct peers, connected', () =>
      nodes.every((n, i) => n.network!.peerCount === 2 && direct(pubsubs[i]).size === 2),
    );
    const topic = nodes[0]!.network!.names.blocksTopic;
    await waitFor('every node is subscribed where its peers can see it', () =>
      pubsubs.every((ps) => (ps as unknown as GossipSub).getSubscribers(topic).length === 2),
    );
    expect(pubsubs.reduce((n, ps) => n + idontwantsHeld(ps), 0)).toBe(0);

    await nodes[0]!.chain.processBlock(block);
    await nodes[0]!.network!.publishBlock(block);
    await waitFor('the block reached both other nodes', () => nodes.every((n) => n.chain.height === 1));
    // Nodes 1 and 2 each received the block first from some peer and told their other direct peer.
    await waitFor(
      'both receivers told a direct peer',
      () => pubsubs.reduce((n, ps) => n + idontwantsHeld(ps), 0) >= 2,
    );
  });

  it('refuses a gossipsub whose internals it relies on are missing', () => {
    expect(() => idontwantToDirectPeers({} as GossipSub)).toThrow(/gossipsub changed/);
  });
});
