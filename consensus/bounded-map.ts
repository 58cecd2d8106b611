// Bounded containers for the chain's caches and pools of held blocks, so a flood of blocks cannot grow
// memory without bound. BoundedMap caps the number of entries (adding to a full map first drops its
// oldest entry, in insertion order). HeldPool caps a pool of held blocks (orphans, blocks from the future)
// by count and by bytes, and gives each source (the peer that sent the blocks) at most a share of both:
// a peer over its share loses its own oldest entries, never another peer's, so one peer cannot flush the
// blocks honest peers sent.
export class BoundedMap<K, V> extends Map<K, V> {
  private readonly limit: number;

  constructor(limit: number) {
    super();
    this.limit = limit;
  }

  override set(key: K, value: V): this {
    if (this.size >= this.limit) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
}

export interface HeldPoolLimits {
  /** Entries in the whole pool. */
  maxCount: number;
  /** Sum of the entries' sizes in the whole pool. */
  maxBytes: number;
  /** Fraction (0..1] of both limits that one source may fill. */
  sourceShare: number;
}

export interface HeldEntry<V> {
  value: V;
  bytes: number;
  /** Who sent it ('' when unknown or local). */
  source: string;
}

interface Usage {
  count: number;
  bytes: number;
}

export class HeldPool<V> {
  readonly limits: HeldPoolLimits;
  private readonly entries = new Map<string, HeldEntry<V>>();
  private readonly usage = new Map<string, Usage>();
  private totalBytes = 0;

  constructor(limits: HeldPoolLimits) {
    if (!(limits.sourceShare > 0 && limits.sourceShare <= 1))
      throw new RangeError('sourceShare must be in (0, 1]');
    this.limits = limits;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Count and bytes one source may hold at most. */
  get perSource(): Usage {
    const { maxCount, maxBytes, sourceShare } = this.limits;
    return {
      count: Math.max(1, Math.floor(maxCount * sourceShare)),
      bytes: Math.floor(maxBytes * sourceShare),
    };
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): HeldEntry<V> | undefined {
    return this.entries.get(key);
  }

  usageOf(source: string): Usage {
    return { ...(this.usage.get(source) ?? { count: 0, bytes: 0 }) };
  }

  /**
   * Holds `value` under `key`. Room is made by dropping the source's own oldest entries down to its share,
   * then the oldest entries of the pool. Returns false (nothing held, nothing dropped) when the entry alone
   * exceeds one source's share of the bytes.
   */
  add(key: string, value: V, bytes: number, source: string): boolean {
    const share = this.perSource;
    if (bytes > share.bytes) return false;
    this.delete(key);
    const mine = () => this.usage.get(source) ?? { count: 0, bytes: 0 };
    while (mine().count + 1 > share.count || mine().bytes + bytes > share.bytes) this.dropOldestOf(source);
    while (this.entries.size + 1 > this.limits.maxCount || this.totalBytes + bytes > this.limits.maxBytes)
      this.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, bytes, source });
    const u = mine();
    this.usage.set(source, { count: u.count + 1, bytes: u.bytes + bytes });
    this.totalBytes += bytes;
    return true;
  }

  delete(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    this.totalBytes -= e.bytes;
    const u = this.usage.get(e.source)!;
    if (u.count === 1) this.usage.delete(e.source);
    else this.usage.set(e.source, { count: u.count - 1, bytes: u.bytes - e.bytes });
    return true;
  }

  /** Entries oldest first (a copy: the pool may change while the caller works through it). */
  list(): [string, HeldEntry<V>][] {
    return [...this.entries];
  }

  private dropOldestOf(source: string): void {
    for (const [k, e] of this.entries)
      if (e.source === source) {
        this.delete(k);
        return;
      }
  }
}
