// World state: a map from byte-string keys to byte-string values, with a commitment (the state root).
//
// Commitment: every key falls in one of 256 buckets, chosen by the first byte of SHA-256(key). A bucket's
// hash is SHA-256 over its entries in key byte order, each as u32 key length, key, u32 value length,
// value; an empty bucket hashes to 32 zero bytes. The state root is SHA-256 of the 256 bucket hashes in
// order. A block touches few buckets, so only those are rehashed.
import { fromHex, toHex } from '../protocol/bytes.ts';
import { sha256 } from '../protocol/hash.ts';

export const BUCKETS = 256;
const EMPTY_BUCKET = new Uint8Array(32);

/** A set of changes: hex key -> new value, or null for a deletion. */
export type Changes = Map<string, Uint8Array | null>;

export interface StateReader {
  get(key: Uint8Array): Uint8Array | undefined;
  /** get by the key's lowercase hex, where the reader keeps hex keys (no conversion there and back). */
  getHex?(keyHex: string): Uint8Array | undefined;
}

/** Reads a key given as lowercase hex from any reader. */
export const readHex = (state: StateReader, keyHex: string): Uint8Array | undefined =>
  state.getHex ? state.getHex(keyHex) : state.get(fromHex(keyHex));

/** A state that counts the change sets applied to it: a reader can tell whether it moved meanwhile. */
export interface VersionedStateReader extends StateReader {
  readonly version: number;
}

const bucketOf = (keyHex: string): number => sha256(fromHex(keyHex))[0]!;

function hashBucket(entries: Map<string, Uint8Array>): Uint8Array {
  if (entries.size === 0) return EMPTY_BUCKET;
  // Lowercase hex strings sort in byte order (digits before letters, a shorter prefix first), so the
  // keys are sorted as strings: no conversion per entry on this block-import path. The entries are
  // written into one buffer of the exact size (u32 length, key, u32 length, value, as Writer.bytes).
  const keys = [...entries.keys()].sort();
  let size = 0;
  for (const k of keys) size += 8 + (k.length >> 1) + entries.get(k)!.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const k of keys) {
    const key = fromHex(k);
    const value = entries.get(k)!;
    view.setUint32(at, key.length);
    out.set(key, at + 4);
    at += 4 + key.length;
    view.setUint32(at, value.length);
    out.set(value, at + 4);
    at += 4 + value.length;
  }
  return sha256(out);
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
    return this.getHex(toHex(key));
  }

  getHex(keyHex: string): Uint8Array | undefined {
    const own = this.changes.get(keyHex);
    if (own === null) return undefined;
    return own ?? readHex(this.parent, keyHex);
  }

  set(key: Uint8Array, value: Uint8Array | null): void {
    this.setHex(toHex(key), value);
  }

  /** set by the key's lowercase hex (as toHex writes it: the changes are keyed by that spelling). */
  setHex(keyHex: string, value: Uint8Array | null): void {
    this.journal.push([keyHex, this.changes.get(keyHex)]);
    this.changes.set(keyHex, value);
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
    for (const k of [...this.changes.keys()].sort()) out.set(k, readHex(this.parent, k) ?? null);
    return out;
  }

  commitTo(target: Overlay): void {
    for (const [k, v] of this.changes) target.setHex(k, v);
    this.changes.clear();
    this.journal = [];
  }
}

/**
 * A view that records the keys read through it (hex): what a mempool dry-run's verdict depends on. Not
 * used by consensus.
 */
export class ReadRecorder implements StateReader {
  readonly keys = new Set<string>();
  private readonly parent: StateReader;

  constructor(parent: StateReader) {
    this.parent = parent;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getHex(toHex(key));
  }

  getHex(keyHex: string): Uint8Array | undefined {
    this.keys.add(keyHex);
    return readHex(this.parent, keyHex);
  }
}

/** Merges change sets in order (later wins). */
export function mergeChanges(...sets: Changes[]): Changes {
  const out: Changes = new Map();
  for (const s of sets) for (const [k, v] of s) out.set(k, v);
  return out;
}
