import { afterEach, describe, expect, it } from 'vitest';
import { envelope, signTx } from '../../../protocol/tx.ts';
import { keys } from '../../helpers/builder.ts';
import { netParams, sameHead, startNet, type TestNet, waitFor } from '../../helpers/net.ts';

describe('network: gossip and sync between real nodes', () => {
  let net: TestNet | undefined;
  afterEach(async () => {
    await net?.close();
    net = undefined;
  });

  it('4 nodes converge on one head, and a transaction sent to one is mined and seen by all', async () => {
    const params = netParams();
    net = await startNet(params, [{ mine: true }, {}, {}, {}]);
    const { nodes } = net;
    await waitFor('all connected', () => nodes.every((n) => n.network!.peerCount === 3));
    await waitFor(
      'height 5 everywhere, one head',
      () => nodes.every((n) => n.chain.height >= 5) && sameHead(nodes),
    );

    const domain = nodes[3]!.chain.domain;
    const tx = envelope(
      signTx(
        {
          nonce: 0n,
          fee: 10n,
          senderPubKey: keys.vpp2.publicKey,
          payload: { kind: 'transfer', to: keys.vpp3.address, amount: 777n },
        },
        keys.vpp2,
        domain,
      ),
    );
    await nodes[3]!.submitTx(tx);
    await waitFor(
      'tx reached the miner',
      () => nodes[0]!.mempool.has(tx.id) || nodes[0]!.chain.account(keys.vpp2.address).nonce === 1n,
    );
    const all = async () => (await Promise.all(nodes.map((n) => n.chain.txLocation(tx.hash)))).every(Boolean);
    await waitFor('tx confirmed on every node', all);
    for (const n of nodes) expect(n.chain.account(keys.vpp3.address).balance).toBe(1_000_777n);
  });

  it("recovers transactions gossip never delivered: peers pull each other's pending transactions", async () => {
    const params = netParams();
    net = await startNet(params, [{}, {}], { mesh: false });
    const [a, b] = net.nodes as [NonNullable<TestNet['nodes'][0]>, NonNullable<TestNet['nodes'][0]>];
    // Admitted to a's mempool without being gossiped (as when a publish reaches no subscriber).
    const txs = [0n, 1n, 2n].map((n) =>
      envelope(
        signTx(
          {
            nonce: n,
            fee: 10n,
            senderPubKey: keys.vpp1.publicKey,
            payload: { kind: 'transfer', to: keys.vpp2.address, amount: 5n },
          },
          keys.vpp1,
          a.chain.domain,
        ),
      ),
    );
    for (const t of txs) await a.mempool.add(t);
    net.link(1, 0);
    await waitFor('b pulled all three', () => txs.every((t) => b.mempool.has(t.id)), 30_000);
    expect(b.network!.txSync.recovered).toBeGreaterThanOrEqual(3);
  });
});
