import { afterEach, describe, expect, it } from 'vitest';
import { genesisBlock } from '../../../consensus/genesis.ts';
import { Overlay, StateStore } from '../../../contracts-vm/state.ts';
import { applyBlock } from '../../../contracts-vm/transition.ts';
import type { VppNode } from '../../../node/node.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { envelope, signTx, type TxEnvelope } from '../../../protocol/tx.ts';
import { keys } from '../../helpers/builder.ts';
import { netParams, netState, sameHead, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

/** State root from replaying node's main chain from genesis with the pure transition function. */
async function replayRoot(node: VppNode): Promise<string> {
  const store = new StateStore();
  store.apply(genesisBlock(node.params).state);
  for (let h = 1; h <= node.chain.height; h++) {
    const block = (await node.chain.getBlock((await node.chain.getMainNode(h))!.id))!;
    const view = new Overlay(store);
    applyBlock(view, block, node.params);
    store.apply(view.changes);
  }
  return toHex(store.root());
}

const transfer = (node: VppNode, from: typeof keys.vpp1, amount: bigint): TxEnvelope =>
  envelope(
    signTx(
      {
        nonce: 0n,
        fee: 10n,
        senderPubKey: from.publicKey,
        payload: { kind: 'transfer', to: keys.grid.address, amount },
      },
      from,
      node.chain.domain,
    ),
  );

/**
 * The height up to which every node's main chain is the same: one below the lowest tip, or -1 where
 * they differ there. All four nodes mine on a fast genesis, so their tips are rarely equal at one instant
 * (a wait for one head raced the miners on a loaded machine); a shared block below the tips is the
 * convergence that stays true.
 */
function agreedBelowTips(nodes: VppNode[]): number {
  const height = Math.min(...nodes.map((n) => n.chain.height)) - 1;
  if (height < 0) return -1;
  const idAt = (n: VppNode) => {
    let b = n.chain.tip;
    while (b.header.height > height) b = b.parent!;
    return b.id;
  };
  const first = idAt(nodes[0]!);
  return nodes.every((n) => idAt(n) === first) ? height : -1;
}

describe('network partition', () => {
  let net: TestNet | undefined;
  afterEach(async () => {
    await net?.close();
    net = undefined;
  });

  it(
    'two halves mine apart, then converge on the heavier chain; the losing side’s transactions are mined again',
    async () => {
      const params = netParams();
      let partitioned = false;
      const group = new Map<string, number>();
      const deny = (self: number) => (peer: string) =>
        partitioned && group.has(peer) && group.get(peer) !== (self < 2 ? 0 : 1);
      net = await startNet(
        params,
        [0, 1, 2, 3].map((i) => ({ mine: true, denyPeer: deny(i) })),
      );
      const { nodes } = net;
      const state = netState(nodes);
      for (const [i, n] of nodes.entries()) group.set(n.network!.peerId, i < 2 ? 0 : 1);
      await waitFor(
        'connected and converged at height 3',
        () => nodes.every((n) => n.network!.peerCount === 3) && agreedBelowTips(nodes) >= 3,
        undefined,
        state,
      );

      partitioned = true;
      for (const i of [0, 1])
        for (const j of [2, 3]) await nodes[i]!.network!.hangUp(nodes[j]!.network!.peerId);
      await waitFor('halves apart', () => nodes.every((n) => n.network!.peerCount === 1), undefined, state);
      const forkHeight = Math.max(...nodes.map((n) => n.chain.height));

      const left = transfer(nodes[0]!, keys.vpp1, 1111n);
      const right = transfer(nodes[2]!, keys.vpp2, 2222n);
      await nodes[0]!.submitTx(left);
      await nodes[2]!.submitTx(right);
      const confirmed = async (n: VppNode, t: TxEnvelope) => (await n.chain.txLocation(t.hash)) !== undefined;
      await waitFor(
        'each half mined its own transaction and grew',
        async () =>
          (await confirmed(nodes[1]!, left)) &&
          (await confirmed(nodes[3]!, right)) &&
          nodes.every((n) => n.chain.height >= forkHeight + 4),
        undefined,
        state,
      );
      expect(await confirmed(nodes[0]!, right)).toBe(false);
      expect(await confirmed(nodes[2]!, left)).toBe(false);
      let heaviest = 0n;
      for (const n of nodes) if (n.chain.tip.totalWork > heaviest) heaviest = n.chain.tip.totalWork;

      partitioned = false; // the reconnect timers dial the bootstrap peers again
      const healedAt = Math.max(...nodes.map((n) => n.chain.height));
      await waitFor(
        'one chain again, past both halves',
        () => nodes.every((n) => n.network!.peerCount === 3) && agreedBelowTips(nodes) >= healedAt,
        90_000,
        state,
      );
      expect(nodes[0]!.chain.tip.totalWork).toBeGreaterThanOrEqual(heaviest);
      // Whichever half lost, its transaction went back to the mempool and is mined on the winning chain.
      await waitFor(
        'both transactions confirmed on every node',
        async () => {
          for (const n of nodes)
            if (!(await confirmed(n, left)) || !(await confirmed(n, right))) return false;
          return true;
        },
        90_000,
        state,
      );
      // The states are compared at one head: the others stop mining, every node follows node 0's chain,
      // then node 0 stops too (stopping all at once could leave two tips of equal work, each kept by the
      // nodes that saw it first).
      for (const n of nodes.slice(1)) await n.miner?.stop();
      await waitFor("every node on node 0's chain", () => sameHead(nodes), 90_000, state);
      await nodes[0]!.miner?.stop();
      await waitFor('one head', () => sameHead(nodes), 90_000, state);
      const root = toHex(nodes[0]!.chain.stateRoot());
      expect(await replayRoot(nodes[0]!)).toBe(root);
      for (const n of nodes) expect(toHex(n.chain.stateRoot())).toBe(root);
      for (const n of nodes)
        expect(n.chain.account(keys.grid.address).balance).toBe(1_000_000_000n + 1111n + 2222n);
    },
    scaled(240_000),
  );
});
