// One bootstrap address yields a mesh, and a node of another chain is turned away cleanly. Three nodes of
// one chain where B and C are configured with A only (a star): discovery over gossipsub makes B and C dial
// each other, so every node ends with two peers and blocks go B→C directly; the discovered link is not a
// configured one (no direct gossip peering, no exemption from address bans). A fourth node on another
// genesis bootstraps to A: both sides report it with both genesis hashes at the hello, it is disconnected
// and held off, never counted as a peer (A's count is sampled on every connection event), and nobody is
// penalised or banned.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VppNode } from '../../../node/node.ts';
import type { OtherChainReport } from '../../../p2p/other-chain.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

describe('peer discovery and peers of another chain', () => {
  const nets: TestNet[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(nets.splice(0).map((n) => n.close()));
  });

  it(
    'a star of configured peers becomes a mesh; another chain’s node is disconnected, not counted',
    async () => {
      const params = netParams();
      const net = await startNet(params, [{ mine: true }, {}, {}], { mesh: false });
      nets.push(net);
      const [a, b, c] = net.nodes as [VppNode, VppNode, VppNode];
      const netOf = (n: VppNode) => n.network!;
      let maxCountOfA = 0;
      const sample = () => {
        maxCountOfA = Math.max(maxCountOfA, netOf(a).peerCount);
      };
      netOf(a).on('peer:connect', sample);
      netOf(a).on('peer:disconnect', sample);
      net.link(1, 0);
      net.link(2, 0);
      await waitFor(
        'every node has two peers (B and C found each other)',
        () => [a, b, c].every((n) => netOf(n).peerCount === 2),
        90_000,
      );
      // The discovered link is not a configured one: no direct gossip peering, no ban exemption.
      expect(netOf(b).admission.isConfigured(netOf(c).peerId)).toBe(false);
      expect(netOf(c).admission.isConfigured(netOf(b).peerId)).toBe(false);
      const direct = (n: VppNode) =>
        (n.network!.libp2p.services.pubsub as unknown as { direct: Set<string> }).direct;
      expect(direct(b).has(netOf(c).peerId)).toBe(false);
      expect(netOf(b).discovery.dials + netOf(c).discovery.dials).toBeGreaterThanOrEqual(1);
      await waitFor('B and C follow A’s chain', () => b.chain.height >= 3 && c.chain.height >= 3);

      // A node of another network (same parameters, another genesis time: another genesis hash).
      const foreignNet = await startNet(netParams({ timestamp: params.timestamp - 60_000 }), [{}], {
        mesh: false,
      });
      nets.push(foreignNet);
      const foreign = foreignNet.nodes[0]!;
      const reports: { at: 'a' | 'foreign'; r: OtherChainReport }[] = [];
      netOf(a).on('other-chain', (r) => reports.push({ at: 'a', r }));
      netOf(foreign).on('other-chain', (r) => reports.push({ at: 'foreign', r }));
      sample();
      netOf(foreign).addBootstrap(net.addrs[0]!);
      await waitFor('both sides reported the other chain', () =>
        (['a', 'foreign'] as const).every((at) => reports.some((x) => x.at === at)),
      );
      const ourHash = toHex(a.chain.genesisHash);
      const theirHash = toHex(foreign.chain.genesisHash);
      const atA = reports.find((x) => x.at === 'a')!.r;
      expect(atA.peer).toBe(netOf(foreign).peerId);
      expect(atA.ours.genesisHash).toBe(ourHash);
      expect(atA.theirs?.genesisHash).toBe(theirHash);
      const atForeign = reports.find((x) => x.at === 'foreign')!.r;
      expect(atForeign.ours.genesisHash).toBe(theirHash);
      expect(atForeign.theirs?.genesisHash).toBe(ourHash);
      await waitFor(
        'the foreign node disconnected from A',
        () => netOf(a).libp2p.getConnections(netOf(a).peerIdOf(netOf(foreign).peerId)).length === 0,
      );
      // Held off: the foreign node's reconnect rounds (every 3 s) find A refused and do not dial it.
      const refusals = vi.spyOn(netOf(foreign).admission, 'isDenied');
      const refusedA = () => refusals.mock.calls.filter(([p]) => p === netOf(a).peerId).length;
      await waitFor(
        'two reconnect rounds of the foreign node refused by the hold',
        () => refusedA() >= 2,
        20_000,
      );
      expect(reports.filter((x) => x.at === 'a')).toHaveLength(1);
      expect(netOf(a).peers.otherChains.isHeld(netOf(foreign).peerId)).toBe(true);
      sample();
      expect(maxCountOfA).toBe(2);
      expect(netOf(foreign).peerCount).toBe(0);
      expect(netOf(a).scores.score(netOf(foreign).peerId)).toBe(0);
      expect(netOf(foreign).scores.score(netOf(a).peerId)).toBe(0);
      expect(netOf(a).scores.isBanned(netOf(foreign).peerId)).toBe(false);
      expect([a, b, c].every((n) => netOf(n).peerCount === 2)).toBe(true);
    },
    scaled(180_000),
  );
});
