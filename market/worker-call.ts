// What the markets' worker-thread hosts share (agent-host.ts for the decentralised market's peers,
// pool/hosts.ts for the weak market's parties): how prosumers are split over the threads, and one
// request/response exchange with a worker that answers `{ ok, error? }` to each request in turn.
import type { Worker } from 'node:worker_threads';

/** Splits n prosumers into contiguous [start, end) ranges, one per thread (the last may be shorter). */
export function contiguousRanges(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const size = Math.ceil(n / parts);
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

/** Posts one request (transferring `transfer`) and resolves with the worker's reply, or rejects with its error. */
export function callWorker<R extends { ok: boolean; error?: string }>(
  w: Worker,
  req: unknown,
  transfer: ArrayBuffer[] = [],
): Promise<R> {
  return new Promise((resolve, reject) => {
    const onMessage = (res: R) => {
      w.off('error', onError);
      if (res.ok) resolve(res);
      else reject(new Error(res.error));
    };
    const onError = (err: Error) => {
      w.off('message', onMessage);
      reject(err);
    };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage(req, transfer);
  });
}
