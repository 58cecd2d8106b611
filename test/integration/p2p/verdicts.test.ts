// Gossip always gets a verdict. End to end: a block whose end-of-block hook (the auction's clearing)
// throws reaches gossipsub as a Reject (HOOK_FAILED), the node keeps its tip and keeps importing, and no
// rejection goes unhandled; an unexpected error of ours in block import is an Ignore with no penalty,
// reported as an 'internal-error' event. And the validator alone, with a fake host, for each kind of
// outcome.
import { type GossipsubMessage, TopicValidatorResult } from '@libp2p/gossipsub';
import type { PeerId } from '@libp2p/interface';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONTRACTS } from '../../../contracts-vm/contracts/index.ts';
import { GossipValidator } from '../../../p2p/gossip.ts';
import type { GossipHost, InternalError } from '../../../p2p/host.ts';
import { PeerAction } from '../../../p2p/peers.ts';
import { type Block, encodeBlock } from '../../../protocol/block.ts';
import { bytesEqual } from '../../../protocol/bytes.ts';
import { BlockError, BlockErrorCode } from '../../../protocol/errors.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';
import { type Attacker, startAttacker } from '../../helpers/malicious.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

type Report = [msgId: string, source: string, result: TopicValidatorResult];

describe('gossip verdicts on a real node', () => {
  let net: TestNet | undefined;
  const peers: Attacker[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(peers.map((p) => p.stop()));
    peers.length = 0;
    await net?.close();
    net = undefined;
  });

  it(
    'a block whose clearing hook throws is a Reject for gossipsub; the node keeps its tip and goes on',
    async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        // The easiest target: the builder finds each block's nonce at once.
        const params = netParams({ initialBits: testParams().powLimitBits });
        net = await startNet(params, [{}]);
        const node = net.nodes[0]!;
        const network = node.network!;
        const pubsub = network.libp2p.services.pubsub;
        const b = new ChainBuilder(params);

        // Crafted before the hook is broken (the builder executes its blocks). Several variants of the bad
        // block: a publish may precede the subscription exchange, and gossipsub drops a repeat.
        const hookBlocks = [keys.vpp1, keys.vpp2, keys.vpp3, keys.grid].map((k) =>
          b.next(b.genesisId, { miner: k.address }),
        );
        const following = b.next(b.genesisId, { miner: keys.miner.address });
        const surprise = b.next(b.idOf(following));

        const received = new Map<string, Uint8Array>();
        pubsub.addEventListener('gossipsub:message', (e) => received.set(e.detail.msgId, e.detail.msg.data));
        const reports = vi.spyOn(
          pubsub as unknown as { reportMessageValidationResult(...args: Report): void },
          'reportMessageValidationResult',
        );
        const verdictsOn = (blocks: Block[]): Report[] => {
          const encoded = blocks.map(encodeBlock);
          return (reports.mock.calls as Report[]).filter(([msgId]) => {
            const data = received.get(msgId);
            return data !== undefined && encoded.some((x) => bytesEqual(x, data));
          });
        };
        const rejected: BlockError[] = [];
        node.chain.on('rejected', (err) => rejected.push(err));
        const internalErrors: InternalError[] = [];
        network.on('internal-error', (e) => internalErrors.push(e));
        const penalised: string[] = [];
        network.on('penalty', (peer) => penalised.push(peer));

        const sender = await startAttacker(node.chain.genesisHash);
        const honest = await startAttacker(node.chain.genesisHash);
        peers.push(sender, honest);
        for (const p of [sender, honest]) {
          expect(await p.dial(net.addrs[0]!)).toBe(true);
          await waitFor(
            'subscriptions exchanged',
            () =>
              pubsub.getSubscribers(p.names.blocksTopic).some((x) => x.toString() === p.peerId) &&
              p.libp2p.services.pubsub
                .getSubscribers(p.names.blocksTopic)
                .some((x) => x.toString() === network.peerId),
            30_000,
          );
        }

        const auction = CONTRACTS.all.find((c) => c.name === 'auction' && c.endBlock);
        expect(auction).toBeDefined();
        const hook = vi
          .spyOn(auction as { endBlock(ctx: unknown): void }, 'endBlock')
          .mockImplementation(() => {
            throw new Error('clearing failed');
          });
        let sent = 0;
        let polls = 0;
        await waitFor('a verdict on the hook block', async () => {
          if (polls++ % 80 === 0 && sent < hookBlocks.length)
            await sender.publish(sender.names.blocksTopic, encodeBlock(hookBlocks[sent++]!));
          return verdictsOn(hookBlocks).length > 0;
        });
        expect(hook).toHaveBeenCalled();
        hook.mockRestore();

        for (const [, source, result] of verdictsOn(hookBlocks)) {
          expect(result).toBe(TopicValidatorResult.Reject);
          expect(source).toBe(sender.peerId);
        }
        expect(rejected.map((e) => e.code)).toContain(BlockErrorCode.HOOK_FAILED);
        expect(node.chain.tip.id).toBe(b.genesisId);
        expect(penalised).toContain(sender.peerId); // a reject is the sender's offence
        expect(internalErrors).toEqual([]); // a failing hook is a verdict, not a failure of ours

        // The node keeps working: a valid block on the same parent becomes its head.
        await honest.publish(honest.names.blocksTopic, encodeBlock(following));
        await waitFor(
          'the following block imported and accepted',
          () => node.chain.tip.id === b.idOf(following) && verdictsOn([following]).length > 0,
        );
        expect(verdictsOn([following]).map(([, , r]) => r)).toEqual([TopicValidatorResult.Accept]);

        // An unexpected error of ours while importing: Ignore, no penalty, reported with its context.
        const importBlock = node.chain.processBlock.bind(node.chain);
        vi.spyOn(node.chain, 'processBlock').mockImplementation((blk) =>
          b.idOf(blk) === b.idOf(surprise)
            ? Promise.reject(new Error('bug in block import'))
            : importBlock(blk),
        );
        await honest.publish(honest.names.blocksTopic, encodeBlock(surprise));
        await waitFor('the internal error reported', () => internalErrors.length > 0);
        const [report] = verdictsOn([surprise]);
        expect(report?.[2]).toBe(TopicValidatorResult.Ignore);
        expect(internalErrors).toEqual([
          expect.objectContaining({
            activity: 'gossip',
            peer: honest.peerId,
            topic: honest.names.blocksTopic,
            msgId: report?.[0],
            blockHash: b.idOf(surprise),
            error: expect.objectContaining({ message: 'bug in block import' }),
          }),
        ]);
        expect(penalised).not.toContain(honest.peerId);
        expect(network.scores.score(honest.peerId)).toBe(0);
        expect(node.chain.tip.id).toBe(b.idOf(following));
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    },
    scaled(120_000),
  );

  it(
    'an undecodable gossip block is a Reject, bans its sender and is counted as DECODE',
    async () => {
      const params = netParams();
      net = await startNet(params, [{}]);
      const node = net.nodes[0]!;
      const decodeCount = async () =>
        Number(
          /^vpp_blocks_rejected_total\{code="DECODE"\} (\d+)$/m.exec(await node.metrics.text())?.[1] ?? 0,
        );
      expect(await decodeCount()).toBe(0);
      const garbler = await startAttacker(node.chain.genesisHash);
      peers.push(garbler);
      expect(await garbler.dial(net.addrs[0]!)).toBe(true);
      await waitFor('the garbler sees our subscription', () =>
        garbler.libp2p.services.pubsub
          .getSubscribers(garbler.names.blocksTopic)
          .some((x) => x.toString() === node.network!.peerId),
      );
      let attempt = 0;
      await waitFor('garbler banned', async () => {
        if (attempt++ % 10 === 0)
          await garbler.publish(garbler.names.blocksTopic, new Uint8Array([9, 9, 9, attempt & 0xff]));
        return node.network!.scores.isBanned(garbler.peerId);
      });
      expect(await decodeCount()).toBeGreaterThanOrEqual(1);
      expect(node.chain.height).toBe(0);
    },
    scaled(120_000),
  );
});

describe('gossip verdicts of the validator (fake host)', () => {
  const params = testParams();
  const b = new ChainBuilder(params);
  const block = b.next(b.genesisId);
  const source = { toString: () => 'peer-a' } as PeerId;
  const message = (topic: string, data: Uint8Array): GossipsubMessage => ({
    msgId: 'msg-1',
    propagationSource: source,
    msg: { type: 'unsigned', topic, data },
  });

  function fakeHost(overrides: Partial<GossipHost> = {}) {
    const seen = {
      reports: [] as TopicValidatorResult[],
      penalties: [] as [string, PeerAction][],
      errors: [] as InternalError[],
      catchUps: [] as string[],
      undecodable: [] as string[],
      arrivals: [] as [string, number, string, number][],
    };
    const host: GossipHost = {
      names: { blocksTopic: 'blocks', txsTopic: 'txs', peersTopic: 'peers' },
      blockLimits: params,
      importBlock: async () => 'head',
      admitTx: async () => undefined,
      penalise: (peer, action) => seen.penalties.push([peer, action]),
      internalError: (e) => seen.errors.push(e),
      report: (_msgId, _source, result) => seen.reports.push(result),
      fetchAncestors: (peer) => seen.catchUps.push(peer.toString()),
      refuseUndecodable: (reason) => seen.undecodable.push(reason),
      blockArrived: (peer, header, outcome, arrivedAt) =>
        seen.arrivals.push([peer, header.height, outcome, arrivedAt]),
      ...overrides,
    };
    return { host, seen };
  }

  it('an unexpected error in block import: Ignore, no penalty, an internal error with context', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    const { host, seen } = fakeHost({ importBlock: () => Promise.reject(bug) });
    await new GossipValidator(host).validate(message('blocks', encodeBlock(block)));
    expect(seen.reports).toEqual([TopicValidatorResult.Ignore]);
    expect(seen.penalties).toEqual([]);
    expect(seen.errors).toEqual([
      {
        activity: 'gossip',
        error: bug,
        peer: 'peer-a',
        topic: 'blocks',
        msgId: 'msg-1',
        blockHash: b.idOf(block),
      },
    ]);
  });

  it('an unexpected error in transaction admission: Ignore, no penalty, an internal error', async () => {
    const tx = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const { host, seen } = fakeHost({ admitTx: () => Promise.reject(new Error('mempool bug')) });
    await new GossipValidator(host).validate(message('txs', tx.bytes));
    expect(seen.reports).toEqual([TopicValidatorResult.Ignore]);
    expect(seen.penalties).toEqual([]);
    expect(seen.errors).toEqual([expect.objectContaining({ activity: 'gossip', txId: tx.id })]);
  });

  it('a BlockError carries the verdict: a failing hook is a Reject and the sender’s offence', async () => {
    const { host, seen } = fakeHost({
      importBlock: () => Promise.reject(new BlockError(BlockErrorCode.HOOK_FAILED, 'clearing failed')),
    });
    await new GossipValidator(host).validate(message('blocks', encodeBlock(block)));
    expect(seen.reports).toEqual([TopicValidatorResult.Reject]);
    expect(seen.penalties).toEqual([['peer-a', PeerAction.Fatal]]);
    expect(seen.errors).toEqual([]);
  });

  it('an orphan is an Ignore that starts a catch-up with its sender; garbage is a Reject', async () => {
    const orphan = fakeHost({
      importBlock: () => Promise.reject(new BlockError(BlockErrorCode.ORPHAN, 'parent unknown')),
    });
    await new GossipValidator(orphan.host).validate(message('blocks', encodeBlock(block)));
    expect(orphan.seen.reports).toEqual([TopicValidatorResult.Ignore]);
    expect(orphan.seen.catchUps).toEqual(['peer-a']);
    expect(orphan.seen.penalties).toEqual([]);
    expect(orphan.seen.arrivals).toEqual([]);

    const garbage = fakeHost();
    await new GossipValidator(garbage.host).validate(message('blocks', new Uint8Array([1, 2, 3])));
    expect(garbage.seen.reports).toEqual([TopicValidatorResult.Reject]);
    expect(garbage.seen.penalties).toEqual([['peer-a', PeerAction.Fatal]]);
    // Counted with the refused blocks (vpp_blocks_rejected_total{code="DECODE"}).
    expect(garbage.seen.undecodable).toEqual([
      expect.stringContaining('undecodable gossip block from peer-a'),
    ]);
    expect(garbage.seen.arrivals).toEqual([]);
  });

  it('a block imported as head or held as future is a clock sample stamped with its arrival; others are not', async () => {
    const head = fakeHost();
    await new GossipValidator(head.host, () => 1234).validate(message('blocks', encodeBlock(block)));
    expect(head.seen.arrivals).toEqual([['peer-a', 1, 'head', 1234]]);

    const future = fakeHost({
      importBlock: () => Promise.reject(new BlockError(BlockErrorCode.TIMESTAMP_IN_FUTURE, 'too far ahead')),
    });
    await new GossipValidator(future.host, () => 99).validate(message('blocks', encodeBlock(block)));
    expect(future.seen.reports).toEqual([TopicValidatorResult.Ignore]);
    expect(future.seen.arrivals).toEqual([['peer-a', 1, 'future', 99]]);

    const invalid = fakeHost({
      importBlock: () => Promise.reject(new BlockError(BlockErrorCode.POW_ABOVE_TARGET, 'no work')),
    });
    await new GossipValidator(invalid.host).validate(message('blocks', encodeBlock(block)));
    expect(invalid.seen.arrivals).toEqual([]);
    expect(invalid.seen.undecodable).toEqual([]);
  });

  it('a failure while reporting the verdict is reported too; the validation never rejects', async () => {
    const { host, seen } = fakeHost({
      report: () => {
        throw new Error('pubsub stopped');
      },
    });
    await expect(new GossipValidator(host).validate(message('blocks', encodeBlock(block)))).resolves.toBe(
      undefined,
    );
    expect(seen.errors).toEqual([expect.objectContaining({ activity: 'gossip', msgId: 'msg-1' })]);
  });
});
