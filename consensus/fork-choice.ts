// Fork choice over the tree of stored blocks: the most cumulative work wins, equal work keeps the first
// seen. The tree keeps a children index and the set of valid tips (valid blocks without a valid child), so
// finding the best valid chain after a failure and marking an invalid subtree touch only what they must,
// never every block ever stored. Pure: no I/O; the chain persists what changes.
import type { BlockHeader } from '../protocol/block.ts';

export const BlockStatus = { valid: 0, invalid: 1 } as const;
export type BlockStatus = (typeof BlockStatus)[keyof typeof BlockStatus];

export interface BlockNode {
  hash: Uint8Array;
  id: string;
  header: BlockHeader;
  parent: BlockNode | undefined;
  totalWork: bigint;
  status: BlockStatus;
  seq: number; // arrival order: equal work keeps the first seen
}

/** Whether `a` beats `b` (more work; on equal work, seen first). */
function heavier(a: BlockNode, b: BlockNode): boolean {
  return a.totalWork > b.totalWork || (a.totalWork === b.totalWork && a.seq < b.seq);
}

export class BlockTree {
  private readonly nodes = new Map<string, BlockNode>();
  private readonly children = new Map<BlockNode, BlockNode[]>();
  /**
   * Valid blocks none of whose children is valid. Every block has more work than its parent, so the
   * heaviest valid block is always one of these.
   */
  private readonly validTips = new Set<BlockNode>();
  private seq = 0;

  get size(): number {
    return this.nodes.size;
  }

  get(id: string): BlockNode | undefined {
    return this.nodes.get(id);
  }

  /** Adds a block whose parent is already in the tree (none for genesis); arrival order is the call order. */
  add(block: Omit<BlockNode, 'seq'>): BlockNode {
    const node: BlockNode = { ...block, seq: this.seq++ };
    this.nodes.set(node.id, node);
    if (node.parent) {
      const siblings = this.children.get(node.parent);
      if (siblings) siblings.push(node);
      else this.children.set(node.parent, [node]);
    }
    if (node.status === BlockStatus.valid) {
      this.validTips.add(node);
      if (node.parent) this.validTips.delete(node.parent);
    }
    return node;
  }

  /** The valid block with the most work (on equal work the first seen). */
  bestValid(): BlockNode | undefined {
    let best: BlockNode | undefined;
    for (const n of this.validTips) if (!best || heavier(n, best)) best = n;
    return best;
  }

  /** Number of valid tips: what `bestValid` examines. */
  get validTipCount(): number {
    return this.validTips.size;
  }

  /** Marks `root` and all its descendants invalid, following the children index; returns them, root first. */
  markInvalid(root: BlockNode): BlockNode[] {
    const marked: BlockNode[] = [];
    const pending = [root];
    for (let n = pending.pop(); n; n = pending.pop()) {
      n.status = BlockStatus.invalid;
      this.validTips.delete(n);
      marked.push(n);
      pending.push(...(this.children.get(n) ?? []));
    }
    const parent = root.parent;
    if (parent?.status === BlockStatus.valid && !this.children.get(parent)!.some(isValid))
      this.validTips.add(parent);
    return marked;
  }
}

const isValid = (n: BlockNode): boolean => n.status === BlockStatus.valid;

export interface Branch {
  /** The last block both chains share. */
  forkPoint: BlockNode;
  /** Blocks of the old chain above the fork point, newest first (the order to disconnect them). */
  detach: BlockNode[];
  /** Blocks of the new chain above the fork point, oldest first (the order to connect them). */
  attach: BlockNode[];
}

/** The way from the tip `from` to the block `to`: back to their common ancestor, then forward. */
export function branchBetween(from: BlockNode, to: BlockNode): Branch {
  const attach: BlockNode[] = [];
  const detach: BlockNode[] = [];
  let a: BlockNode | undefined = from;
  let b: BlockNode | undefined = to;
  while (a && b && a !== b) {
    if (b.header.height > a.header.height) {
      attach.push(b);
      b = b.parent;
    } else {
      detach.push(a);
      a = a.parent;
    }
  }
  if (!a || a !== b) throw new Error('blocks without a common ancestor');
  return { forkPoint: a, detach, attach: attach.reverse() };
}

/** Whether `node` is `tip` or one of its ancestors. */
export function isAncestorOf(node: BlockNode, tip: BlockNode): boolean {
  let n: BlockNode | undefined = tip;
  while (n && n.header.height > node.header.height) n = n.parent;
  return n === node;
}
