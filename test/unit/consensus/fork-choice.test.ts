// The block tree's index of valid tips and its children index (consensus/fork-choice.ts), on synthetic
// nodes: fork choice needs only heights, parents and work.
import { describe, expect, it } from 'vitest';
import {
  type BlockNode,
  BlockStatus,
  BlockTree,
  branchBetween,
  isAncestorOf,
} from '../../../consensus/fork-choice.ts';
import { HEADER_VERSION } from '../../../protocol/block.ts';

/** Grows a tree of blocks named by the caller; every block adds `work` (default 1) to its parent's. */
function treeWithGenesis() {
  const tree = new BlockTree();
  const add = (id: string, parent: BlockNode | undefined, work = 1n): BlockNode =>
    tree.add({
      hash: new Uint8Array(32),
      id,
      header: {
        version: HEADER_VERSION,
        height: parent ? parent.header.height + 1 : 0,
        parentHash: parent?.hash ?? new Uint8Array(32),
        txRoot: new Uint8Array(32),
        stateRoot: new Uint8Array(32),
        timestamp: 0,
        bits: 0,
        nonce: 0,
      },
      parent,
      totalWork: (parent?.totalWork ?? 0n) + work,
      status: BlockStatus.valid,
    });
  const chain = (prefix: string, from: BlockNode, n: number, work = 1n): BlockNode[] => {
    const out: BlockNode[] = [];
    for (let i = 1, p = from; i <= n; i++) out.push((p = add(`${prefix}${i}`, p, work)));
    return out;
  };
  return { tree, add, chain, genesis: add('g', undefined) };
}

describe('fork choice: block tree with an index of valid tips', () => {
  it('keeps one tip for a straight chain, so the best block is found without a scan', () => {
    const { tree, chain } = treeWithGenesis();
    const blocks = chain('a', tree.get('g')!, 1000);
    expect(tree.size).toBe(1001);
    expect(tree.validTipCount).toBe(1);
    expect(tree.bestValid()).toBe(blocks.at(-1));
  });

  it('on equal work keeps the first seen', () => {
    const { tree, genesis, chain } = treeWithGenesis();
    const first = chain('a', genesis, 3);
    const second = chain('b', genesis, 3);
    expect(tree.bestValid()).toBe(first[2]);
    expect(tree.validTipCount).toBe(2);
    chain('c', second[2]!, 1);
    expect(tree.bestValid()!.id).toBe('c1');
  });

  it('finds the best valid tip after an invalid branch: the heaviest of what is left, first seen on ties', () => {
    const { tree, genesis, chain } = treeWithGenesis();
    const a = chain('a', genesis, 3);
    const b = chain('b', genesis, 3);
    const f = chain('f', genesis, 6);
    const fSide = chain('x', f[2]!, 2); // a side branch inside the fork, below the invalid block
    expect(tree.bestValid()).toBe(f[5]);
    const marked = tree.markInvalid(f[3]!);
    expect(marked.map((n) => n.id).sort()).toEqual(['f4', 'f5', 'f6']);
    expect(f.slice(3).every((n) => n.status === BlockStatus.invalid)).toBe(true);
    // f3 keeps a valid child (x1), so it is no tip; x2 (one block deeper than a3 and b3) is the best.
    expect(tree.validTipCount).toBe(3);
    expect(tree.bestValid()).toBe(fSide[1]);
    tree.markInvalid(fSide[0]!);
    // Now f3 has no valid child: a tip again, with the work of a3 and b3, and a3 was seen first.
    expect(tree.validTipCount).toBe(3);
    expect(tree.bestValid()).toBe(a[2]);
    tree.markInvalid(a[0]!);
    expect(tree.bestValid()).toBe(b[2]);
    expect(f[2]!.status).toBe(BlockStatus.valid);
  });

  it('marks only the descendants of the invalid block, following the children index', () => {
    const { tree, genesis, chain } = treeWithGenesis();
    const main = chain('m', genesis, 4);
    const left = chain('l', main[1]!, 3);
    const right = chain('r', main[1]!, 2);
    const deeper = chain('d', left[0]!, 2);
    const marked = tree.markInvalid(left[0]!);
    expect(marked[0]).toBe(left[0]);
    expect(marked.map((n) => n.id).sort()).toEqual(['d1', 'd2', 'l1', 'l2', 'l3']);
    for (const n of [...main, ...right]) expect(n.status).toBe(BlockStatus.valid);
    for (const n of [...left, ...deeper]) expect(n.status).toBe(BlockStatus.invalid);
    expect(tree.validTipCount).toBe(2); // m4 and r2
  });

  it('knows blocks loaded as invalid are no tips, and a valid parent without valid children is one', () => {
    const { tree, genesis, add } = treeWithGenesis();
    const a1 = add('a1', genesis);
    tree.add({ ...a1, id: 'bad', parent: a1, totalWork: a1.totalWork + 5n, status: BlockStatus.invalid });
    expect(tree.validTipCount).toBe(1);
    expect(tree.bestValid()).toBe(a1);
  });

  it('finds the way between two tips: back to the fork point, then forward', () => {
    const { genesis, chain } = treeWithGenesis();
    const trunk = chain('t', genesis, 2);
    const a = chain('a', trunk[1]!, 3);
    const b = chain('b', trunk[1]!, 2);
    const way = branchBetween(a[2]!, b[1]!);
    expect(way.forkPoint).toBe(trunk[1]);
    expect(way.detach.map((n) => n.id)).toEqual(['a3', 'a2', 'a1']);
    expect(way.attach.map((n) => n.id)).toEqual(['b1', 'b2']);
    expect(branchBetween(a[2]!, a[2]!)).toEqual({ forkPoint: a[2], detach: [], attach: [] });
    expect(isAncestorOf(trunk[0]!, a[2]!)).toBe(true);
    expect(isAncestorOf(b[0]!, a[2]!)).toBe(false);
  });
});
