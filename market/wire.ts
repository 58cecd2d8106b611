// Byte encoding for the market's messages: fixed-width little-endian numbers, length-prefixed arrays and
// strings, and a reader that checks every length against the bytes left and the caller's limits. The
// market imports nothing of ours (docs/architecture.md), so it has its own small codec rather than
// protocol/bytes.ts; the rules are the same: nothing is read past the end, nothing is left unread.

export type DecodeErrorCode = 'TRUNCATED' | 'TRAILING' | 'LIMIT' | 'INVALID';

export class DecodeError extends Error {
  override name = 'DecodeError';
  readonly code: DecodeErrorCode;
  constructor(code: DecodeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private n = 0;

  /** `size`: the expected length (the buffer grows past it if needed). */
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  private room(bytes: number): void {
    if (this.n + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.room(1);
    this.view.setUint8(this.n, v);
    this.n += 1;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`u16 out of range: ${v}`);
    this.room(2);
    this.view.setUint16(this.n, v, true);
    this.n += 2;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`u32 out of range: ${v}`);
    this.room(4);
    this.view.setUint32(this.n, v, true);
    this.n += 4;
    return this;
  }

  f64(v: number): this {
    this.room(8);
    this.view.setFloat64(this.n, v, true);
    this.n += 8;
    return this;
  }

  /** Raw bytes of a length both sides know (keys, ids, masked words). */
  raw(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }

  f64s(xs: ArrayLike<number>): this {
    this.u16(xs.length);
    this.room(8 * xs.length);
    for (let i = 0; i < xs.length; i++) this.view.setFloat64(this.n + 8 * i, xs[i]!, true);
    this.n += 8 * xs.length;
    return this;
  }

  u32s(xs: readonly number[]): this {
    this.u16(xs.length);
    for (const x of xs) this.u32(x);
    return this;
  }

  string(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.u16(b.length);
    return this.raw(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

export class Reader {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private n = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.n;
  }

  get left(): number {
    return this.bytes.length - this.n;
  }

  private need(bytes: number, what: string): void {
    if (this.n + bytes > this.bytes.length)
      throw new DecodeError('TRUNCATED', `${what}: needs ${bytes} bytes, ${this.left} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.n++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.n, true);
    this.n += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.n, true);
    this.n += 4;
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.n, true);
    this.n += 8;
    return v;
  }

  /** A finite number (NaN and infinities are refused where the protocol expects a quantity). */
  finite(what: string): number {
    const v = this.f64(what);
    if (!Number.isFinite(v)) throw new DecodeError('INVALID', `${what} is not a finite number (${v})`);
    return v;
  }

  raw(length: number, what: string): Uint8Array {
    this.need(length, what);
    const out = this.bytes.subarray(this.n, this.n + length);
    this.n += length;
    return out;
  }

  /** A length-prefixed array of finite numbers with exactly `expected` entries. */
  f64s(expected: number, what: string): Float64Array {
    const count = this.u16(`${what} count`);
    if (count !== expected)
      throw new DecodeError('INVALID', `${what} has ${count} values, expected ${expected}`);
    this.need(8 * count, what);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const v = this.view.getFloat64(this.n + 8 * i, true);
      if (!Number.isFinite(v))
        throw new DecodeError('INVALID', `${what}[${i}] is not a finite number (${v})`);
      out[i] = v;
    }
    this.n += 8 * count;
    return out;
  }

  u32s(max: number, what: string): number[] {
    const count = this.u16(`${what} count`);
    if (count > max) throw new DecodeError('LIMIT', `${what} has ${count} entries, at most ${max} allowed`);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.u32(what));
    return out;
  }

  string(max: number, what: string): string {
    const length = this.u16(`${what} length`);
    if (length > max) throw new DecodeError('LIMIT', `${what} is ${length} bytes, at most ${max} allowed`);
    const b = this.raw(length, what);
    const s = Buffer.from(b).toString('utf8');
    if (Buffer.byteLength(s) !== length) throw new DecodeError('INVALID', `${what} is not valid UTF-8`);
    return s;
  }

  end(what: string): void {
    if (this.n !== this.bytes.length)
      throw new DecodeError('TRAILING', `${what}: ${this.bytes.length - this.n} unexpected trailing bytes`);
  }
}
