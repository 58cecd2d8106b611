import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeBlock } from '../../../protocol/block.ts';
import { ChainBuilder, keys } from '../../helpers/builder.ts';
import { type Attacker, startAttacker } from '../../helpers/malicious.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

describe('malicious peers', () => {
  let net: TestNet | undefined;
  const attackers: Attacker[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(attackers.map((a) => a.stop()));
    attackers.length = 0;
    await net?.close();
    net = undefined;
  });

  it(
    'invalid blocks, garbage and oversize responses: honest nodes keep their chain, stay up and ban the sender',
    async () => {
      const params = netParams();
      net = await startNet(params, [{ mine: true }, {}]);
      const [miner, honest] = net.nodes as [
        NonNullable<TestNet['nodes'][0]>,
        NonNullable<TestNet['nodes'][0]>,
      ];
      await waitFor(
        'honest nodes at height 2',
        () => honest.chain.height >= 2 && honest.network!.peerCount === 1,
      );
      const genesisHash = honest.chain.genesisHash;
      const b = new ChainBuilder(params);
      const bans: string[] = [];
      honest.network!.on('ban', (p) => bans.push(p));

      // 1. A block whose hash misses its target (a side-chain block with a wrong state root would be stored
      //    unexecuted, as proof-of-work chains do; its flaw only shows if it ever becomes the best chain).
      const liar = await startAttacker(genesisHash);
      attackers.push(liar);
      expect(await liar.dial(net.addrs[1]!)).toBe(true);
      await waitFor(
        'attacker meshed',
        () =>
          honest
            .network!.libp2p.services.pubsub.getSubscribers(liar.names.blocksTopic)
            .some((p) => p.toString() === liar.peerId),
        30_000,
      );
      const bad = b.next(b.genesisId, { bits: params.powLimitBits, miner: keys.vpp3.address });
      bad.header.bits = params.initialBits; // claims the real difficulty, did only the easiest work
      // An attacker's first publish may precede its knowing our subscription (then it reaches nobody), and
      // gossipsub drops a repeat of the same bytes: it keeps sending fresh invalid blocks until banned.
      let attempt = 0;
      await waitFor('liar banned', async () => {
        if (attempt++ % 10 === 0) {
          bad.header.nonce = attempt;
          await liar.publish(liar.names.blocksTopic, encodeBlock(bad));
        }
        return honest.network!.scores.isBanned(liar.peerId);
      });

      // 2. Garbage on the transaction topic.
      const noisy = await startAttacker(genesisHash);
      attackers.push(noisy);
      expect(await noisy.dial(net.addrs[1]!)).toBe(true);
      await waitFor(
        'noisy meshed',
        () =>
          honest
            .network!.libp2p.services.pubsub.getSubscribers(noisy.names.txsTopic)
            .some((p) => p.toString() === noisy.peerId),
        30_000,
      );
      attempt = 0;
      await waitFor('noisy banned', async () => {
        if (attempt++ % 10 === 0)
          await noisy.publish(
            noisy.names.txsTopic,
            new Uint8Array([1, 2, 3, 4, 5, attempt & 0xff, attempt >> 8]),
          );
        return honest.network!.scores.isBanned(noisy.peerId);
      });

      // 3. Oversize responses to the status handshake, again at every reconnection.
      const flooder = await startAttacker(genesisHash, { oversizeResponses: true });
      attackers.push(flooder);
      await waitFor(
        'flooder banned',
        async () => {
          await flooder.dial(net!.addrs[1]!);
          return honest.network!.scores.isBanned(flooder.peerId);
        },
        60_000,
      );

      // Banned peers are refused by the connection gater: once a banned peer's connection is gone, a fresh
      // dial is refused after the encryption handshake and never opens a connection on the honest side (the
      // dialer may see its dial succeed for a moment). A dial refused earlier, by libp2p's limit of new
      // connections per address and second, says nothing about the gater: dialled again until the gater
      // itself refused. Honest nodes are still up and in agreement.
      const openedBy = new Set<string>();
      honest.network!.libp2p.addEventListener('connection:open', (e) =>
        openedBy.add(e.detail.remotePeer.toString()),
      );
      const refusals = vi.spyOn(honest.network!.admission, 'refusalOf');
      const refusedByGater = (peer: string) =>
        refusals.mock.calls.some(([p], i) => p === peer && refusals.mock.results[i]?.value !== undefined);
      for (const a of [liar, noisy, flooder]) {
        const connections = () =>
          honest.network!.libp2p.getConnections(honest.network!.peerIdOf(a.peerId)).length +
          a.libp2p.getConnections(honest.network!.libp2p.peerId).length;
        await waitFor('banned peer disconnected on both sides', () => connections() === 0, 30_000);
        openedBy.delete(a.peerId);
        refusals.mockClear();
        await waitFor('a fresh dial refused by the gater', async () => {
          await a.dial(net!.addrs[1]!, { fresh: true });
          return refusedByGater(a.peerId);
        });
        await waitFor('no connection left', () => connections() === 0, 30_000);
        expect(openedBy.has(a.peerId)).toBe(false);
      }
      expect(bans).toEqual(expect.arrayContaining([liar.peerId, noisy.peerId, flooder.peerId]));
      expect(honest.chain.getNode(b.idOf(bad))?.status ?? 'never stored').not.toBe(0);
      const before = miner.chain.height;
      await waitFor(
        'chain still growing and shared',
        () => miner.chain.height >= before + 2 && honest.chain.tip.id === miner.chain.tip.id,
      );
      expect(honest.network!.scores.isBanned(miner.network!.peerId)).toBe(false);
    },
    scaled(180_000),
  );
});
