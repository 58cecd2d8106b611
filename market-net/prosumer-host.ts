// A prosumer's side of the network: a libp2p node that dials its VPP's coordinator, announces the
// prosumers it hosts (usually one: `vppchain prosumer run --data DIR`; several for simulations), and
// answers each round's batch with its parties' replies (market/pool/party.ts). Its data never leaves it
// but as the protocol's masked vectors. When a clearing ends, each prosumer's schedule and bill are
// written into its own data directory (outcome.json, atomically). If the connection drops, it dials
// again every few seconds until stopped.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import type { PartyOutcome, ProsumerParty } from '../market/pool/party.ts';
import { serveBatch } from '../market/pool/transport.ts';
import { Reader, Writer } from '../market/wire.ts';
import {
  ANNOUNCE_DEADLINE_MS,
  ANNOUNCE_PROTOCOL,
  MAX_BATCH_FRAME_BYTES,
  NOT_ON_ROSTER,
  POOL_PROTOCOL,
} from './protocol.ts';
import { exchange, serveChannel } from './streams.ts';

export interface HostedProsumer {
  party: ProsumerParty;
  /** Called with the prosumer's outcome when a clearing ends (e.g. write it to its data directory). */
  keep?: (outcome: PartyOutcome) => void;
}

export interface ProsumerHostOptions {
  prosumers: HostedProsumer[];
  /** The coordinator's multiaddr, with its /p2p/ peer id. */
  vpp: string;
  /** Deadline for answering one batch (the coordinator's round deadline bounds it too). */
  batchDeadlineMs?: number;
  redialMs?: number;
  /** Progress and problems, for the process's log. */
  log?: (line: string) => void;
}

export class ProsumerHost {
  private readonly libp2p: Libp2p;
  private readonly options: ProsumerHostOptions;
  private readonly vpp: Multiaddr;
  private readonly vppPeer: string;
  /** Hosted prosumers by the coordinator's roster index (from the announce reply). */
  private readonly byIndex = new Map<number, ProsumerParty>();
  private readonly kept = new Map<ProsumerParty, PartyOutcome | undefined>();
  private stopped = false;
  private redial: NodeJS.Timeout | undefined;
  private finishedWaiters: (() => void)[] = [];

  private constructor(libp2p: Libp2p, options: ProsumerHostOptions) {
    this.libp2p = libp2p;
    this.options = options;
    this.vpp = multiaddr(options.vpp);
    const peer = this.vpp.getComponents().find((c) => c.name === 'p2p')?.value;
    if (!peer) throw new Error(`the VPP address ${options.vpp} has no /p2p/ peer id`);
    this.vppPeer = peer;
  }

  static async start(options: ProsumerHostOptions): Promise<ProsumerHost> {
    const libp2p = await createLibp2p({
      // The host's own libp2p identity is throwaway: prosumers prove who they are in the hello.
      privateKey: await generateKeyPair('Ed25519'),
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    });
    const host = new ProsumerHost(libp2p, options);
    await libp2p.handle(
      POOL_PROTOCOL,
      (stream: Stream) => {
        host.answer(stream).catch((err) => host.options.log?.(`a round failed: ${(err as Error).message}`));
      },
      { maxInboundStreams: 4 },
    );
    libp2p.addEventListener('peer:disconnect', (e) => {
      if (e.detail.toString() === host.vppPeer && !host.stopped) {
        host.options.log?.('disconnected from the VPP; dialling again');
        host.schedule();
      }
    });
    await host.connect();
    return host;
  }

  /**
   * Resolves when every hosted prosumer has kept an outcome of a clearing and the VPP is done with them:
   * it has hung up, or `graceMs` passed (it may still need a mask for a neighbour that dropped out of
   * the final round).
   */
  async finished(graceMs = 30_000): Promise<void> {
    if (!this.allFinished()) await new Promise<void>((resolve) => this.finishedWaiters.push(resolve));
    if (!this.connectedToVpp()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, graceMs);
      const onDisconnect = (e: CustomEvent<{ toString(): string }>) => {
        if (e.detail.toString() === this.vppPeer) done();
      };
      const self = this;
      function done() {
        clearTimeout(timer);
        self.libp2p.removeEventListener('peer:disconnect', onDisconnect);
        resolve();
      }
      this.libp2p.addEventListener('peer:disconnect', onDisconnect);
    });
  }

  private connectedToVpp(): boolean {
    return this.libp2p.getPeers().some((p) => p.toString() === this.vppPeer);
  }

  private allFinished(): boolean {
    return this.options.prosumers.every((p) => p.party.outcome !== undefined);
  }

  private schedule(): void {
    if (this.stopped || this.redial) return;
    this.redial = setTimeout(() => {
      this.redial = undefined;
      this.connect().catch(() => undefined);
    }, this.options.redialMs ?? 2000);
  }

  private async connect(): Promise<void> {
    try {
      const connection = await this.libp2p.dial(this.vpp);
      const w = new Writer().u16(this.options.prosumers.length);
      for (const p of this.options.prosumers) w.raw(p.party.keys.identity);
      const reply = await exchange(
        this.libp2p,
        connection.remotePeer,
        ANNOUNCE_PROTOCOL,
        w.finish(),
        2 + 4 * this.options.prosumers.length,
        ANNOUNCE_DEADLINE_MS,
      );
      // The answer: the roster index of each announced prosumer (NOT_ON_ROSTER if it is not a member).
      const r = new Reader(reply);
      const count = r.u16('announce reply count');
      if (count !== this.options.prosumers.length) throw new Error(`the VPP answered for ${count} prosumers`);
      this.byIndex.clear();
      for (const p of this.options.prosumers) {
        const index = r.u32('roster index');
        if (index === NOT_ON_ROSTER) this.options.log?.(`${p.party.id} is not on the VPP's roster`);
        else this.byIndex.set(index, p.party);
      }
      r.end('announce reply');
      this.options.log?.(
        `connected to the VPP: ${this.byIndex.size} of ${this.options.prosumers.length} prosumer(s) on its roster`,
      );
    } catch (err) {
      this.options.log?.(`cannot reach the VPP (${(err as Error).message}); trying again`);
      this.schedule();
    }
  }

  /** Serves the coordinator's rounds on one stream (streams.ts Channel) until it closes. */
  private async answer(stream: Stream): Promise<void> {
    await serveChannel(
      stream,
      MAX_BATCH_FRAME_BYTES,
      this.options.batchDeadlineMs ?? 300_000,
      (bytes) => serveBatch(bytes, this.byIndex),
      // Only once a reply is on its way: a final reply must not be lost to an exit.
      () => this.keepOutcomes(),
    );
  }

  private keepOutcomes(): void {
    for (const p of this.options.prosumers) {
      const o = p.party.outcome;
      if (o && this.kept.get(p.party) !== o) {
        this.kept.set(p.party, o);
        p.keep?.(o);
      }
    }
    if (this.allFinished()) {
      for (const w of this.finishedWaiters) w();
      this.finishedWaiters = [];
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.redial);
    await this.libp2p.stop();
  }
}
