// The fast nonce search against the plain reference: SHA-256d from @noble/hashes, nonce by nonce. The
// WebAssembly SIMD search must find the same nonce (and count the same hashes) as the JS search for every
// header, target and range — hits early and late, at both range ends, at 2^32, and near-misses whose first
// hash word equals the target's. Also: the module encoder, the fallback, and both engines in the worker.
import { Worker } from 'node:worker_threads';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SearchResult, searchNonce, setNonce } from '../../../consensus/pow.ts';
import {
  compileKernel,
  firstCandidateGroup,
  searchNonceSimd,
  simdAvailable,
  type WasmApi,
} from '../../../consensus/pow-simd.ts';
import { kernelShape, LANES } from '../../../consensus/pow-simd-kernel.ts';
import {
  EMPTY_BLOCK,
  encodeModule,
  FunctionBody,
  Op,
  Simd,
  sleb,
  uleb,
  ValType,
} from '../../../consensus/pow-wasm.ts';
import type { PowJob, PowReply } from '../../../consensus/pow-worker.ts';
import { HEADER_BYTES } from '../../../protocol/block.ts';

const U32 = 2 ** 32;
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const hashOf = (header: Uint8Array, nonce: number): bigint => {
  const h = header.slice();
  setNonce(h, nonce);
  return BigInt(`0x${Buffer.from(sha256(sha256(h))).toString('hex')}`);
};
/** The reference: every nonce of [start, end) hashed with noble, in order. */
function nobleSearch(header: Uint8Array, target: bigint, start: number, end: number): SearchResult {
  for (let n = start; n < end; n++)
    if (hashOf(header, n) <= target) return { nonce: n, hashes: n - start + 1 };
  return { nonce: -1, hashes: end - start };
}
const lowestOf = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0]!;
const headerArb = fc.uint8Array({ minLength: HEADER_BYTES, maxLength: HEADER_BYTES });
const randomHeader = (seed: number) =>
  Uint8Array.from({ length: HEADER_BYTES }, (_, i) => (seed * 131 + i * 29) & 255);
/** Start, length: anywhere in the nonce space, including just below 2^32. */
const rangeArb = fc
  .tuple(fc.oneof(fc.nat(5000), fc.integer({ min: U32 - 5000, max: U32 - 1 })), fc.nat(600))
  .map(([start, length]) => [start, Math.min(U32, start + length)] as const);

describe('WebAssembly module encoder', () => {
  it('encodes LEB128 numbers as the specification does', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => uleb(-1)).toThrow(RangeError);
    expect(() => sleb(2 ** 31)).toThrow(RangeError);
  });

  it('builds a module whose every instruction computes what the JS model does', () => {
    // search(start, groups): the first k < groups with a lane n = start + 4k + 0..3 (mod 2^32) such that
    // ((n << 5) ^ (n >>> 3)) | (n & 0x0f0f0f0f) <= memory word 1, or -1 — the kernel's loop and opcodes.
    const f = new FunctionBody([ValType.i32, ValType.i32], [ValType.i32]);
    const [step, lanes] = [f.local(ValType.i32), f.local(ValType.v128)];
    f.i32Const(0).set(step);
    f.op(Op.block, EMPTY_BLOCK, Op.loop, EMPTY_BLOCK);
    f.get(step).get(1).op(Op.i32GeU, Op.brIf, 1);
    f.get(0).get(step).i32Const(2).op(Op.i32Shl, Op.i32Add).simd(Simd.i32x4Splat);
    f.v128Const([0, 1, 2, 3]).simd(Simd.i32x4Add).set(lanes);
    f.get(lanes).i32Const(5).simd(Simd.i32x4Shl).get(lanes).i32Const(3).simd(Simd.i32x4ShrU);
    f.simd(Simd.v128Xor).get(lanes).v128Const([0x0f0f0f0f, 0x0f0f0f0f, 0x0f0f0f0f, 0x0f0f0f0f]);
    f.simd(Simd.v128And).simd(Simd.v128Or);
    f.i32Const(0)
      .simd(Simd.v128Load32Splat, ...FunctionBody.memarg(2, 4))
      .simd(Simd.i32x4LeU);
    f.simd(Simd.v128AnyTrue).op(Op.if, EMPTY_BLOCK).get(step).op(Op.return, Op.end);
    f.get(step).i32Const(1).op(Op.i32Add).set(step);
    f.op(Op.br, 0, Op.end, Op.end).i32Const(-1);
    const { exports } = new wasm.Instance(
      new wasm.Module(encodeModule({ functions: { search: f }, memoryPages: 1 })),
    );
    const search = exports.search as (start: number, groups: number) => number;
    const memory = new DataView((exports.memory as { buffer: ArrayBuffer }).buffer);
    const model = (start: number, groups: number, limit: number) => {
      for (let k = 0; k < groups; k++)
        for (let lane = 0; lane < 4; lane++) {
          const n = (start + 4 * k + lane) >>> 0;
          if ((((n << 5) ^ (n >>> 3)) | (n & 0x0f0f0f0f)) >>> 0 <= limit) return k;
        }
      return -1;
    };
    fc.assert(
      fc.property(fc.nat(U32 - 1), fc.nat(300), fc.nat(U32 - 1), (start, groups, limit) => {
        memory.setUint32(4, limit, true);
        expect(search(start | 0, groups)).toBe(model(start, groups, limit));
      }),
      { numRuns: 300 },
    );
  });
});

describe('SIMD nonce search', () => {
  it('is available here (Node 24 on x64 or arm64), and falls back where WebAssembly or SIMD is missing', () => {
    expect(simdAvailable()).toBe(true);
    expect(compileKernel(undefined)).toBeNull();
    expect(compileKernel({ ...wasm, validate: () => false })).toBeNull();
    expect(compileKernel(wasm)).not.toBeNull();
  });

  it('folds every constant and identity, and runs the nonce-independent work once, before the loop', () => {
    const shape = kernelShape();
    expect(shape.unfolded).toBe(0);
    // The first hash's first 12 rounds (about 35 operations each) and the constant parts of its schedule.
    expect(shape.uniform).toBeGreaterThan(12 * 35);
    // 5,677 operations per four nonces when this was written: more means an optimisation was lost.
    expect(shape.varying).toBeLessThanOrEqual(5677);
  });

  it('filters exactly: the first lane group holding a nonce whose first hash word is <= the target’s', () => {
    fc.assert(
      fc.property(
        headerArb,
        fc.nat(U32 - 1),
        fc.integer({ min: 1, max: 80 }),
        fc.nat(10),
        (h, start, groups, bits) => {
          const target = (1n << BigInt(256 - bits)) - 1n;
          const firstWordOk = (n: number) => hashOf(h, n) >> 224n <= target >> 224n;
          let expected = -1;
          for (let k = 0; k < groups && expected < 0; k++)
            for (let lane = 0; lane < LANES; lane++)
              if (firstWordOk((start + LANES * k + lane) % U32)) expected = k;
          expect(firstCandidateGroup(h, target, start, groups)).toBe(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds the same nonce, with the same hash count, as noble’s SHA-256d and the JS search', () => {
    fc.assert(
      fc.property(headerArb, fc.nat(12), rangeArb, (h, bits, [start, end]) => {
        const target = (1n << BigInt(256 - bits)) - 1n;
        const expected = nobleSearch(h, target, start, end);
        expect(searchNonceSimd(h, target, start, end)).toEqual(expected);
        expect(searchNonce(h, target, start, end)).toEqual(expected);
      }),
      { numRuns: 80 },
    );
  });

  it('finds a hit at the last nonce of a range, and not one just past its end, at every lane position', () => {
    for (let seed = 0; seed < 16; seed++) {
      const header = randomHeader(seed);
      const start = 1000 + seed; // every start mod 4
      const hashes = Array.from({ length: 403 }, (_, i) => hashOf(header, start + i));
      // The lowest hash of the window: the only nonce meeting a target equal to it.
      const m = hashes.indexOf(lowestOf(hashes));
      const target = hashes[m]!;
      const last = { nonce: start + m, hashes: m + 1 };
      for (const search of [searchNonceSimd, searchNonce]) {
        expect(search(header, target, start, start + m + 1)).toEqual(last);
        expect(search(header, target, start, start + m)).toEqual({ nonce: -1, hashes: m });
        expect(search(header, target, start + m, start + m + 1)).toEqual({ nonce: start + m, hashes: 1 });
        // A near miss: same first word as the lowest hash, one less: the filter passes the group, the
        // exact comparison rejects it, and the search goes on to the end of the range.
        expect(firstCandidateGroup(header, target - 1n, start + m, 1)).toBe(0);
        expect(search(header, target - 1n, start, start + hashes.length)).toEqual({
          nonce: -1,
          hashes: hashes.length,
        });
      }
    }
  });

  it('handles the top of the nonce space, empty ranges, unreachable and trivial targets', () => {
    const header = randomHeader(99);
    const top = Array.from({ length: 7 }, (_, i) => U32 - 7 + i);
    const lowest = lowestOf(top.map((n) => hashOf(header, n)));
    const hit = top.find((n) => hashOf(header, n) === lowest)!;
    for (const search of [searchNonceSimd, searchNonce]) {
      expect(search(header, lowest, U32 - 7, U32)).toEqual({ nonce: hit, hashes: hit - (U32 - 7) + 1 });
      expect(search(header, 0n, U32 - 7, U32)).toEqual({ nonce: -1, hashes: 7 });
      expect(search(header, (1n << 256n) - 1n, U32 - 1, U32)).toEqual({ nonce: U32 - 1, hashes: 1 });
      expect(search(header, (1n << 256n) - 1n, 5, 5)).toEqual({ nonce: -1, hashes: 0 });
      expect(search(header, 0n, 0, 10_000)).toEqual({ nonce: -1, hashes: 10_000 });
      expect(() => search(header, 1n, 10, 5)).toThrow(RangeError);
      expect(() => search(header, 1n, 0, U32 + 1)).toThrow(RangeError);
      expect(() => search(header.subarray(1), 1n, 0, 1)).toThrow(RangeError);
    }
  });
});

describe('PoW worker engines', () => {
  it('finds the same nonce with the SIMD and the JS search, and says which one ran', async () => {
    const header = randomHeader(7);
    const target = (1n << 244n) - 1n; // about one try in 4096
    const expected = nobleSearch(header, target, 3, 3 + 200_000);
    expect(expected.nonce).toBeGreaterThan(0);
    for (const engine of ['simd', 'js'] as const) {
      const w = new Worker(new URL('../../../consensus/pow-worker.ts', import.meta.url));
      try {
        const reply = new Promise<PowReply>((resolve) =>
          w.on('message', (m: PowReply) => m.kind !== 'progress' && resolve(m)),
        );
        const job: PowJob = {
          header,
          target: target.toString(16),
          start: 3,
          end: 3 + 200_000,
          stop: new SharedArrayBuffer(4),
          engine,
        };
        w.postMessage(job);
        const r = await reply;
        expect(r).toMatchObject({ kind: 'found', nonce: expected.nonce, hashes: expected.hashes, engine });
        expect(r.wallMs).toBeGreaterThanOrEqual(0);
        expect(r.cpuMs).toBeGreaterThanOrEqual(0);
      } finally {
        await w.terminate();
      }
    }
  });
});
