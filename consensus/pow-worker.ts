// Worker thread: searches a nonce range for a header, in slices, checking a shared stop flag between
// slices so that the miner can abandon a template as soon as the tip changes. When its range is used up
// it stops: the miner builds a new template (the timestamp, and with it the state root, may change).
// The search is the WebAssembly SIMD one (pow-simd.ts) unless the job asks for the JS reference or the
// runtime has no WebAssembly SIMD; both find the same nonces.
import { parentPort } from 'node:worker_threads';
import { type NonceSearch, searchNonce } from './pow.ts';
import { searchNonceSimd, simdAvailable } from './pow-simd.ts';

export type PowEngine = 'simd' | 'js';

export interface PowJob {
  header: Uint8Array;
  target: string; // hex
  start: number;
  end: number;
  stop: SharedArrayBuffer;
  /** Default 'simd' (falls back to 'js' where WebAssembly SIMD is missing). */
  engine?: PowEngine;
}

/** The work since the worker's previous reply: nonces tried, wall and thread CPU time, the engine used. */
export interface PowWork {
  hashes: number;
  wallMs: number;
  cpuMs: number;
  engine: PowEngine;
}

export type PowReply =
  | ({ kind: 'progress' } & PowWork)
  | ({ kind: 'found'; nonce: number } & PowWork)
  | ({ kind: 'stopped' } & PowWork);

/** Nonces per slice: the stop flag is checked between slices (~15 ms with SIMD, ~50 ms in JS). */
const SLICE = 1 << 16;
const PROGRESS_MS = 250;

const SEARCH: Record<PowEngine, NonceSearch> = { simd: searchNonceSimd, js: searchNonce };
// Build and compile the kernel now, while the miner prepares the first job.
simdAvailable();

parentPort!.on('message', (job: PowJob) => {
  const engine: PowEngine = job.engine === 'js' || !simdAvailable() ? 'js' : 'simd';
  const search = SEARCH[engine];
  const stop = new Int32Array(job.stop);
  const target = BigInt(`0x${job.target}`);
  let hashes = 0;
  let since = performance.now();
  let cpuSince = process.threadCpuUsage();
  const work = (): PowWork => {
    const now = performance.now();
    const cpu = process.threadCpuUsage(cpuSince);
    const done = { hashes, wallMs: now - since, cpuMs: (cpu.user + cpu.system) / 1000, engine };
    hashes = 0;
    since = now;
    cpuSince = process.threadCpuUsage();
    return done;
  };
  for (let n = job.start; n < job.end; n += SLICE) {
    if (Atomics.load(stop, 0) !== 0) {
      parentPort!.postMessage({ kind: 'stopped', ...work() } satisfies PowReply);
      return;
    }
    const r = search(job.header, target, n, Math.min(job.end, n + SLICE));
    hashes += r.hashes;
    if (r.nonce >= 0) {
      Atomics.store(stop, 0, 1);
      parentPort!.postMessage({ kind: 'found', nonce: r.nonce, ...work() } satisfies PowReply);
      return;
    }
    if (performance.now() - since > PROGRESS_MS)
      parentPort!.postMessage({ kind: 'progress', ...work() } satisfies PowReply);
  }
  parentPort!.postMessage({ kind: 'stopped', ...work() } satisfies PowReply);
});
