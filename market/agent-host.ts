// The message boundary between the peers' network of the decentralised market (and the traditional
// baseline) and the prosumer agents: peer offers go in, offers come back. (The weak market's parties
// speak the secure-sum protocol instead: pool/.)
// Agents run either in-process or spread over worker threads (one group per worker, in parallel).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AgentReport, PeerMessage } from './agent.ts';
import { AgentGroup, type PeerRound, type Topology } from './agent-group.ts';
import type { Scenario } from './types.ts';
import { periodHours } from './types.ts';

export interface AgentHost {
  readonly size: number;
  solveAlone(): Promise<number[]>;
  /** Delivers the messages and returns every agent's offers for the next round. */
  peerStep(inbox: PeerMessage[], rho: number): Promise<PeerRound>;
  /** After clearing: each agent publishes its own schedule and bill. */
  report(): Promise<AgentReport[]>;
  bilateralPrices(): Promise<number[][][]>;
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
      peerStep: async (inbox, rho) => group.peerStep(inbox, rho),
      report: async () => group.report(),
      bilateralPrices: async () => group.bilateralPrices(),
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
    peerStep: async (inbox, rho) => {
      const perWorker = ranges.map(() => [] as PeerMessage[]);
      for (const m of inbox) perWorker[ranges.findIndex(([s, e]) => m.to >= s && m.to < e)]!.push(m);
      const rounds = await all<PeerRound>((i: number) => ({ op: 'peer', inbox: perWorker[i], rho }));
      return { outbox: rounds.flatMap((r) => r.outbox), ownCosts: rounds.flatMap((r) => r.ownCosts) };
    },
    report: async () => (await all<AgentReport[]>({ op: 'report' })).flat(),
    bilateralPrices: async () => (await all<number[][][]>({ op: 'prices' })).flat(),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
