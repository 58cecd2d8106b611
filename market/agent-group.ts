// A group of prosumer agents hosted together: either in the main thread (small runs, tests) or inside
// one worker thread. It hands each hosted agent or peer the messages addressed to it.
import { type AgentReport, ProsumerAgent } from './agent.ts';
import type { PeerMessage } from './peer/messages.ts';
import { Peer, type PeerAgreement, type PeerOptions } from './peer/peer.ts';
import type { Prosumer, Tariffs } from './types.ts';

/**
 * How agents are connected: alone (traditional) or as peers of the decentralised market on a trading
 * graph (neighbour indices per prosumer). The weak market's pool agents are parties of the secure-sum
 * protocol instead (pool/party.ts).
 */
export type Topology = 'alone' | { neighbours: number[][]; peer: PeerOptions };

export interface GroupSetup {
  /** Global index of the first prosumer in this group. */
  offset: number;
  prosumers: Prosumer[];
  tariffs: Tariffs;
  hours: number;
  topology: Topology;
}

export interface PeerTick {
  outbox: PeerMessage[];
  /** How many of the group's peers have stopped (all or none: they stop on the same agreed figures). */
  finished: number;
}

export class AgentGroup {
  private readonly offset: number;
  private readonly agents: ProsumerAgent[] = [];
  private readonly peers: Peer[] = [];

  constructor(setup: GroupSetup) {
    this.offset = setup.offset;
    const topology = setup.topology;
    setup.prosumers.forEach((p, i) => {
      if (topology === 'alone') this.agents.push(new ProsumerAgent(p, setup.tariffs, setup.hours, 'alone'));
      else {
        const self = setup.offset + i;
        const options =
          topology.peer.maskSeed === undefined
            ? topology.peer
            : { ...topology.peer, maskSeed: topology.peer.maskSeed + self };
        this.peers.push(new Peer(p, setup.tariffs, setup.hours, self, topology.neighbours[self]!, options));
      }
    });
  }

  solveAlone(): number[] {
    return this.agents.map((a) => {
      a.solveAlone();
      return a.ownCost();
    });
  }

  /** Delivers `inbox` (messages addressed to this group's peers) and runs one tick of every peer. */
  tick(inbox: PeerMessage[]): PeerTick {
    const boxes = this.peers.map(() => [] as PeerMessage[]);
    for (const m of inbox) {
      const box = boxes[m.to - this.offset];
      if (!box) throw new Error(`message for ${m.to} delivered to the wrong group`);
      box.push(m);
    }
    const outbox: PeerMessage[] = [];
    let finished = 0;
    this.peers.forEach((p, i) => {
      for (const m of p.tick(boxes[i]!)) outbox.push(m);
      if (p.finished) finished++;
    });
    return { outbox, finished };
  }

  report(): AgentReport[] {
    return this.peers.length > 0 ? this.peers.map((p) => p.report()) : this.agents.map((a) => a.report());
  }

  bilateralPrices(): number[][][] {
    return this.peers.map((p) => p.bilateralPrices());
  }

  agreements(): PeerAgreement[] {
    return this.peers.map((p) => p.agreed());
  }
}
