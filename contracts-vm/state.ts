// World state: a map from byte-string keys to byte-string values, with a commitment (the state root).
//
// Commitment: every key falls in one of 256 buckets, chosen by the first byte of SHA-256(key). A bucket's
// hash is SHA-256 over its entries in key byte order, each as u32 key length, key, u32 value length,
// value; an empty bucket hashes to 32 zero bytes. The state root is SHA-256 of the 256 bucket hashes in
// order. A block touches few buckets, so only those are rehashed.
import { fromHex, toHex, Writer } from '../protocol/bytes.ts';
import { sha256 } from '../protocol/hash.ts';

export const BUCKETS = 256;
const EMPTY_BUCKET = new Uint8Array(32);

/** A set of changes: hex key -> new value, or null for a deletion. */
export type Changes = Map<string, Uint8Array | null>;

export interface StateReader {
  get(key: Uint8Array): Uint8Array | undefined;
}

/** A state that counts the change sets applied to it: a reader can tell whether it moved meanwhile. */
export interface VersionedStateReader extends StateReader {
  readonly version: number;
}

const bucketOf = (keyHex: string): number => sha256(fromHex(keyHex))[0]!;

function hashBucket(entries: Map<string, Uint8Array>): Uint8Array {
  if (entries.size === 0) return EMPTY_BUCKET;
  // Lowercase hex strings sort in byte order (digits before letters, a shorter prefix first), so the
  // keys are sorted as strings: no conversion per entry on this block-import path.
  const w = new Writer();
  for (const k of [...entries.keys()].sort()) w.bytes(fromHex(k)).bytes(entries.get(k)!);
  return sha256(w.finish());
}

/** The committed state of the chain's head, held in memory and mirrored in LevelDB. */
export class StateStore implements VersionedStateReader {
  private readonly buckets: Map<string, Uint8Array>[] = Array.from({ length: BUCKETS }, () => new Map());
  private readonly bucketHashes: (Uint8Array | null)[] = new Array(BUCKETS).fill(null);
  private readonly bucketIndex = new Map<string, number>();
  private applied = 0;

  /** How many change sets have been applied (not part of the state or its root). */
  get version(): number {
    return this.applied;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getHex(toHex(key));
  }

  getHex(keyHex: string): Uint8Array | undefined {
    const b = this.bucketIndex.get(keyHex);
    return b === undefined ? undefined : this.buckets[b]!.get(keyHex);
  }

  get size(): number {
    return this.bucketIndex.size;
  }

  *entries(): IterableIterator<[string, Uint8Array]> {
    for (const bucket of this.buckets) yield* bucket;
  }

  private bucketFor(keyHex: string): number {
    return this.bucketIndex.get(keyHex) ?? bucketOf(keyHex);
  }

  private bucketHash(i: number): Uint8Array {
    let h = this.bucketHashes[i];
    if (!h) this.bucketHashes[i] = h = hashBucket(this.buckets[i]!);
    return h;
  }

  /** The root this state would have with `changes` applied; the store itself is not modified. */
  rootWith(changes: Changes): Uint8Array {
    const touched = new Map<number, Map<string, Uint8Array>>();
    for (const [k, v] of changes) {
      const b = this.bucketFor(k);
      let merged = touched.get(b);
      if (!merged) touched.set(b, (merged = new Map(this.buckets[b])));
      if (v === null) merged.delete(k);
      else merged.set(k, v);
    }
    const all = new Uint8Array(32 * BUCKETS);
    for (let i = 0; i < BUCKETS; i++) {
      const t = touched.get(i);
      all.set(t ? hashBucket(t) : this.bucketHash(i), 32 * i);
    }
    return sha256(all);
  }

  root(): Uint8Array {
    return this.rootWith(new Map());
  }

  apply(changes: Changes): void {
    this.applied++;
    for (const [k, v] of changes) {
      const b = this.bucketFor(k);
      if (v === null) {
        this.buckets[b]!.delete(k);
        this.bucketIndex.delete(k);
      } else {
        this.buckets[b]!.set(k, v);
        this.bucketIndex.set(k, b);
      }
      this.bucketHashes[b] = null;
    }
  }
}

/**
 * Copy-on-write view over another reader. Writes stay in the overlay until committed to its parent;
 * checkpoints let a failed call be rolled back without a trace.
 */
export class Overlay implements StateReader {
  readonly changes: Changes = new Map();
  private readonly parent: StateReader;
  private journal: [string, Uint8Array | null | undefined][] = [];

  constructor(parent: StateReader) {
    this.parent = parent;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const own = this.changes.get(toHex(key));
    if (own === null) return undefined;
    return own ?? this.parent.get(key);
  }

  set(key: Uint8Array, value: Uint8Array | null): void {
    const k = toHex(key);
    this.journal.push([k, this.changes.get(k)]);
    this.changes.set(k, value);
  }

  checkpoint(): number {
    return this.journal.length;
  }

  revert(to: number): void {
    while (this.journal.length > to) {
      const [k, prev] = this.journal.pop()!;
      if (prev === undefined) this.changes.delete(k);
      else this.changes.set(k, prev);
    }
  }

  /** Old values (from the parent) of every key this overlay changed: the undo record. */
  undo(): Changes {
    const out: Changes = new Map();
    for (const k of [...this.changes.keys()].sort()) out.set(k, this.parent.get(fromHex(k)) ?? null);
    return out;
  }

  commitTo(target: Overlay): void {
    for (const [k, v] of this.changes) target.set(fromHex(k), v);
    this.changes.clear();
    this.journal = [];
  }
}

/**
 * A view that records the keys read through it (hex): what a mempool dry-run's verdict depends on. Not
 * used by consensus; reads of a StateStore skip its second hex conversion.
 */
export class ReadRecorder implements StateReader {
  readonly keys = new Set<string>();
  private readonly parent: StateReader;

  constructor(parent: StateReader) {
    this.parent = parent;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const k = toHex(key);
    this.keys.add(k);
    return this.parent instanceof StateStore ? this.parent.getHex(k) : this.parent.get(key);
  }
}

/** Merges change sets in order (later wins). */
export function mergeChanges(...sets: Changes[]): Changes {
  const out: Changes = new Map();
  for (const s of sets) for (const [k, v] of s) out.set(k, v);
  return out;
}
