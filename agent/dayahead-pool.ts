// The day-ahead markets of many VPPs at once: each VPP's market is independent of the others (its own
// prosumers, its own secure-sum session), so they run side by side on a pool of worker threads, one per
// core, each worker clearing one VPP at a time in its own thread (runVppDayAhead with in-thread parties).
// One VPP's market is a chain of rounds that wait on each other; spreading a single VPP over threads adds
// a hand-off per round, whereas whole VPPs per worker keep every core busy without any (docs/performance.md,
// "Day-ahead for every VPP").
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FrameworkName, HistoryEntry } from '../market/result.ts';
import type { Scenario } from '../market/types.ts';
import { runVppDayAhead, type VppDayAhead } from './scenarios.ts';

export interface PoolProgress {
  /** VPP i's market started (on a worker, or in this thread). */
  onStart?: (i: number) => void;
  /** An iteration of VPP i's clearing. */
  onIteration?: (i: number, entry: HistoryEntry, maxIterations: number) => void;
  /** VPP i's market finished after `seconds` of wall time. */
  onDone?: (i: number, result: VppDayAhead, seconds: number) => void;
}

export interface PoolOptions extends PoolProgress {
  /** Worker threads (0: one VPP after another in this thread); default one per core, at most one per VPP. */
  workers?: number;
  /** Stops handing out VPPs and ends the workers (the run rejects); VPPs already done are lost. */
  signal?: AbortSignal;
}

/** What a worker posts back (agent/dayahead-worker.ts). */
export type WorkerMessage =
  | { kind: 'iteration'; i: number; entry: HistoryEntry; max: number }
  | { kind: 'done'; i: number; result: VppDayAhead; seconds: number }
  | { kind: 'error'; i: number; message: string };

/** What a worker is asked: clear VPP i's day-ahead market with `framework`. */
export interface WorkerJob {
  i: number;
  scenario: Scenario;
  framework: FrameworkName;
  /** Whether to post every iteration (only when the caller shows progress). */
  progress: boolean;
}

/** Runs every VPP's day-ahead market (framework and the traditional baseline); results in input order. */
export async function runVppDayAheads(
  scenarios: readonly Scenario[],
  framework: FrameworkName,
  options: PoolOptions = {},
): Promise<VppDayAhead[]> {
  const results: VppDayAhead[] = new Array(scenarios.length);
  const workers = Math.min(options.workers ?? availableParallelism(), scenarios.length);
  if (workers <= 0) {
    for (const [i, scenario] of scenarios.entries()) {
      if (options.signal?.aborted) throw new Error('day-ahead markets stopped');
      options.onStart?.(i);
      const started = performance.now();
      results[i] = await runVppDayAhead(scenario, framework, 0, {
        onIteration: (entry, max) => options.onIteration?.(i, entry, max),
      });
      options.onDone?.(i, results[i]!, (performance.now() - started) / 1000);
    }
    return results;
  }
  let next = 0;
  const pool = Array.from(
    { length: workers },
    () => new Worker(new URL('./dayahead-worker.ts', import.meta.url)),
  );
  try {
    await Promise.all(
      pool.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const give = () => {
              if (next >= scenarios.length) return resolve();
              const i = next++;
              options.onStart?.(i);
              const job: WorkerJob = {
                i,
                scenario: scenarios[i]!,
                framework,
                progress: options.onIteration !== undefined,
              };
              worker.postMessage(job);
            };
            worker.on('message', (m: WorkerMessage) => {
              if (m.kind === 'iteration') options.onIteration?.(m.i, m.entry, m.max);
              else if (m.kind === 'error')
                reject(new Error(`day-ahead market of VPP ${m.i + 1}: ${m.message}`));
              else {
                results[m.i] = m.result;
                options.onDone?.(m.i, m.result, m.seconds);
                give();
              }
            });
            worker.on('error', reject);
            const stop = () => reject(new Error('day-ahead markets stopped'));
            if (options.signal?.aborted) stop();
            options.signal?.addEventListener('abort', stop, { once: true });
            worker.on('exit', (code) => {
              if (code !== 0) reject(new Error(`a day-ahead worker exited with code ${code}`));
            });
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
