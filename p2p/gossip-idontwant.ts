// IDONTWANT for direct peers. gossipsub v1.2 answers a large message (≥ 512 bytes: our blocks, not our
// transactions) by telling its *mesh* peers at once, before validating it, that it does not want it
// again; a peer holding that IDONTWANT skips us when it forwards the message after its own validation.
// Our configured peers are gossipsub *direct* peers (gossip-scoring.ts), never in the mesh, so the
// library never tells them: in a devnet where every node is every other's direct peer, each block
// reached each node once from its publisher and again from every other node after that node's import
// (n − 2 duplicates per node, each one encrypted, sent, received, decrypted and hashed only to be
// dropped), which in the 8-node propagation bench was most of the nodes' networking CPU per block
// (docs/performance.md, "Block propagation"). Here direct peers subscribed to the topic are told too.
// Receiving IDONTWANT from any peer is the library's ordinary path (handleIdontwant does not ask
// whether the sender is in the mesh), so peers on other versions of this code are served as before.
//
// This wraps a method of the library that is not part of its typed API: `idontwantToDirectPeers`
// checks that what it relies on is there, and test/integration/p2p/idontwant.test.ts fails if an
// upgrade changes it.
import type { GossipSub } from '@libp2p/gossipsub';

interface GossipsubInternals {
  sendIDontWants(msgId: Uint8Array, topic: string, source: string): void;
  mesh: Map<string, Set<string>>;
  topics: Map<string, Set<string>>;
  direct: Set<string>;
}

function internals(pubsub: GossipSub): GossipsubInternals {
  const ps = pubsub as unknown as Partial<GossipsubInternals>;
  if (
    typeof ps.sendIDontWants !== 'function' ||
    !(ps.mesh instanceof Map) ||
    !(ps.topics instanceof Map) ||
    !(ps.direct instanceof Set)
  )
    throw new Error('@libp2p/gossipsub changed: sendIDontWants, mesh, topics or direct is missing');
  return ps as GossipsubInternals;
}

/** Makes `pubsub` send its IDONTWANTs to its direct peers subscribed to the topic, beside its mesh. */
export function idontwantToDirectPeers(pubsub: GossipSub): void {
  const ps = internals(pubsub);
  const send = ps.sendIDontWants.bind(ps);
  ps.sendIDontWants = (msgId, topic, source) => {
    const mesh = ps.mesh.get(topic);
    const subscribers = ps.topics.get(topic);
    if (mesh === undefined || subscribers === undefined) return send(msgId, topic, source);
    const direct = [...ps.direct].filter((id) => subscribers.has(id) && !mesh.has(id));
    if (direct.length === 0) return send(msgId, topic, source);
    // The library sends to `mesh.get(topic)` minus the source and peers without v1.2: it is shown the
    // mesh and the direct peers for this one synchronous call, then the mesh is put back.
    ps.mesh.set(topic, new Set([...mesh, ...direct]));
    try {
      send(msgId, topic, source);
    } finally {
      ps.mesh.set(topic, mesh);
    }
  };
}
