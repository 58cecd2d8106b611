// A minimal WebAssembly binary encoder: just what the SIMD nonce search (pow-simd-kernel.ts) emits — one
// memory, functions over i32 and v128 values, structured control flow, the integer and SIMD opcodes the
// kernel uses. The project has no build step, so the kernel's bytes are generated at load time from
// reviewable TypeScript instead of a committed binary (encodings: the WebAssembly core specification 2.0,
// binary format chapter, and its SIMD opcode table).

export const ValType = { i32: 0x7f, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** One-byte opcodes (core instructions). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Shl: 0x74,
} as const;

/** SIMD opcodes, written after the 0xfd prefix as an unsigned LEB128 number. */
export const Simd = {
  v128Load32Splat: 0x09,
  v128Const: 0x0c,
  i32x4Splat: 0x11,
  i32x4LeU: 0x3e,
  v128And: 0x4e,
  v128Or: 0x50,
  v128Xor: 0x51,
  v128AnyTrue: 0x53,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
} as const;

/** A block type with no parameters and no results. */
export const EMPTY_BLOCK = 0x40;

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb: ${n}`);
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (as i32.const takes it). */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new RangeError(`sleb: ${n}`);
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A growing byte buffer (the kernel is tens of kilobytes: no array spreading on the way). */
class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(2 * this.buf.length);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i]!);
    return this;
  }

  u32(n: number): this {
    return this.bytes(uleb(n));
  }

  /** A length-prefixed run of bytes (sections, function bodies, names). */
  sized(content: ByteWriter): this {
    return this.u32(content.length).bytes(content.view());
  }

  view(): Uint8Array<ArrayBuffer> {
    return this.buf.subarray(0, this.length);
  }
}

/** The body of one function: its extra locals and its instructions. */
export class FunctionBody {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  private readonly locals: ValType[] = [];
  private readonly code = new ByteWriter();

  constructor(params: readonly ValType[], results: readonly ValType[]) {
    this.params = params;
    this.results = results;
  }

  /** Declares a local of `type` and returns its index (parameters come first). */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(...bytes: number[]): this {
    this.code.bytes(bytes);
    return this;
  }

  i32Const(n: number): this {
    this.code.byte(Op.i32Const).bytes(sleb(n | 0));
    return this;
  }

  get(local: number): this {
    this.code.byte(Op.localGet).u32(local);
    return this;
  }

  set(local: number): this {
    this.code.byte(Op.localSet).u32(local);
    return this;
  }

  simd(op: number, ...immediates: number[]): this {
    this.code.byte(0xfd).u32(op).bytes(immediates);
    return this;
  }

  /** A memory access's immediates: log2 of the alignment, then the offset. */
  static memarg(alignLog2: number, offset: number): number[] {
    return [...uleb(alignLog2), ...uleb(offset)];
  }

  /** v128.const with four 32-bit lanes (little-endian, lane 0 first). */
  v128Const(lanes: readonly [number, number, number, number]): this {
    this.code.byte(0xfd).u32(Simd.v128Const);
    for (const lane of lanes) for (let i = 0; i < 4; i++) this.code.byte((lane >>> (8 * i)) & 0xff);
    return this;
  }

  /** The code section's entry: locals grouped in runs of one type, then the instructions and `end`. */
  encodeInto(out: ByteWriter): void {
    const runs: [number, ValType][] = [];
    for (let i = 0; i < this.locals.length; ) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      runs.push([j - i, this.locals[i]!]);
      i = j;
    }
    const body = new ByteWriter().u32(runs.length);
    for (const [count, type] of runs) body.u32(count).byte(type);
    body.bytes(this.code.view()).byte(Op.end);
    out.sized(body);
  }
}

export interface ModuleSpec {
  /** Exported functions, by name. */
  functions: Record<string, FunctionBody>;
  /** A memory of this many 64 KiB pages, exported as `memory`. */
  memoryPages: number;
}

/** The bytes of a module with one memory and the given functions, all exported. */
export function encodeModule(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const entries = Object.entries(spec.functions);
  const out = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, fill: (s: ByteWriter) => void) => {
    const s = new ByteWriter();
    fill(s);
    out.byte(id).sized(s);
  };
  const name = (s: ByteWriter, text: string) => s.sized(new ByteWriter().bytes(Buffer.from(text, 'utf8')));
  section(1, (s) => {
    s.u32(entries.length);
    for (const [, f] of entries) {
      s.byte(0x60).u32(f.params.length).bytes(f.params);
      s.u32(f.results.length).bytes(f.results);
    }
  });
  section(3, (s) => {
    s.u32(entries.length);
    for (let i = 0; i < entries.length; i++) s.u32(i);
  });
  section(5, (s) => s.u32(1).byte(0x00).u32(spec.memoryPages));
  section(7, (s) => {
    s.u32(entries.length + 1);
    name(s, 'memory');
    s.byte(0x02).u32(0);
    entries.forEach(([fn], i) => {
      name(s, fn);
      s.byte(0x00).u32(i);
    });
  });
  section(10, (s) => {
    s.u32(entries.length);
    for (const [, f] of entries) f.encodeInto(s);
  });
  return out.view().slice();
}
