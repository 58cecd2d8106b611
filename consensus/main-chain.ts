// The main chain by height, in memory (Bitcoin Core's CChain): the node at each height from genesis to the
// head. Serving a range of blocks, the API and fork choice's "is this block on the main chain" read it
// instead of a LevelDB lookup per height or a walk back from the tip. Pure: the chain moves it together
// with its head, after the write that moved the head on disk.
import type { BlockNode } from './fork-choice.ts';

export class MainChain {
  private readonly byHeight: BlockNode[] = [];

  /** The main-chain node at `height`, if the chain is that high. */
  at(height: number): BlockNode | undefined {
    return this.byHeight[height];
  }

  /** Whether `node` is on the main chain (the head or one of its ancestors). */
  contains(node: BlockNode): boolean {
    return this.byHeight[node.header.height] === node;
  }

  /**
   * Makes `tip` the head: drops what is above its height, then replaces the entries from `tip` back to
   * the fork point (the first ancestor already in place), so a head change costs what it changes.
   */
  setTip(tip: BlockNode): void {
    this.byHeight.length = tip.header.height + 1;
    for (let n: BlockNode | undefined = tip; n && this.byHeight[n.header.height] !== n; n = n.parent)
      this.byHeight[n.header.height] = n;
  }
}
