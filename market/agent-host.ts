// The network of the decentralised market's peers (and the host of the traditional baseline's agents).
// It plays the network and nothing else: each tick it hands every message to the group hosting its
// addressee and collects what the peers send back. It reads a message's addresses, never its contents,
// and decides nothing: the peers agree among themselves when to stop (peer/peer.ts), and the host only
// sees that they did. (The weak market's parties speak the secure-sum protocol instead: pool/.)
// Agents run either in-process or spread over worker threads (one group per worker, in parallel).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AgentReport } from './agent.ts';
import { AgentGroup, type PeerTick, type Topology } from './agent-group.ts';
import type { PeerMessage } from './peer/messages.ts';
import type { PeerAgreement } from './peer/peer.ts';
import type { Scenario } from './types.ts';
import { periodHours } from './types.ts';

export interface AgentHost {
  readonly size: number;
  solveAlone(): Promise<number[]>;
  /** Delivers the messages to their addressees and returns what the peers send next. */
  tick(inbox: PeerMessage[]): Promise<PeerTick>;
  /** After clearing: each agent publishes its own schedule and bill. */
  report(): Promise<AgentReport[]>;
  bilateralPrices(): Promise<number[][][]>;
  /** What each peer agreed with the others (the same figures at every peer). */
  agreements(): Promise<PeerAgreement[]>;
  close(): Promise<void>;
}

/** Splits prosumers into contiguous chunks, one per group. */
function chunks(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const size = Math.ceil(n / parts);
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

/**
 * Starts agents for a scenario. `threads` = 0 keeps them in this thread; otherwise they are spread over
 * that many worker threads (default: one per core).
 */
export async function startAgents(
  scenario: Scenario,
  topology: Topology,
  threads?: number,
): Promise<AgentHost> {
  const n = scenario.prosumers.length;
  const wanted = Math.min(threads ?? availableParallelism(), n);
  const setupFor = ([s, e]: [number, number]) => ({
    offset: s,
    prosumers: scenario.prosumers.slice(s, e),
    tariffs: scenario.tariffs,
    hours: periodHours(scenario),
    topology,
  });
  if (wanted <= 1) {
    const group = new AgentGroup(setupFor([0, n]));
    return {
      size: n,
      solveAlone: async () => group.solveAlone(),
      tick: async (inbox) => group.tick(inbox),
      report: async () => group.report(),
      bilateralPrices: async () => group.bilateralPrices(),
      agreements: async () => group.agreements(),
      close: async () => {},
    };
  }
  const ranges = chunks(n, wanted);
  const workers = ranges.map(() => new Worker(new URL('./agent-worker.ts', import.meta.url)));
  const call = <T>(w: Worker, req: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (res: { ok: boolean; value?: T; error?: string }) => {
        w.off('error', onError);
        if (res.ok) resolve(res.value as T);
        else reject(new Error(res.error));
      };
      const onError = (err: Error) => {
        w.off('message', onMessage);
        reject(err);
      };
      w.once('message', onMessage);
      w.once('error', onError);
      w.postMessage(req);
    });
  const all = async <T>(req: unknown | ((i: number) => unknown)): Promise<T[]> =>
    Promise.all(workers.map((w, i) => call<T>(w, typeof req === 'function' ? req(i) : req)));
  try {
    await all((i: number) => ({ op: 'init', setup: setupFor(ranges[i]!) }));
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  return {
    size: n,
    solveAlone: async () => (await all<number[]>({ op: 'alone' })).flat(),
    tick: async (inbox) => {
      // Routing by address: contiguous ranges, so the owner of index `to` is found by division.
      const perWorker = ranges.map(() => [] as PeerMessage[]);
      const size = ranges[0]![1] - ranges[0]![0];
      for (const m of inbox) perWorker[Math.floor(m.to / size)]!.push(m);
      const ticks = await all<PeerTick>((i: number) => ({ op: 'tick', inbox: perWorker[i] }));
      return {
        outbox: ticks.flatMap((r) => r.outbox),
        finished: ticks.reduce((s, r) => s + r.finished, 0),
      };
    },
    report: async () => (await all<AgentReport[]>({ op: 'report' })).flat(),
    bilateralPrices: async () => (await all<number[][][]>({ op: 'prices' })).flat(),
    agreements: async () => (await all<PeerAgreement[]>({ op: 'agreements' })).flat(),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
