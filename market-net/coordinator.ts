// The VPP coordinator's network side: a libp2p node that prosumer hosts dial. A host announces which
// roster members it serves; each round the coordinator sends every host one batch with its members'
// requests (pool/transport.ts) and waits for the batch of replies until the round's deadline. It is a
// PartyTransport: the secure-sum session (market/pool/session.ts) runs over it unchanged.
//
// Nothing here is trusted to a host's word: an announced identity only routes messages, and the session
// authenticates every prosumer by the signature in its hello. A host whose replies are malformed is
// penalised; after BAN_AFTER_OFFENCES it is disconnected and refused for the life of this node.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Connection, Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import type { RosterEntry } from '../market/pool/session.ts';
import {
  decodeBatchReply,
  encodeBatch,
  type PartyAnswer,
  type PartyTransport,
} from '../market/pool/transport.ts';
import { DecodeError, Reader, Writer } from '../market/wire.ts';
import {
  ANNOUNCE_DEADLINE_MS,
  ANNOUNCE_PROTOCOL,
  BAN_AFTER_OFFENCES,
  MAX_BATCH_FRAME_BYTES,
  MAX_HOSTED,
  NOT_ON_ROSTER,
  POOL_PROTOCOL,
} from './protocol.ts';
import { Channel, type ExchangeError, serve } from './streams.ts';

export interface CoordinatorOptions {
  privateKey: PrivateKey;
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/7100. */
  listen: string[];
  roster: RosterEntry[];
  /** Called when a host announces or leaves (for progress output). */
  onChange?: (served: number) => void;
  /** Called when a host is banned. */
  onBan?: (peer: string, reason: string) => void;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class NetworkCoordinator implements PartyTransport {
  readonly size: number;
  private readonly libp2p: Libp2p;
  private readonly options: CoordinatorOptions;
  private readonly byIdentity: Map<string, number>;
  /** Roster index → the host serving it. */
  private readonly hostOf = new Map<number, PeerId>();
  private readonly offences = new Map<string, number>();
  /** One round channel per host (a long-lived stream). */
  private readonly channels = new Map<string, Channel>();
  /** Banned hosts (the connection gater reads the same set). */
  private readonly banned: Set<string>;
  private waiters: (() => void)[] = [];

  private constructor(libp2p: Libp2p, options: CoordinatorOptions, banned: Set<string>) {
    this.libp2p = libp2p;
    this.options = options;
    this.banned = banned;
    this.size = options.roster.length;
    this.byIdentity = new Map(options.roster.map((e, i) => [hexOf(e.identity), i]));
  }

  static async start(options: CoordinatorOptions): Promise<NetworkCoordinator> {
    const banned = new Set<string>();
    const libp2p = await createLibp2p({
      privateKey: options.privateKey,
      addresses: { listen: options.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyInboundEncryptedConnection: (peer) => banned.has(peer.toString()),
        denyDialPeer: (peer) => banned.has(peer.toString()),
      },
    });
    const c = new NetworkCoordinator(libp2p, options, banned);
    await libp2p.handle(
      ANNOUNCE_PROTOCOL,
      (stream: Stream, connection: Connection) => {
        c.announce(stream, connection).catch(() => undefined);
      },
      { maxInboundStreams: 4 },
    );
    libp2p.addEventListener('peer:disconnect', (e) => c.forget(e.detail.toString()));
    return c;
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  get multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  /** Roster members currently reachable through a host. */
  get served(): number {
    return this.hostOf.size;
  }

  /** Resolves once every roster member is served, or after `timeoutMs` (with however many are). */
  async waitForParties(timeoutMs: number): Promise<number> {
    if (this.served === this.size) return this.served;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const check = () => {
        if (this.served === this.size) done();
      };
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(check);
    });
    this.waiters = [];
    return this.served;
  }

  private changed(): void {
    this.options.onChange?.(this.served);
    for (const w of this.waiters) w();
  }

  /** A host's announcement (protocol.ts): the identities it hosts; the answer gives their roster indices. */
  private async announce(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer;
    await serve(stream, 2 + 33 * MAX_HOSTED, ANNOUNCE_DEADLINE_MS, async (bytes) => {
      const indices: number[] = [];
      try {
        const r = new Reader(bytes);
        const count = r.u16('announced count');
        if (count > MAX_HOSTED)
          throw new DecodeError('LIMIT', `${count} prosumers announced, at most ${MAX_HOSTED}`);
        for (let k = 0; k < count; k++) {
          const i = this.byIdentity.get(hexOf(r.raw(33, 'identity')));
          // First come, first served: a second host claiming a member is refused (the hello signature
          // decides who really is that member; a false claim only fails its hello).
          const free = i !== undefined && (!this.hostOf.has(i) || this.hostOf.get(i)!.equals(peer));
          if (free) this.hostOf.set(i, peer);
          indices.push(free ? i : NOT_ON_ROSTER);
        }
        r.end('announcement');
      } catch (err) {
        this.penaliseHost(peer, `bad announcement: ${(err as Error).message}`);
        throw err;
      }
      this.changed();
      const w = new Writer().u16(indices.length);
      for (const i of indices) w.u32(i);
      return w.finish();
    });
  }

  private forget(peer: string): void {
    this.channels.get(peer)?.close();
    this.channels.delete(peer);
    let any = false;
    for (const [i, p] of this.hostOf) {
      if (p.toString() === peer) {
        this.hostOf.delete(i);
        any = true;
      }
    }
    if (any) this.changed();
  }

  async exchange(requests: Map<number, Uint8Array>, deadlineMs: number): Promise<Map<number, PartyAnswer>> {
    const answers = new Map<number, PartyAnswer>();
    const perHost = new Map<string, { peer: PeerId; list: [number, Uint8Array][] }>();
    for (const [i, body] of requests) {
      const peer = this.hostOf.get(i);
      if (!peer) {
        answers.set(i, { ok: false, failure: 'failed', detail: 'not connected' });
        continue;
      }
      const key = peer.toString();
      if (!perHost.has(key)) perHost.set(key, { peer, list: [] });
      perHost.get(key)!.list.push([i, body]);
    }
    await Promise.all(
      [...perHost.values()].map(async ({ peer, list }) => {
        const fail = (failure: 'timeout' | 'failed' | 'invalid', detail: string) => {
          for (const [i] of list) answers.set(i, { ok: false, failure, detail });
        };
        let bytes: Uint8Array;
        const key = peer.toString();
        let channel = this.channels.get(key);
        if (!channel) {
          channel = new Channel(this.libp2p, peer, POOL_PROTOCOL, MAX_BATCH_FRAME_BYTES);
          this.channels.set(key, channel);
        }
        try {
          bytes = await channel.request(encodeBatch(list), deadlineMs);
        } catch (err) {
          const e = err as ExchangeError;
          if (e.kind === 'invalid') this.penaliseHost(peer, e.message);
          return fail(e.kind ?? 'failed', e.message);
        }
        let replies: [number, Uint8Array | string][];
        try {
          replies = decodeBatchReply(bytes);
        } catch (err) {
          this.penaliseHost(peer, `bad batch: ${(err as Error).message}`);
          return fail('invalid', (err as Error).message);
        }
        const asked = new Set(list.map(([i]) => i));
        for (const [i, r] of replies) {
          if (!asked.has(i)) continue;
          answers.set(
            i,
            typeof r === 'string' ? { ok: false, failure: 'failed', detail: r } : { ok: true, bytes: r },
          );
        }
        for (const [i] of list)
          if (!answers.has(i))
            answers.set(i, { ok: false, failure: 'invalid', detail: 'missing from the batch' });
      }),
    );
    return answers;
  }

  penalise(party: number, reason: string): void {
    const peer = this.hostOf.get(party);
    if (peer) this.penaliseHost(peer, reason);
  }

  private penaliseHost(peer: PeerId, reason: string): void {
    const key = peer.toString();
    const n = (this.offences.get(key) ?? 0) + 1;
    this.offences.set(key, n);
    if (n >= BAN_AFTER_OFFENCES && !this.banned.has(key)) {
      this.banned.add(key);
      this.options.onBan?.(key, reason);
      this.forget(key);
      this.libp2p.hangUp(peer).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
    await this.libp2p.stop();
  }
}
