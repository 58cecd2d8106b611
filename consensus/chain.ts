// The chain: the serialised import state machine. Each block passes the checks of validation.ts, is stored,
// and fork choice (fork-choice.ts) decides whether to reorg to it; reorgs execute in memory with undo data
// and commit as one atomic LevelDB batch with the head pointer. Also holds the orphan and future pools,
// bounded by count and bytes with a share per sending peer (bounded-map.ts's HeldPool).
import { EventEmitter } from 'node:events';
import { type Account, getAccount } from '../contracts-vm/accounts.ts';
import { Overlay, StateStore } from '../contracts-vm/state.ts';
import type { BlockReceipts, HookObserver } from '../contracts-vm/transition.ts';
import { type Block, encodeBlock, headerHash } from '../protocol/block.ts';
import { bytesEqual, fromHex, toHex } from '../protocol/bytes.ts';
import { type AsertParams, bitsToTarget, workForTarget } from '../protocol/difficulty.ts';
import { BlockError, BlockErrorCode as E } from '../protocol/errors.ts';
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import type { ChainDomain } from '../protocol/tx.ts';
import { BoundedMap, HeldPool, type HeldPoolLimits } from './bounded-map.ts';
import { type ConnectContext, connectBranch, disconnectBranch, type TxSignatureVerifier } from './connect.ts';
import { LedgerBatch, LedgerDb } from './db.ts';
import { type BlockNode, BlockStatus, BlockTree, branchBetween } from './fork-choice.ts';
import { genesisBlock } from './genesis.ts';
import { fulfilled, importRun, type ProcessStatus, rejected } from './import-run.ts';
import { MainChain } from './main-chain.ts';
import {
  asertParamsOf,
  blockSize,
  checkContextFree,
  checkContextual,
  expectedBits,
  medianTimePast,
  worthPrefetching,
} from './validation.ts';

const MiB = 1024 * 1024;
/** Blocks whose parent is unknown: held until the parent arrives; one peer fills at most a quarter. */
export const ORPHAN_LIMITS: HeldPoolLimits = { maxCount: 512, maxBytes: 64 * MiB, sourceShare: 1 / 4 };
/** Blocks too far ahead of our clock: held and tried again each second; one peer fills at most a quarter. */
export const FUTURE_LIMITS: HeldPoolLimits = { maxCount: 128, maxBytes: 32 * MiB, sourceShare: 1 / 4 };
const INVALID_CACHE_LIMIT = 10_000;
const BLOCK_CACHE_LIMIT = 256;
/** Headers of queued blocks whose signatures are being verified ahead of their import. */
const PREFETCH_LIMIT = 1024;

export interface HeadChange {
  head: BlockNode;
  connected: Block[]; // oldest first
  disconnected: Block[]; // newest first
  /** Every state key (hex) the change wrote, undoing and connecting blocks, with its new value. */
  written: ReadonlyMap<string, Uint8Array | null>;
}

export type { ProcessStatus };

export interface ChainOptions {
  verifier: TxSignatureVerifier;
  /** The wall clock, used only for the future-timestamp rule; tests inject their own. */
  now?: () => number;
  /** Timing of end-of-block hooks (auction clearing) for metrics. */
  hookObserver?: HookObserver;
}

export type { BlockNode, TxSignatureVerifier };
export { blockSize };

export class Chain extends EventEmitter<{
  head: [HeadChange];
  invalid: [string, BlockError];
  /** Outcome of every processBlock call (for metrics). */
  processed: [ProcessStatus];
  rejected: [BlockError];
}> {
  readonly params: ChainParams;
  readonly domain: ChainDomain;
  readonly genesisHash: Uint8Array;
  private readonly db: LedgerDb;
  private readonly verifier: TxSignatureVerifier;
  private readonly now: () => number;
  hookObserver?: HookObserver;
  private readonly asert: AsertParams;
  private readonly tree = new BlockTree();
  private readonly state = new StateStore();
  private tipNode!: BlockNode;
  private readonly mainChain = new MainChain();
  private readonly invalid = new BoundedMap<string, BlockError>(INVALID_CACHE_LIMIT);
  private readonly orphans = new HeldPool<Block>(ORPHAN_LIMITS);
  private readonly future = new HeldPool<Block>(FUTURE_LIMITS);
  private readonly blockCache = new BoundedMap<string, Block>(BLOCK_CACHE_LIMIT);
  private readonly prefetched = new BoundedMap<string, Block['header']>(PREFETCH_LIMIT);
  /**
   * The verdicts the prefetch asked for, by the block object it was given, so that connecting that block
   * awaits them instead of asking again per transaction. By object, not by id: a body mutated in transit
   * has the same header hash but other transactions, and its verdicts must never stand for the real one's.
   */
  private readonly prefetchedVerdicts = new WeakMap<Block, Promise<boolean[]>>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(db: LedgerDb, params: ChainParams, opts: ChainOptions) {
    super();
    this.db = db;
    this.params = params;
    this.verifier = opts.verifier;
    this.now = opts.now ?? Date.now;
    this.hookObserver = opts.hookObserver;
    const g = genesisBlock(params);
    this.genesisHash = g.hash;
    this.domain = { chainId: params.chainId, genesisHash: g.hash };
    this.asert = asertParamsOf(params);
  }

  /** Opens (or initialises from genesis) the ledger in `dir` and checks it is consistent. */
  static async open(dir: string, params: ChainParams, opts: ChainOptions): Promise<Chain> {
    const db = new LedgerDb(dir);
    await db.open();
    const chain = new Chain(db, params, opts);
    try {
      await chain.load();
    } catch (err) {
      await db.close();
      throw err;
    }
    return chain;
  }

  private async load(): Promise<void> {
    const g = genesisBlock(this.params);
    await this.db.ensureGenesis(g, workForTarget(bitsToTarget(g.block.header.bits)!));
    for (const [hash, rec] of await this.db.indexByHeight()) {
      const id = toHex(hash);
      const parent = rec.header.height === 0 ? undefined : this.tree.get(toHex(rec.header.parentHash));
      if (rec.header.height > 0 && !parent)
        throw new Error(`corrupt ledger: block ${id} has no parent in the index`);
      this.tree.add({ hash, id, header: rec.header, parent, totalWork: rec.totalWork, status: rec.status });
    }
    const head = await this.db.getHead();
    const headNode = head && this.tree.get(toHex(head));
    if (!headNode) throw new Error('corrupt ledger: no head');
    this.tipNode = headNode;
    this.mainChain.setTip(headNode);
    this.state.apply(await this.db.loadState());
    if (!bytesEqual(this.state.root(), headNode.header.stateRoot)) {
      throw new Error(`corrupt ledger: state root does not match head ${headNode.id}`);
    }
  }

  close(): Promise<void> {
    return this.queue.then(() => this.db.close());
  }

  /** The ledger's database is open (it is not once the node stops, or if it failed to reopen). */
  get databaseOpen(): boolean {
    return this.db.isOpen;
  }

  // ---- reads -------------------------------------------------------------------------------------

  get tip(): BlockNode {
    return this.tipNode;
  }

  get height(): number {
    return this.tipNode.header.height;
  }

  /** The committed state of the head (read-only use). */
  get headState(): StateStore {
    return this.state;
  }

  account(address: Address): Account {
    return getAccount(this.state, address);
  }

  stateRoot(): Uint8Array {
    return this.state.root();
  }

  getNode(hash: Uint8Array | string): BlockNode | undefined {
    return this.tree.get(typeof hash === 'string' ? hash : toHex(hash));
  }

  /** Main-chain node at a height (kept in memory with the head: main-chain.ts). */
  async getMainNode(height: number): Promise<BlockNode | undefined> {
    return this.mainChain.at(height);
  }

  async getBlock(hash: Uint8Array | string): Promise<Block | undefined> {
    const id = typeof hash === 'string' ? hash : toHex(hash);
    const cached = this.blockCache.get(id);
    if (cached) return cached;
    return this.db.getBlock(fromHex(id));
  }

  /** The bytes of the main chain's blocks from `start`, at most `count` (a served range), in one read. */
  async getMainBlocksBytes(start: number, count: number): Promise<Uint8Array[]> {
    const hashes: Uint8Array[] = [];
    for (let h = start; h < start + count && this.mainChain.at(h); h++)
      hashes.push(this.mainChain.at(h)!.hash);
    const stored = await this.db.getBlocksBytes(hashes); // main-chain blocks are written before they are
    const missing = stored.indexOf(undefined);
    return (missing < 0 ? stored : stored.slice(0, missing)) as Uint8Array[];
  }

  /** A stored block's bytes as stored (what a peer is served: no decoding and re-encoding). */
  async getBlockBytes(hash: Uint8Array | string): Promise<Uint8Array | undefined> {
    const id = typeof hash === 'string' ? hash : toHex(hash);
    const stored = await this.db.getBlockBytes(fromHex(id));
    if (stored) return stored;
    // Accepted but not yet written (its write is under way): the cache has it.
    const cached = this.blockCache.get(id);
    return cached && encodeBlock(cached);
  }

  isMainChain(node: BlockNode): boolean {
    return this.mainChain.contains(node);
  }

  /** Events of a connected block: per transaction, and of the end-of-block hooks. */
  getReceipts(hash: Uint8Array | string): Promise<BlockReceipts | undefined> {
    return this.db.getReceipts(typeof hash === 'string' ? fromHex(hash) : hash);
  }

  async txLocation(txHash: Uint8Array): Promise<{ blockHash: Uint8Array; index: number } | undefined> {
    return this.db.getTx(txHash);
  }

  /** Median of the timestamps of `node` and up to 10 ancestors. */
  medianTimePast(node: BlockNode): number {
    return medianTimePast(node);
  }

  nextBitsAfter(parent: BlockNode): number {
    return expectedBits(this.asert, parent.header);
  }

  get orphanCount(): number {
    return this.orphans.size;
  }

  /** Count and bytes of the held blocks (orphans and blocks from the future), for tests and metrics. */
  heldBlocks(): { orphans: { count: number; bytes: number }; future: { count: number; bytes: number } } {
    return {
      orphans: { count: this.orphans.size, bytes: this.orphans.bytes },
      future: { count: this.future.size, bytes: this.future.bytes },
    };
  }

  // ---- import ------------------------------------------------------------------------------------

  /**
   * Validates and imports a block; resolves with where it went, rejects with a BlockError. Serialised.
   * `source` names who sent it (a peer id; '' for our own blocks): a held block counts against its share.
   */
  processBlock(block: Block, source = ''): Promise<ProcessStatus> {
    this.prefetchSignatures(block);
    return this.enqueue(async () => {
      try {
        return [fulfilled(await this.importOne(block, source))];
      } catch (reason) {
        if (!(reason instanceof BlockError)) throw reason;
        return [rejected(reason)];
      }
    }).then(([o]) => (o!.status === 'fulfilled' ? o!.value : Promise.reject(o!.reason)));
  }

  /**
   * Imports a run of blocks (range sync) in one turn of the queue (import-run.ts); resolves with each
   * block's outcome, in order, as processBlock would have settled it; rejects only on what is no verdict.
   */
  processBlocks(blocks: readonly Block[], source = ''): Promise<PromiseSettledResult<ProcessStatus>[]> {
    for (const b of blocks) this.prefetchSignatures(b);
    return this.enqueue(() =>
      importRun(blocks, {
        accept: (block) => this.acceptHeader(block, source),
        activate: (node, stored) => this.activate(node, stored),
        outcomeOf: (node) => this.outcomeOf(node),
        connectOrphansOf: (id) => this.connectOrphansOf(id),
        maxRun: BLOCK_CACHE_LIMIT / 2,
      }),
    );
  }

  /**
   * Runs `task` in its turn of the import queue and reports each outcome ('processed', or 'rejected' for a
   * verdict) before the caller sees it; a failure that is not a verdict rejects the whole task.
   */
  private enqueue(
    task: () => Promise<PromiseSettledResult<ProcessStatus>[]>,
  ): Promise<PromiseSettledResult<ProcessStatus>[]> {
    // No turn of the event loop is waited for: the prefetch's signatures left for the workers when it
    // was called (sigverify.ts sends at once what a worker has room for).
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    run.then(
      (outcomes) => {
        for (const o of outcomes)
          if (o.status === 'fulfilled') this.emit('processed', o.value);
          else if (o.reason instanceof BlockError) this.emit('rejected', o.reason);
      },
      () => undefined,
    );
    return run;
  }

  /**
   * Starts verifying a queued block's signatures on the worker pool at once, so that blocks waiting behind
   * others (a range-sync batch, gossip during an import) are verified while earlier ones execute and are
   * written; import finds the verdicts cached or under way (sigverify.ts). Only for a block that extends a
   * known header with valid proof of work at the required difficulty (validation.ts, worthPrefetching).
   */
  private prefetchSignatures(block: Block): void {
    if (block.txs.length === 0) return;
    const { header } = block;
    const parentId = toHex(header.parentHash);
    const parent = this.tree.get(parentId)?.header ?? this.prefetched.get(parentId);
    const id = toHex(headerHash(header));
    if (this.tree.get(id) || !worthPrefetching(header, id, parent, this.asert)) return;
    this.prefetched.set(id, header);
    const verdicts = this.verifier.verifyTxs(block.txs);
    verdicts.catch(() => undefined); // the import awaits the verdicts
    this.prefetchedVerdicts.set(block, verdicts);
  }

  /**
   * A block that could not even be decoded (from gossip or sync): never imported, but counted with the
   * refused ones (the 'rejected' event) under code DECODE.
   */
  refuseUndecodable(reason: string): BlockError {
    const err = new BlockError(E.DECODE, reason);
    this.emit('rejected', err);
    return err;
  }

  /** Re-examines held future blocks whose time has come (call periodically). */
  async retryFutureBlocks(): Promise<number> {
    let accepted = 0;
    const limit = this.now() + this.params.maxFutureDriftMs;
    for (const [id, { value: b, source }] of this.future.list()) {
      if (b.header.timestamp > limit) continue;
      this.future.delete(id);
      try {
        await this.processBlock(b, source);
        accepted++;
      } catch {
        // its verdict was reported when it failed; nothing else to do here
      }
    }
    return accepted;
  }

  private markInvalidHeader(id: string, err: BlockError): BlockError {
    this.invalid.set(id, err);
    return err;
  }

  private async importOne(block: Block, source: string): Promise<ProcessStatus> {
    const { node, stored } = this.acceptHeader(block, source);
    await this.activate(node, stored);
    const status = this.outcomeOf(node);
    await this.connectOrphansOf(node.id);
    return status;
  }

  /**
   * Checks a block's header, cheapest first, against what the tree knows; adds it to the tree and returns
   * its node with the batch that stores it. Throws the verdict (held orphans and future blocks included).
   */
  private acceptHeader(block: Block, source: string): { node: BlockNode; stored: LedgerBatch } {
    const { header } = block;
    const hash = headerHash(header);
    const id = toHex(hash);

    const known = this.tree.get(id);
    if (known) {
      if (known.status === BlockStatus.invalid)
        throw new BlockError(E.KNOWN_INVALID, `block ${id} is invalid`);
      throw new BlockError(E.ALREADY_KNOWN, `block ${id} already imported`);
    }
    const bad = this.invalid.get(id);
    if (bad) throw new BlockError(E.KNOWN_INVALID, `block ${id} is invalid (${bad.code})`);
    if (this.orphans.has(id) || this.future.has(id))
      throw new BlockError(E.ALREADY_KNOWN, `block ${id} is already held`);

    // Context-free checks, cheapest first (validation.ts).
    const checked = checkContextFree(block, id, this.params);
    if ('error' in checked)
      throw checked.headerAtFault ? this.markInvalidHeader(id, checked.error) : checked.error;
    const { target } = checked;

    const parentId = toHex(header.parentHash);
    if (this.invalid.has(parentId))
      throw this.markInvalidHeader(id, new BlockError(E.PARENT_INVALID, `parent ${parentId} is invalid`));
    const parent = this.tree.get(parentId);
    if (!parent) {
      // Not held if larger than one peer's share; range sync fetches it with its ancestors.
      this.orphans.add(id, block, blockSize(block), source);
      throw new BlockError(E.ORPHAN, `parent ${toHex(header.parentHash)} unknown`);
    }
    // Contextual checks against the parent (validation.ts); a block from the future is held, not invalid.
    const contextual = checkContextual(header, parent, this.now(), this.params, this.asert);
    if (contextual) {
      if (contextual.headerAtFault) throw this.markInvalidHeader(id, contextual.error);
      this.future.add(id, block, blockSize(block), source);
      throw contextual.error;
    }

    // The header is valid: store the block, then let fork choice decide. A block that becomes the best
    // candidate is stored in the same write as its connection (one LevelDB write per block instead of
    // two; whatever fork choice decides, that first write carries it).
    const record = { header, totalWork: parent.totalWork + workForTarget(target), status: BlockStatus.valid };
    const stored = new LedgerBatch().putIndex(hash, record).putBlock(hash, encodeBlock(block));
    const node = this.tree.add({ hash, id, parent, ...record });
    this.blockCache.set(id, block);
    return { node, stored };
  }

  /** Lets fork choice decide on `node`, writing `stored` with the switch it causes or alone. */
  private async activate(node: BlockNode, stored: LedgerBatch): Promise<void> {
    if (node.totalWork > this.tipNode.totalWork) await this.activateBestChain(node, stored);
    else await this.db.write(stored);
  }

  /** Where an accepted block ended up once fork choice ran; throws the verdict if it turned out invalid. */
  private outcomeOf(node: BlockNode): ProcessStatus {
    if (node.status === BlockStatus.invalid)
      throw (
        this.invalid.get(node.id) ?? new BlockError(E.PARENT_INVALID, 'an ancestor of this block is invalid')
      );
    return this.isMainChain(node) ? 'head' : 'side-chain';
  }

  private async connectOrphansOf(parentId: string): Promise<void> {
    const pending = [parentId];
    while (pending.length > 0) {
      const pid = pending.shift()!;
      for (const [oid, { value: ob, source }] of this.orphans.list()) {
        if (toHex(ob.header.parentHash) !== pid) continue;
        this.orphans.delete(oid);
        try {
          await this.importOne(ob, source);
          pending.push(oid);
        } catch (err) {
          if (err instanceof BlockError) this.emit('invalid', oid, err);
        }
      }
    }
  }

  /**
   * Switches to the heaviest valid chain, starting with `candidate`; falls back on failure. `stored` (the
   * candidate's own block and index record) goes into the first write, or alone if none happens.
   */
  private async activateBestChain(candidate: BlockNode, stored: LedgerBatch): Promise<void> {
    let best: BlockNode | undefined = candidate;
    let unwritten: LedgerBatch | undefined = stored;
    try {
      while (best && best.totalWork > this.tipNode.totalWork) {
        const ok = await this.switchTo(best, unwritten);
        unwritten = undefined;
        if (ok) return;
        best = this.tree.bestValid();
      }
    } finally {
      if (unwritten) await this.db.write(unwritten);
    }
  }

  /**
   * Disconnects back to the fork point and connects the branch to `target`, all in memory; writes one
   * batch. If a block of the branch is invalid, it and its descendants are marked invalid and the valid
   * prefix is kept only if it has more work than the old tip. Returns whether `target` became the tip.
   */
  private async switchTo(target: BlockNode, stored?: LedgerBatch): Promise<boolean> {
    const oldTip = this.tipNode;
    const { forkPoint, detach, attach } = branchBetween(oldTip, target);

    const work = new Overlay(this.state);
    const batch = new LedgerBatch();
    if (stored) batch.ops.push(...stored.ops);
    const bodyOf = async (n: BlockNode) => {
      const block = await this.getBlock(n.id);
      if (!block) throw new Error(`corrupt ledger: missing body for ${n.id}`);
      return block;
    };
    const undoOf = async (n: BlockNode) => {
      const undo = await this.db.getUndo(n.hash);
      if (!undo) throw new Error(`corrupt ledger: missing undo data for ${n.id}`);
      return undo;
    };
    const disconnected = await disconnectBranch(detach, bodyOf, undoOf, work, batch);
    const branch = await connectBranch(this.connectContext, forkPoint, attach, bodyOf, work, batch);
    const { tip: newTip, connected, failure } = branch;

    if (failure) this.markInvalidSubtree(failure.node, failure.error, batch);
    const commit = !failure || newTip.totalWork > oldTip.totalWork;
    if (!commit) {
      const kept = batch.indexOnly();
      if (stored) kept.ops.push(...stored.ops.filter((op) => !kept.ops.includes(op)));
      await this.db.write(kept);
      return false;
    }
    for (const [k, v] of work.changes) batch.putState(fromHex(k), v);
    batch.putHead(newTip.hash);
    await this.db.write(batch);
    this.state.apply(work.changes);
    this.tipNode = newTip;
    this.mainChain.setTip(newTip);
    this.emit('head', { head: newTip, connected, disconnected, written: work.changes });
    return !failure;
  }

  private get connectContext(): ConnectContext {
    const { state: committed, verifier, params, hookObserver } = this;
    const signaturesOf = (block: Block) =>
      this.prefetchedVerdicts.get(block) ?? verifier.verifyTxs(block.txs);
    return { committed, signaturesOf, params, hookObserver };
  }

  private markInvalidSubtree(root: BlockNode, error: BlockError, batch: LedgerBatch): void {
    const marked = this.tree.markInvalid(root);
    this.markInvalidHeader(root.id, error);
    this.emit('invalid', root.id, error);
    for (const n of marked) batch.putIndex(n.hash, n);
  }
}
