// The fast nonce search: the WebAssembly SIMD kernel (pow-simd-kernel.ts) scans the range LANES nonces
// per step and stops at the first group in which some nonce's first hash word is <= the target's; the
// reference search (pow.ts) then decides that group exactly. A nonce that meets the target always passes
// the filter, so the result — nonce and hash count — is the reference's, bit for bit.
import { checkSearchArgs, type SearchResult, searchNonce, searchPrelude, targetWords } from './pow.ts';
import { buildSearchModule, Input, LANES } from './pow-simd-kernel.ts';

const U32 = 2 ** 32;

/** The compiled kernel: `search` (see pow-simd-kernel.ts) and a view of its input words. */
export interface Kernel {
  search: (start: number, groups: number) => number;
  inputs: DataView;
}

/** The part of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** Compiles the kernel with `wasm`, or returns null where there is no WebAssembly or no SIMD. */
export function compileKernel(wasm: WasmApi | undefined): Kernel | null {
  if (!wasm) return null;
  const bytes = buildSearchModule();
  // A runtime without SIMD (V8 needs SSE4.1 on x64) rejects the module here.
  if (!wasm.validate(bytes)) return null;
  const { exports } = new wasm.Instance(new wasm.Module(bytes));
  const memory = exports.memory as { buffer: ArrayBuffer };
  return {
    search: exports.search as Kernel['search'],
    inputs: new DataView(memory.buffer, 0, 4 * (Input.target0 + 1)),
  };
}

/** This runtime's kernel: compiled on first use; null where WebAssembly SIMD is missing. */
let kernel: Kernel | null | undefined;
function runtimeKernel(): Kernel | null {
  if (kernel === undefined) kernel = compileKernel((globalThis as { WebAssembly?: WasmApi }).WebAssembly);
  return kernel;
}

function loadedKernel(): Kernel {
  const k = runtimeKernel();
  if (!k) throw new Error('WebAssembly SIMD is not available in this runtime');
  return k;
}

/** Whether this runtime can run the SIMD search (it compiles the kernel on first use). */
export function simdAvailable(): boolean {
  return runtimeKernel() !== null;
}

/** Writes the nonce-independent inputs of a search of `header` for `target` into the kernel's memory. */
function loadInputs(k: Kernel, header: Uint8Array, target: bigint): void {
  const { midstate, block } = searchPrelude(header);
  const put = (word: number, value: number) => k.inputs.setUint32(4 * word, value >>> 0, true);
  for (let i = 0; i < 8; i++) put(Input.midstate + i, midstate[i]!);
  for (let i = 0; i < 12; i++) put(Input.block + i, block[i]!);
  put(Input.word12High, block[12]! & 0xffff0000);
  put(Input.target0, targetWords(target)[0]!);
}

/**
 * The kernel's filter alone (for tests): the first k < groups such that one of the nonces
 * start + LANES·k + 0..3 (mod 2^32) has a SHA-256d whose first word is <= the target's, or -1.
 */
export function firstCandidateGroup(
  header: Uint8Array,
  target: bigint,
  start: number,
  groups: number,
): number {
  checkSearchArgs(header, start, start);
  if (!Number.isInteger(groups) || groups < 0 || groups > U32 / LANES)
    throw new RangeError(`groups must be an integer in [0, 2^30], got ${groups}`);
  const k = loadedKernel();
  loadInputs(k, header, target);
  return k.search(start | 0, groups);
}

/** Same contract and results as `searchNonce` (pow.ts); throws if `simdAvailable()` is false. */
export function searchNonceSimd(
  header: Uint8Array,
  target: bigint,
  start: number,
  end: number,
): SearchResult {
  checkSearchArgs(header, start, end);
  const k = loadedKernel();
  loadInputs(k, header, target);

  let from = start;
  while (from < end) {
    // Nonces are u32; the kernel takes an i32 and wraps, and lanes past `end` are never reported.
    const hit = k.search(from | 0, Math.ceil((end - from) / LANES));
    if (hit < 0) break;
    const group = from + hit * LANES;
    const exact = searchNonce(header, target, group, Math.min(end, group + LANES));
    if (exact.nonce >= 0) return { nonce: exact.nonce, hashes: exact.nonce - start + 1 };
    from = group + LANES;
  }
  return { nonce: -1, hashes: end - start };
}
