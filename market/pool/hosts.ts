// Simulated prosumer parties for a scenario: in this thread, or spread over worker threads (one group
// per core), each party with its own fresh secp256k1 identity. The coordinator gets only the transport;
// the prosumers' outcomes stay with the host (tests read them to check what each prosumer kept).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { generateIdentity, identitySeedOf } from '../secagg/keys.ts';
import type { Scenario } from '../types.ts';
import { callWorker, contiguousRanges } from '../worker-call.ts';
import { type PartyOutcome, ProsumerParty } from './party.ts';
import {
  decodeBatchReply,
  encodeBatch,
  localTransport,
  type PartyAnswer,
  type PartyTransport,
} from './transport.ts';

/**
 * Deadlines for a simulation: one worker answers for thousands of prosumers in a round, on a machine
 * that may be shared, so a deadline only has to catch a worker that died (an hour).
 */
export const SIMULATION_DEADLINES = { setupDeadlineMs: 3_600_000, roundDeadlineMs: 3_600_000 } as const;

export interface SimulatedParties {
  transport: PartyTransport;
  /** What each prosumer kept after the last clearing (held by the prosumers, not the coordinator). */
  outcomes(): Promise<(PartyOutcome | undefined)[]>;
  close(): Promise<void>;
}

export interface SimulationOptions {
  /** Worker threads (0 = this thread); default one per core. */
  threads?: number;
  /** Whether the simulated prosumers agree to reveal their schedules in research mode. */
  allowReveal?: boolean;
  /** Derive each prosumer's key from this seed and its index (reproducible runs); fresh keys otherwise. */
  identitySeed?: string;
}

export async function startParties(
  scenario: Scenario,
  options: SimulationOptions = {},
): Promise<SimulatedParties> {
  const n = scenario.prosumers.length;
  const allowReveal = options.allowReveal ?? false;
  const wanted = Math.min(options.threads ?? availableParallelism(), n);
  if (wanted <= 0) {
    const parties = scenario.prosumers.map((prosumer, i) => {
      const { secretKey, identity, secpKey } = generateIdentity(
        options.identitySeed === undefined ? undefined : identitySeedOf(options.identitySeed, i),
      );
      return new ProsumerParty({ prosumer, secretKey, identity, secpKey }, { allowReveal });
    });
    return {
      transport: localTransport(parties),
      outcomes: async () => parties.map((p) => p.outcome),
      close: async () => {},
    };
  }
  const groups = contiguousRanges(n, wanted);
  const workers = groups.map(() => new Worker(new URL('./worker.ts', import.meta.url)));
  const call = <T>(w: Worker, req: unknown, transfer: ArrayBuffer[] = []): Promise<T> =>
    callWorker<{ ok: boolean; error?: string } & T>(w, req, transfer);
  try {
    await Promise.all(
      workers.map((w, g) =>
        call(w, {
          op: 'create',
          offset: groups[g]![0],
          prosumers: scenario.prosumers.slice(...groups[g]!),
          allowReveal,
          identitySeed: options.identitySeed,
        }),
      ),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  const groupOf = (i: number) => groups.findIndex(([s, e]) => i >= s && i < e);
  // A worker that missed a deadline is stopped: its late answer must never be read (as the network
  // transport aborts a late stream), and its prosumers are drop-outs from then on.
  const dead = new Set<number>();
  const transport: PartyTransport = {
    size: n,
    async exchange(requests, deadlineMs) {
      const perGroup = groups.map(() => [] as [number, Uint8Array][]);
      for (const [i, body] of requests) perGroup[groupOf(i)]?.push([i, body]);
      const answers = new Map<number, PartyAnswer>();
      await Promise.all(
        perGroup.map(async (list, g) => {
          if (list.length === 0) return;
          if (dead.has(g)) {
            for (const [i] of list)
              answers.set(i, { ok: false, failure: 'failed', detail: 'its worker was stopped' });
            return;
          }
          const bytes = encodeBatch(list);
          let timer: NodeJS.Timeout | undefined;
          try {
            const reply = await Promise.race([
              call<{ bytes: Uint8Array }>(workers[g]!, { op: 'batch', bytes }, [bytes.buffer as ArrayBuffer]),
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
              }),
            ]);
            for (const [i, r] of decodeBatchReply(reply.bytes)) {
              answers.set(
                i,
                typeof r === 'string' ? { ok: false, failure: 'failed', detail: r } : { ok: true, bytes: r },
              );
            }
          } catch (err) {
            const failure = /within/.test((err as Error).message) ? 'timeout' : 'failed';
            for (const [i] of list) answers.set(i, { ok: false, failure, detail: (err as Error).message });
            dead.add(g);
            await workers[g]!.terminate();
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      return answers;
    },
    penalise() {},
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
  return {
    transport,
    async outcomes() {
      const out: (PartyOutcome | undefined)[] = new Array(n).fill(undefined);
      const lists = await Promise.all(
        workers
          .filter((_, g) => !dead.has(g))
          .map((w) => call<{ outcomes: [number, PartyOutcome | undefined][] }>(w, { op: 'outcomes' })),
      );
      for (const l of lists) for (const [i, o] of l.outcomes) out[i] = o;
      return out;
    },
    close: () => transport.close(),
  };
}
