// A group of prosumer agents hosted together: either in the main thread (small runs, tests) or inside
// one worker thread. For the decentralised market it is also the network's end in that thread: it hands
// each hosted peer the messages addressed to it, keeps messages between two of its own peers in the group
// (they never cross a thread), and packs the rest into one packet per destination group (peer/packet.ts).
import { type AgentReport, ProsumerAgent } from './agent.ts';
import type { PeerMessage } from './peer/messages.ts';
import { type Packet, pack, unpack } from './peer/packet.ts';
import { Peer } from './peer/peer.ts';
import { sumTree } from './peer/tree.ts';
import type { PeerAgreement, PeerOptions } from './peer/types.ts';
import type { Prosumer, Tariffs } from './types.ts';

/**
 * How agents are connected: alone (traditional) or as peers of the decentralised market on a trading
 * graph (neighbour indices per prosumer). The weak market's pool agents are parties of the secure-sum
 * protocol instead (pool/party.ts).
 */
export type Topology = 'alone' | { neighbours: number[][]; peer: PeerOptions };

export interface GroupSetup {
  /** The global index ranges [start, end) of all groups, contiguous and in order. */
  ranges: [number, number][];
  /** Which of them is this group. */
  group: number;
  prosumers: Prosumer[];
  tariffs: Tariffs;
  hours: number;
  topology: Topology;
}

export interface PeerTick {
  /** For each destination group the packet of this tick's messages to its peers (null: none, or self). */
  outgoing: (Packet | null)[];
  /** How many of the group's peers have stopped (all or none: they stop on the same agreed figures). */
  finished: number;
  /** Messages the group's peers sent this tick (to any group, this one included), and their numbers. */
  messages: number;
  numbers: number;
}

/** Sees every message as it is delivered (tests: what each peer receives). */
export type Wiretap = (message: PeerMessage) => void;

export class AgentGroup {
  private readonly offset: number;
  private readonly group: number;
  private readonly groups: number;
  /** Owning group of each global peer index. */
  private readonly owner: Int32Array;
  private readonly agents: ProsumerAgent[] = [];
  private readonly peers: Peer[] = [];
  /** Messages between this group's own peers, sent last tick, in the order they were sent. */
  private local: PeerMessage[] = [];
  private readonly wiretap: Wiretap | undefined;

  constructor(setup: GroupSetup, wiretap?: Wiretap) {
    this.wiretap = wiretap;
    this.group = setup.group;
    this.groups = setup.ranges.length;
    this.offset = setup.ranges[setup.group]![0];
    this.owner = new Int32Array(setup.ranges.at(-1)![1]);
    for (const [g, [s, e]] of setup.ranges.entries()) this.owner.fill(g, s, e);
    const topology = setup.topology;
    // The stop test's spanning tree, from the public graph: the same at every peer.
    const tree = topology === 'alone' ? undefined : sumTree(topology.neighbours);
    setup.prosumers.forEach((p, i) => {
      if (topology === 'alone') this.agents.push(new ProsumerAgent(p, setup.tariffs, setup.hours, 'alone'));
      else {
        const self = this.offset + i;
        const options =
          topology.peer.maskSeed === undefined
            ? topology.peer
            : { ...topology.peer, maskSeed: topology.peer.maskSeed + self };
        this.peers.push(
          new Peer(p, setup.tariffs, setup.hours, self, topology.neighbours[self]!, options, tree!),
        );
      }
    });
  }

  solveAlone(): number[] {
    return this.agents.map((a) => {
      a.solveAlone();
      return a.ownCost();
    });
  }

  /**
   * Delivers last tick's messages — `incoming[g]` from group g, the group's own kept here — and runs one
   * tick of every peer. Each peer gets its messages ordered by sender, as one global list would give them.
   */
  tick(incoming: readonly (Packet | null)[]): PeerTick {
    const boxes = this.peers.map(() => [] as PeerMessage[]);
    const deliver = (m: PeerMessage) => {
      const box = boxes[m.to - this.offset];
      if (!box) throw new Error(`message for ${m.to} delivered to the wrong group`);
      this.wiretap?.(m);
      box.push(m);
    };
    for (let g = 0; g < this.groups; g++) {
      if (g === this.group) for (const m of this.local) deliver(m);
      else {
        const packet = incoming[g];
        if (packet) for (const m of unpack(packet)) deliver(m);
      }
    }
    const local: PeerMessage[] = [];
    const away = Array.from({ length: this.groups }, () => [] as PeerMessage[]);
    let messages = 0;
    let numbers = 0;
    let finished = 0;
    this.peers.forEach((p, i) => {
      for (const m of p.tick(boxes[i]!)) {
        messages++;
        numbers += m.data.length;
        const g = this.owner[m.to];
        if (g === undefined) throw new Error(`peer ${m.from} sent to ${m.to}: no such peer`);
        (g === this.group ? local : away[g]!).push(m);
      }
      if (p.finished) finished++;
    });
    this.local = local;
    return {
      outgoing: away.map((list, g) => (g === this.group || list.length === 0 ? null : pack(list))),
      finished,
      messages,
      numbers,
    };
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
