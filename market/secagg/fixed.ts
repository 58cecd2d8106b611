// Fixed-point numbers modulo 2^64, the arithmetic of the secure sums. A value v of a field with scale
// 2^s travels as round(v·2^s) in two's complement, as two 32-bit halves (lo, hi); masks are uniform
// 64-bit numbers, so a masked word says nothing about v, and masks cancel exactly in the sum.
//
// Bounds: a party refuses to encode |v| > bound(field), and a session has at most MAX_PARTIES parties,
// so the true sum satisfies |Σ v·2^s| ≤ MAX_PARTIES·bound·2^s ≤ 2^62 and never wraps: the coordinator
// reads it back exactly and rejects any sum beyond (contributors·bound) as a hostile contribution.
// Rounding: |v·2^s| ≤ 2^47 < 2^53, so v·2^s is exact in a double and only the rounding to an integer
// loses anything, at most 2^-(s+1) per value (1.2e-10 kWh at s = 32).

/** Most parties in one session (2^15): with bound 2^15 at scale 2^32, sums stay below 2^62. */
export const MAX_PARTIES = 32_768;

/** One field of a reply vector: `length` values of one scale and bound. */
export interface Field {
  name: string;
  length: number;
  /** Values travel as round(v·2^scaleBits). */
  scaleBits: number;
  /** A party never sends |v| > bound; a sum over n parties is valid only within n·bound. */
  bound: number;
}

/** A reply vector's fields, in order, and where each starts (in 64-bit words). */
export interface Layout {
  fields: Field[];
  offsets: number[];
  words: number;
}

export function layout(fields: Field[]): Layout {
  const offsets: number[] = [];
  let words = 0;
  for (const f of fields) {
    if (MAX_PARTIES * f.bound * 2 ** f.scaleBits > 2 ** 62)
      throw new RangeError(`field ${f.name}: bound ${f.bound} at scale 2^${f.scaleBits} could wrap a sum`);
    offsets.push(words);
    words += f.length;
  }
  return { fields, offsets, words };
}

const TWO32 = 2 ** 32;

export class FixedPointError extends Error {
  override name = 'FixedPointError';
}

/**
 * Writes the values of every field as fixed-point words into (lo, hi) accumulators (which the masks
 * are then added to). Throws FixedPointError for a non-finite value or one beyond its field's bound:
 * an honest party never sends those.
 */
export function encodeFixed(
  l: Layout,
  values: ArrayLike<number>[],
  lo: Float64Array,
  hi: Float64Array,
): void {
  l.fields.forEach((f, i) => {
    const v = values[i]!;
    if (v.length !== f.length)
      throw new FixedPointError(`field ${f.name} has ${v.length} values, the layout says ${f.length}`);
    const scale = 2 ** f.scaleBits;
    const at = l.offsets[i]!;
    for (let j = 0; j < f.length; j++) {
      const x = v[j]!;
      if (!Number.isFinite(x)) throw new FixedPointError(`field ${f.name}[${j}] is ${x}`);
      if (Math.abs(x) > f.bound)
        throw new FixedPointError(`field ${f.name}[${j}] = ${x} is beyond its bound ${f.bound}`);
      const n = Math.round(x * scale);
      const h = Math.floor(n / TWO32);
      lo[at + j] = n - h * TWO32;
      hi[at + j] = h;
    }
  });
}

/**
 * Reduces (lo, hi) accumulators to 64-bit words modulo 2^64, written little-endian into `out` (8 bytes
 * a word). The accumulators may hold any exact integers (sums of many signed 32-bit halves).
 */
export function reduceWords(
  lo: Float64Array,
  hi: Float64Array,
  words: number,
  out: Uint8Array,
  offset = 0,
): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, 8 * words);
  for (let w = 0; w < words; w++) {
    const l = lo[w]!;
    const low = l - Math.floor(l / TWO32) * TWO32;
    const carry = (l - low) / TWO32;
    const h = hi[w]! + carry;
    const high = h - Math.floor(h / TWO32) * TWO32;
    view.setUint32(8 * w, low, true);
    view.setUint32(8 * w + 4, high, true);
  }
}

/** Adds (sign = 1) or subtracts (sign = -1) little-endian 64-bit words into accumulators. */
export function accumulateWords(
  bytes: Uint8Array,
  offset: number,
  words: number,
  sign: number,
  lo: Float64Array,
  hi: Float64Array,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8 * words);
  for (let w = 0; w < words; w++) {
    lo[w]! += sign * view.getUint32(8 * w, true);
    hi[w]! += sign * view.getUint32(8 * w + 4, true);
  }
}

/**
 * Reads accumulated sums back as numbers, field by field (two's complement, divided by the scale).
 * Returns undefined when a sum lies beyond (contributors · bound): some contribution was not an honest
 * encoding (an honest sum cannot get there, and it cannot wrap).
 */
export function decodeSums(
  l: Layout,
  lo: Float64Array,
  hi: Float64Array,
  contributors: number,
): { values: Float64Array[]; invalid: string | undefined } {
  const bytes = new Uint8Array(8 * l.words);
  reduceWords(lo, hi, l.words, bytes);
  const view = new DataView(bytes.buffer);
  let invalid: string | undefined;
  const values = l.fields.map((f, i) => {
    const out = new Float64Array(f.length);
    const scale = 2 ** f.scaleBits;
    const limit = contributors * f.bound * scale;
    for (let j = 0; j < f.length; j++) {
      const w = l.offsets[i]! + j;
      const low = view.getUint32(8 * w, true);
      const high = view.getInt32(8 * w + 4, true);
      const n = high * TWO32 + low;
      if (Math.abs(n) > limit && invalid === undefined)
        invalid = `sum of ${f.name}[${j}] is ${n / scale}, beyond ${contributors} × ${f.bound}`;
      out[j] = n / scale;
    }
    return out;
  });
  return { values, invalid };
}
