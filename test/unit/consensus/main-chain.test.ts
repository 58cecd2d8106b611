import { describe, expect, it } from 'vitest';
import { Chain } from '../../../consensus/chain.ts';
import { type BlockNode, BlockStatus } from '../../../consensus/fork-choice.ts';
import { MainChain } from '../../../consensus/main-chain.ts';
import { encodeBlock } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { ChainBuilder, keys, openTestChain, testParams } from '../../helpers/builder.ts';

/** A synthetic branch of `n` nodes above `parent` (only heights and parents matter to MainChain). */
function branch(parent: BlockNode | undefined, n: number, tag: string): BlockNode[] {
  const out: BlockNode[] = [];
  for (let i = 0; i < n; i++) {
    const height = (parent?.header.height ?? -1) + 1;
    const node = {
      id: `${tag}${height}`,
      header: { height },
      parent,
      totalWork: 0n,
      status: BlockStatus.valid,
      seq: 0,
    } as unknown as BlockNode;
    out.push(node);
    parent = node;
  }
  return out;
}

/** The main chain as walking back from the tip gives it. */
const walk = (tip: BlockNode): BlockNode[] => {
  const out: BlockNode[] = [];
  for (let n: BlockNode | undefined = tip; n; n = n.parent) out[n.header.height] = n;
  return out;
};

describe('the main chain by height', () => {
  it('follows the head up, down and across forks', () => {
    const main = new MainChain();
    const a = branch(undefined, 6, 'a'); // heights 0..5
    const b = branch(a[1], 7, 'b'); // heights 2..8, forks after a[1]
    const c = branch(b[0], 1, 'c'); // height 3, forks after b[0]: lower than the tip before it
    for (const tip of [a[5]!, b[6]!, a[3]!, c[0]!, b[2]!, a[5]!]) {
      main.setTip(tip);
      const expected = walk(tip);
      for (let h = 0; h <= 9; h++) expect(main.at(h)).toBe(expected[h]);
      for (const n of [...a, ...b, ...c]) expect(main.contains(n)).toBe(expected[n.header.height] === n);
    }
  });

  it("is the chain's main chain after a reorg and after reopening, and blocks are served as stored", async () => {
    const params = testParams();
    const b = new ChainBuilder(params);
    const tc = await openTestChain(params);
    const first = b.extend(b.genesisId, 3, keys.vpp1.address);
    const heavier = b.extend(b.idOf(first[0]!), 4, keys.vpp2.address);
    for (const blk of [...first, ...heavier]) await tc.chain.processBlock(blk);
    const check = async (chain: Chain) => {
      const expected = walk(chain.tip);
      expect(chain.height).toBe(5);
      for (let h = 0; h <= chain.height + 1; h++) expect(await chain.getMainNode(h)).toBe(expected[h]);
      expect(await chain.getMainNode(-1)).toBeUndefined();
      expect(chain.isMainChain(chain.getNode(b.idOf(first[2]!))!)).toBe(false);
      expect(chain.isMainChain(chain.getNode(b.idOf(first[0]!))!)).toBe(true);
      for (const blk of [...first, ...heavier])
        expect(toHex((await chain.getBlockBytes(b.idOf(blk)))!)).toBe(toHex(encodeBlock(blk)));
      expect(await chain.getBlockBytes('00'.repeat(32))).toBeUndefined();
      // A served range: the main chain's blocks, stopping at the head.
      const mainBlocks = [first[0]!, ...heavier];
      const range = await chain.getMainBlocksBytes(1, 64);
      expect(range.map(toHex)).toEqual(mainBlocks.map((blk) => toHex(encodeBlock(blk))));
      expect((await chain.getMainBlocksBytes(4, 10)).map(toHex)).toEqual(
        mainBlocks.slice(3).map((blk) => toHex(encodeBlock(blk))),
      );
      expect(await chain.getMainBlocksBytes(6, 10)).toEqual([]);
    };
    await check(tc.chain);
    await tc.chain.close();
    const reopened = await Chain.open(tc.dir, params, { verifier: tc.verifier, now: () => tc.clock.now });
    tc.chain = reopened;
    await check(reopened);
    await tc.close();
  });
});
