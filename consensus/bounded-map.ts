// A Map with a size limit for the chain's caches and pools of held blocks: adding to a full map first
// drops its oldest entry (insertion order), so a flood of blocks cannot grow memory without bound.
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
