// A worker of the day-ahead pool (agent/dayahead-pool.ts): clears one VPP's market at a time in this
// thread, its prosumer parties in-thread too, and posts the iterations and the result back.
import { parentPort } from 'node:worker_threads';
import type { WorkerJob, WorkerMessage } from './dayahead-pool.ts';
import { runVppDayAhead } from './scenarios.ts';

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

parentPort!.on('message', async (job: WorkerJob) => {
  const started = performance.now();
  try {
    const result = await runVppDayAhead(
      job.scenario,
      job.framework,
      0,
      job.progress ? { onIteration: (entry, max) => post({ kind: 'iteration', i: job.i, entry, max }) } : {},
    );
    post({ kind: 'done', i: job.i, result, seconds: (performance.now() - started) / 1000 });
  } catch (err) {
    post({ kind: 'error', i: job.i, message: (err as Error).message });
  }
});
