// Canonical binary encoding: big-endian fixed-width integers, length-prefixed byte strings.
// Every value has exactly one encoding, and decoders reject anything else (trailing bytes,
// out-of-range values), so a hash of an encoding is a hash of the value.

export class DecodeError extends Error {
  override name = 'DecodeError';
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Each ASCII code's hex digit value, -1 for a code that is none. */
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[0x61 + i] = HEX_DIGIT[0x41 + i] = 10 + i;
const hexDigit = (code: number): number => (code < 128 ? HEX_DIGIT[code]! : -1);

/**
 * Strict hex: lowercase or uppercase, even length, optional 0x prefix. One pass over the characters (no
 * lowercased copy, regular expression or intermediate Buffer): state keys and addresses are parsed per
 * transaction on every import.
 */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  const from = hex.charCodeAt(0) === 0x30 && hex.charCodeAt(1) === 0x78 ? 2 : 0; // "0x"
  if ((hex.length - from) % 2 !== 0) throw new DecodeError('invalid hex string');
  const out = new Uint8Array((hex.length - from) >> 1);
  for (let i = 0, c = from; i < out.length; i++, c += 2) {
    const hi = hexDigit(hex.charCodeAt(c));
    const lo = hexDigit(hex.charCodeAt(c + 1));
    if (hi < 0 || lo < 0) throw new DecodeError('invalid hex string');
    out[i] = (hi << 4) | lo;
  }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new DecodeError(`expected ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order: the order of keys in LevelDB and in the state commitment. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const U64_MAX = (1n << 64n) - 1n;

export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`u8 out of range: ${v}`);
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`u16 out of range: ${v}`);
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    if (v < 0n || v > U64_MAX) throw new RangeError(`u64 out of range: ${v}`);
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  /** Signed 64-bit, two's complement. */
  i64(v: bigint): this {
    if (v < -(1n << 63n) || v >= 1n << 63n) throw new RangeError(`i64 out of range: ${v}`);
    return this.u64(BigInt.asUintN(64, v));
  }

  /** Fixed-length bytes: the length is part of the type, not the encoding. */
  fixed(bytes: Uint8Array, length: number): this {
    if (bytes.length !== length) throw new RangeError(`expected ${length} bytes, got ${bytes.length}`);
    this.ensure(length);
    this.buf.set(bytes, this.pos);
    this.pos += length;
    return this;
  }

  /** Variable-length bytes with a u32 length prefix. */
  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  string(s: string): this {
    return this.bytes(utf8(s));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export class Reader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  pos = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new DecodeError(`truncated: ${what}`);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  i64(what = 'i64'): bigint {
    return BigInt.asIntN(64, this.u64(what));
  }

  fixed(length: number, what = 'bytes'): Uint8Array {
    this.need(length, what);
    const out = this.buf.slice(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  bytes(maxLength: number, what = 'bytes'): Uint8Array {
    const len = this.u32(`${what} length`);
    if (len > maxLength) throw new DecodeError(`${what} too long: ${len} > ${maxLength}`);
    return this.fixed(len, what);
  }

  string(maxLength: number, what = 'string'): string {
    const b = this.bytes(maxLength, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      throw new DecodeError(`${what} is not valid UTF-8`);
    }
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Canonical decoding consumes everything. */
  end(what = 'value'): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes after ${what}`);
  }
}
