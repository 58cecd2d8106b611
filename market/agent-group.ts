// A group of prosumer agents hosted together: either in the main thread (small runs, tests) or inside
// one worker thread. It dispatches the market's messages to the agents it hosts.
import { type AgentReport, type PeerMessage, ProsumerAgent } from './agent.ts';
import type { Prosumer, Tariffs } from './types.ts';

/**
 * How agents are connected: alone (traditional) or to the given peers (indices per prosumer). The weak
 * market's pool agents are parties of the secure-sum protocol instead (pool/party.ts).
 */
export type Topology = 'alone' | number[][];

export interface GroupSetup {
  /** Global index of the first prosumer in this group. */
  offset: number;
  prosumers: Prosumer[];
  tariffs: Tariffs;
  hours: number;
  topology: Topology;
}

export interface PeerRound {
  outbox: PeerMessage[];
  ownCosts: number[];
}

export class AgentGroup {
  private readonly offset: number;
  private readonly agents: ProsumerAgent[];

  constructor(setup: GroupSetup) {
    this.offset = setup.offset;
    this.agents = setup.prosumers.map((p, i) => {
      const topology = setup.topology;
      const peers = Array.isArray(topology) ? topology[setup.offset + i]! : topology;
      return new ProsumerAgent(p, setup.tariffs, setup.hours, peers);
    });
  }

  solveAlone(): number[] {
    return this.agents.map((a) => {
      a.solveAlone();
      return a.ownCost();
    });
  }

  /** Delivers `inbox` (messages addressed to this group's agents) and runs one round. */
  peerStep(inbox: PeerMessage[], rho: number): PeerRound {
    const boxes = this.agents.map(() => new Map<number, Float64Array>());
    for (const m of inbox) boxes[m.to - this.offset]!.set(m.from, m.trade);
    const outbox: PeerMessage[] = [];
    const ownCosts: number[] = [];
    this.agents.forEach((a, i) => {
      outbox.push(...a.peerStep(boxes[i]!, rho, this.offset + i));
      ownCosts.push(a.ownCost());
    });
    return { outbox, ownCosts };
  }

  report(): AgentReport[] {
    return this.agents.map((a) => a.report());
  }

  bilateralPrices(): number[][][] {
    return this.agents.map((a) => a.bilateralPrices());
  }
}
