// The network of the decentralised market's peers (and the host of the traditional baseline's agents).
// It plays the network and nothing else: each tick every group (agent-group.ts) delivers to its peers what
// they were sent, keeps messages between its own peers, and packs the rest into one packet per
// destination group; the host forwards each packet to its group unopened, and counts the traffic the
// groups report. It decides nothing: the peers agree among themselves when to stop (peer/peer.ts), and
// the host only sees that they did. (The weak market's parties speak the secure-sum protocol instead:
// pool/.) Agents run either in-process or spread over worker threads (one group per worker, in parallel).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AgentReport } from './agent.ts';
import { AgentGroup, type PeerTick, type Topology, type Wiretap } from './agent-group.ts';
import { type Packet, transferList } from './peer/packet.ts';
import type { PeerAgreement } from './peer/types.ts';
import type { Scenario } from './types.ts';
import { periodHours } from './types.ts';
import { callWorker, contiguousRanges } from './worker-call.ts';

export interface AgentHost {
  readonly size: number;
  solveAlone(): Promise<number[]>;
  /** Delivers what the peers sent last tick and runs one tick of every peer. */
  tick(): Promise<NetworkTick>;
  /** After clearing: each agent publishes its own schedule and bill. */
  report(): Promise<AgentReport[]>;
  bilateralPrices(): Promise<number[][][]>;
  /** What each peer agreed with the others (the same figures at every peer). */
  agreements(): Promise<PeerAgreement[]>;
  close(): Promise<void>;
}

export interface NetworkTick {
  /** Peers that have stopped. */
  finished: number;
  /** Messages sent this tick and the numbers they carried. */
  messages: number;
  numbers: number;
}

/**
 * Starts agents for a scenario. `threads` = 0 keeps them in this thread; otherwise they are spread over
 * that many worker threads (default: one per core). A wiretap (tests) needs them in this thread.
 */
export async function startAgents(
  scenario: Scenario,
  topology: Topology,
  threads?: number,
  wiretap?: Wiretap,
): Promise<AgentHost> {
  const n = scenario.prosumers.length;
  const wanted = Math.min(threads ?? availableParallelism(), n);
  if (wiretap && wanted > 1) throw new Error('a wiretap needs the agents in this thread (threads: 0)');
  const ranges = wanted <= 1 ? [[0, n] as [number, number]] : contiguousRanges(n, wanted);
  const setupFor = (group: number) => ({
    ranges,
    group,
    prosumers: scenario.prosumers.slice(...ranges[group]!),
    tariffs: scenario.tariffs,
    hours: periodHours(scenario),
    topology,
  });
  if (ranges.length === 1) {
    const group = new AgentGroup(setupFor(0), wiretap);
    return {
      size: n,
      solveAlone: async () => group.solveAlone(),
      tick: async () => group.tick([null]),
      report: async () => group.report(),
      bilateralPrices: async () => group.bilateralPrices(),
      agreements: async () => group.agreements(),
      close: async () => {},
    };
  }
  const workers = ranges.map(() => new Worker(new URL('./agent-worker.ts', import.meta.url)));
  const call = async <T>(w: Worker, req: unknown, transfer: ArrayBuffer[] = []): Promise<T> =>
    (await callWorker<{ ok: boolean; value?: T; error?: string }>(w, req, transfer)).value as T;
  const all = async <T>(req: unknown | ((i: number) => unknown)): Promise<T[]> =>
    Promise.all(workers.map((w, i) => call<T>(w, typeof req === 'function' ? req(i) : req)));
  try {
    await all((i: number) => ({ op: 'init', setup: setupFor(i) }));
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  let inFlight: (Packet | null)[][] = workers.map(() => workers.map(() => null));
  return {
    size: n,
    solveAlone: async () => (await all<number[]>({ op: 'alone' })).flat(),
    tick: async () => {
      const ticks = await Promise.all(
        workers.map((w, i) =>
          call<PeerTick>(w, { op: 'tick', incoming: inFlight[i] }, transferList(inFlight[i]!)),
        ),
      );
      // inFlight[destination][source]: each packet goes to its group as it came, unopened.
      inFlight = workers.map((_, to) => ticks.map((t) => t.outgoing[to] ?? null));
      return {
        finished: ticks.reduce((s, r) => s + r.finished, 0),
        messages: ticks.reduce((s, r) => s + r.messages, 0),
        numbers: ticks.reduce((s, r) => s + r.numbers, 0),
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
