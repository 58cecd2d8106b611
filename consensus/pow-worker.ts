// Worker thread: searches a nonce range for a header, in slices, checking a shared stop flag between
// slices so that the miner can abandon a template as soon as the tip changes. When its range is used up
// it stops: the miner builds a new template (the timestamp, and with it the state root, may change).
import { parentPort } from 'node:worker_threads';
import { searchNonce } from './pow.ts';

export interface PowJob {
  header: Uint8Array;
  target: string; // hex
  start: number;
  end: number;
  stop: SharedArrayBuffer;
}

export type PowReply =
  | { kind: 'progress'; hashes: number }
  | { kind: 'found'; nonce: number; hashes: number }
  | { kind: 'stopped'; hashes: number };

const SLICE = 1 << 16;

parentPort!.on('message', (job: PowJob) => {
  const stop = new Int32Array(job.stop);
  const target = BigInt(`0x${job.target}`);
  const header = job.header;
  let hashes = 0;
  let reported = performance.now();
  for (let n = job.start; n < job.end; n += SLICE) {
    if (Atomics.load(stop, 0) !== 0) {
      parentPort!.postMessage({ kind: 'stopped', hashes } satisfies PowReply);
      return;
    }
    const r = searchNonce(header, target, n, Math.min(job.end, n + SLICE));
    hashes += r.hashes;
    if (r.nonce >= 0) {
      Atomics.store(stop, 0, 1);
      parentPort!.postMessage({ kind: 'found', nonce: r.nonce, hashes } satisfies PowReply);
      return;
    }
    if (performance.now() - reported > 250) {
      parentPort!.postMessage({ kind: 'progress', hashes } satisfies PowReply);
      hashes = 0;
      reported = performance.now();
    }
  }
  parentPort!.postMessage({ kind: 'stopped', hashes } satisfies PowReply);
});
