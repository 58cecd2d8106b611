// The node's network: the libp2p host (libp2p-node.ts: TCP, noise, yamux, identify, gossipsub with the
// scoring of gossip-scoring.ts, the connection gater of admission.ts), serving requests (answers.ts), peer
// scoring (peers.ts), bootstrap peers and reconnection, and the clock check (clock.ts). Gossip validation
// (gossip.ts), range sync (sync.ts) and mempool sync (txsync.ts) see the chain and mempool only through the
// ports of host.ts, which this class provides. No promise is left without a handler: work nobody awaits
// reports its failure as an 'internal-error' event (written to stderr when nobody listens), never as an
// unhandled rejection. A clock that disagrees with the peers' block times is reported the same way: a
// 'clock' event, or stderr when nobody listens.
import { EventEmitter } from 'node:events';
import type { Connection, PeerId, PrivateKey, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import type { Chain } from '../consensus/chain.ts';
import type { Mempool } from '../consensus/mempool.ts';
import { type Block, type BlockHeader, encodeBlock } from '../protocol/block.ts';
import { DecodeError } from '../protocol/bytes.ts';
import type { TxEnvelope } from '../protocol/tx.ts';
import { ipOf, PeerAdmission } from './admission.ts';
import { type Answer, answers } from './answers.ts';
import { ClockEstimator, type ClockReport, describeClock } from './clock.ts';
import { GossipValidator } from './gossip.ts';
import {
  type BlockArrival,
  describeInternalError,
  type GossipHost,
  type InternalError,
  type SyncHost,
  type TxSyncHost,
} from './host.ts';
import { createLibp2pNode, type GossipSubInternals, type NodeLibp2p } from './libp2p-node.ts';
import { PeerAction, PeerScores, type PenaltyOutcome, RateLimiter } from './peers.ts';
import { type ChainNames, chainNames, type Status } from './protocol.ts';
import { request, respond } from './reqresp.ts';
import { SyncService } from './sync.ts';
import { TxSync } from './txsync.ts';

export interface NetworkOptions {
  privateKey: PrivateKey;
  listenHost?: string;
  listenPort: number;
  bootstrap: string[];
  /** Extra rule for the connection gater (tests use it to partition the network). */
  denyPeer?: (peerId: string) => boolean;
  reconnectMs?: number;
  txSyncMs?: number;
  statusPollMs?: number;
}

export interface NetworkEvents {
  'peer:connect': [string];
  'peer:disconnect': [string];
  penalty: [string, number, string];
  ban: [string];
  /** A failure of ours while handling a peer (not the peer's fault): for the node's log. */
  'internal-error': [InternalError];
  /** Our clock started or stopped disagreeing with the peers' block times beyond the drift rule. */
  clock: [ClockReport];
}

export class Network extends EventEmitter<NetworkEvents> {
  readonly libp2p: NodeLibp2p;
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly names: ChainNames;
  readonly scores: PeerScores;
  readonly sync: SyncService;
  readonly txSync: TxSync;
  readonly admission: PeerAdmission;
  private readonly clock: ClockEstimator;
  private readonly gossip: GossipValidator;
  private readonly limiter = new RateLimiter(50, 20);
  private readonly opts: NetworkOptions;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private clockSkewed = false;
  private lastAnnounced = '';

  private constructor(
    libp2p: Network['libp2p'],
    chain: Chain,
    mempool: Mempool,
    scores: PeerScores,
    admission: PeerAdmission,
    opts: NetworkOptions,
  ) {
    super();
    this.libp2p = libp2p;
    this.chain = chain;
    this.mempool = mempool;
    this.scores = scores;
    this.admission = admission;
    this.opts = opts;
    this.names = chainNames(chain.genesisHash);
    this.clock = new ClockEstimator(chain.params.maxFutureDriftMs);
    const host = this.host();
    this.sync = new SyncService(host);
    this.txSync = new TxSync(host);
    this.gossip = new GossipValidator(host);
  }

  private get pubsubInternals(): GossipSubInternals {
    return this.libp2p.services.pubsub as unknown as GossipSubInternals;
  }

  /** The ports the services use (host.ts): the chain, the mempool, requests and verdicts on peers. */
  private host(): SyncHost & TxSyncHost & GossipHost {
    const { chain, mempool } = this;
    const pubsub = this.pubsubInternals;
    return {
      names: this.names,
      blockLimits: chain.params,
      status: () => this.status(),
      request: (peer, protocol, body, limits) => request(this.libp2p, peer, protocol, body, limits),
      penalise: (peer, action, reason) => {
        this.penalise(peer, action, reason);
      },
      internalError: (e) => this.internalError(e),
      mainHashAt: async (height) => (await chain.getMainNode(height))?.hash,
      importBlock: (block, from) => chain.processBlock(block, from),
      refuseUndecodable: (reason) => chain.refuseUndecodable(reason),
      announceHead: () => this.detach('sync', '', this.announceHead()),
      hasTx: (id) => mempool.has(id),
      admitTx: (env) => mempool.add(env),
      report: (msgId, source, result) => pubsub.reportMessageValidationResult(msgId, source, result),
      fetchAncestors: (peer) =>
        this.detach('handshake', peer.toString(), this.sync.handshake(peer, { catchUp: true })),
      blockArrived: (peer, header, outcome, arrivedAt) => this.blockArrived(peer, header, outcome, arrivedAt),
    };
  }

  static async create(chain: Chain, mempool: Mempool, opts: NetworkOptions): Promise<Network> {
    const scores = new PeerScores();
    const admission = new PeerAdmission({ scores, denyPeer: opts.denyPeer });
    for (const addr of opts.bootstrap) admission.configure(addr);
    const libp2p = await createLibp2pNode({
      privateKey: opts.privateKey,
      listenHost: opts.listenHost ?? '127.0.0.1',
      listenPort: opts.listenPort,
      bootstrap: opts.bootstrap,
      names: chainNames(chain.genesisHash),
      maxBlockBytes: chain.params.maxBlockBytes,
      admission,
    });
    const net = new Network(libp2p, chain, mempool, scores, admission, opts);
    await net.wire();
    return net;
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  get multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  get peerCount(): number {
    return this.libp2p.getPeers().length;
  }

  private async wire(): Promise<void> {
    const { pubsub } = this.libp2p.services;
    pubsub.subscribe(this.names.blocksTopic);
    pubsub.subscribe(this.names.txsTopic);
    pubsub.addEventListener('gossipsub:message', ({ detail: msg }) =>
      this.detach('gossip', msg.propagationSource.toString(), this.gossip.validate(msg), {
        topic: msg.msg.topic,
        msgId: msg.msgId,
      }),
    );
    this.libp2p.addEventListener('peer:connect', (e) => {
      const peer = e.detail.toString();
      this.emit('peer:connect', peer);
      this.detach(
        'handshake',
        peer,
        this.sync.handshake(e.detail).then(() => this.txSync.pullFrom(e.detail)),
      );
    });
    this.libp2p.addEventListener('peer:disconnect', (e) => this.emit('peer:disconnect', e.detail.toString()));
    this.libp2p.addEventListener('connection:open', ({ detail: connection }) => {
      const peer = connection.remotePeer.toString();
      const ip = ipOf(connection.remoteAddr);
      // A connection whose upgrade passed the gater just before the peer was banned: closed at once.
      if (this.admission.isDenied(peer)) {
        connection.abort(new Error('peer is banned'));
        return;
      }
      this.scores.noteAddress(peer, ip);
      this.admission.noteConnection(peer, ip);
    });
    const sources = {
      chain: this.chain,
      mempool: this.mempool,
      status: () => this.status(),
      heardStatus: (peer: PeerId, theirs: Status) =>
        this.detach('sync', peer.toString(), this.sync.onStatus(peer, theirs)),
    };
    await Promise.all(
      answers(this.names, sources).map(([protocol, answer]) =>
        this.libp2p.handle(
          protocol,
          (stream: Stream, connection: Connection) =>
            this.detach(
              'serve',
              connection.remotePeer.toString(),
              this.serve(protocol, stream, connection, answer),
              {
                protocol,
              },
            ),
          { maxInboundStreams: 32 },
        ),
      ),
    );
  }

  /**
   * Serves a request with rate limiting. A malformed request costs the peer points; a failure of our
   * handler is reported; a stream that fails or times out is only aborted (the peer may just have left).
   */
  private async serve(
    protocol: string,
    stream: Stream,
    connection: Connection,
    answer: Answer,
  ): Promise<void> {
    const peer = connection.remotePeer.toString();
    if (!this.limiter.allow(`${peer} ${protocol}`)) {
      this.penalise(peer, PeerAction.MidTolerance, `rate limit on ${protocol}`);
      stream.abort(new Error('rate limited'));
      return;
    }
    let handlerFailure: unknown;
    try {
      await respond(stream, (req) =>
        answer(req, connection.remotePeer).catch((err: unknown) => {
          handlerFailure = err;
          throw err;
        }),
      );
    } catch (err) {
      if (err instanceof DecodeError)
        this.penalise(peer, PeerAction.LowTolerance, `malformed request on ${protocol}: ${err.message}`);
      else if (err === handlerFailure) this.internalError({ activity: 'serve', error: err, peer, protocol });
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  status(): Status {
    const tip = this.chain.tip;
    return {
      chainId: this.chain.params.chainId,
      genesisHash: this.chain.genesisHash,
      headHash: tip.hash,
      headHeight: tip.header.height,
      totalWork: tip.totalWork,
    };
  }

  penalise(peer: string, action: PeerAction, reason: string): PenaltyOutcome {
    const outcome = this.scores.penalise(peer, action);
    this.emit('penalty', peer, outcome.score, reason);
    if (outcome.banned) this.emit('ban', peer);
    if (outcome.disconnect) void this.libp2p.hangUp(peerIdFromString(peer)).catch(() => undefined);
    return outcome;
  }

  /** Emits a failure of ours for the node's log; with no listener (or a failing one) it goes to stderr. */
  private internalError(e: InternalError): void {
    try {
      if (this.listenerCount('internal-error') > 0) {
        this.emit('internal-error', e);
        return;
      }
    } catch (listenerFailure) {
      console.error(
        `a listener of 'internal-error' failed: ${(listenerFailure as Error)?.stack ?? listenerFailure}`,
      );
    }
    console.error(describeInternalError(e));
  }

  /** Lets `work` run on its own: a failure is reported with its context, never an unhandled rejection. */
  private detach(
    activity: InternalError['activity'],
    peer: string,
    work: Promise<unknown>,
    context: Omit<InternalError, 'activity' | 'error' | 'peer'> = {},
  ): void {
    work.catch((error: unknown) => this.internalError({ activity, error, peer, ...context }));
  }

  /** Our clock against the peers' block times (clock.ts). */
  clockReport(): ClockReport {
    return this.clock.report();
  }

  /** A gossip block with valid proof of work arrived: a sample for the clock check if it is fresh. */
  private blockArrived(peer: string, header: BlockHeader, outcome: BlockArrival, arrivedAt: number): void {
    // A side-chain block below our head may be an old branch: only candidate heads say when "now" is.
    if (outcome === 'side-chain' && header.height + 1 < this.chain.height) return;
    this.clock.sample(peer, header.timestamp, arrivedAt);
    const report = this.clock.report();
    if (report.skewed === this.clockSkewed) return;
    this.clockSkewed = report.skewed;
    if (this.listenerCount('clock') > 0) this.emit('clock', report);
    else console.warn(describeClock(report));
  }

  /** After a range sync: gossips our head (once per head), which peers further behind take as an orphan. */
  private async announceHead(): Promise<void> {
    const tip = this.chain.tip;
    if (tip.id === this.lastAnnounced || tip.header.height === 0) return;
    this.lastAnnounced = tip.id;
    const block = await this.chain.getBlock(tip.id);
    if (block) await this.publishBlock(block);
  }

  async publishBlock(block: Block): Promise<void> {
    await this.libp2p.services.pubsub
      .publish(this.names.blocksTopic, encodeBlock(block))
      .catch(() => undefined);
  }

  async publishTx(env: TxEnvelope): Promise<void> {
    await this.libp2p.services.pubsub.publish(this.names.txsTopic, env.bytes).catch(() => undefined);
  }

  async start(): Promise<void> {
    await this.libp2p.start();
    const reconnect = () => {
      for (const addr of this.opts.bootstrap) void this.dial(addr);
    };
    reconnect();
    this.timers.push(setInterval(reconnect, this.opts.reconnectMs ?? 3000));
    // Pending transactions gossip may have lost are pulled from a random peer every few seconds.
    this.timers.push(
      setInterval(() => {
        const peer = this.randomPeer();
        if (peer) this.detach('tx-sync', peer.toString(), this.txSync.pullFrom(peer));
      }, this.opts.txSyncMs ?? 3000),
    );
    // A periodic status poll catches up on anything gossip missed.
    this.timers.push(
      setInterval(() => {
        const peer = this.randomPeer();
        if (peer) this.detach('handshake', peer.toString(), this.sync.handshake(peer));
      }, this.opts.statusPollMs ?? 10_000),
    );
  }

  private randomPeer(): PeerId | undefined {
    const peers = this.libp2p.getPeers();
    return peers[Math.floor(Math.random() * peers.length)];
  }

  /**
   * Adds a configured peer: kept connected (dialled now and after every drop), a gossipsub direct peer,
   * admitted past address bans and the per-address limit (admission.ts).
   */
  addBootstrap(addr: string): void {
    if (!this.opts.bootstrap.includes(addr)) this.opts.bootstrap.push(addr);
    const id = this.admission.configure(addr);
    if (id) this.pubsubInternals.direct.add(id);
    void this.dial(addr);
  }

  /** Dials a bootstrap address unless already connected or banned; never rejects. */
  async dial(addr: string): Promise<void> {
    if (this.stopped) return;
    try {
      const ma = multiaddr(addr);
      const id = ma.getComponents().find((c) => c.name === 'p2p')?.value;
      if (id && (this.libp2p.getConnections(peerIdFromString(id)).length > 0 || this.scores.isBanned(id)))
        return;
      await this.libp2p.dial(ma, { signal: AbortSignal.timeout(5000) });
    } catch {
      // unreachable for now; the reconnect timer tries again
    }
  }

  async hangUp(peer: string): Promise<void> {
    await this.libp2p.hangUp(peerIdFromString(peer)).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.sync.stop();
    await this.libp2p.stop();
  }

  peerIdOf(peer: string): PeerId {
    return peerIdFromString(peer);
  }
}
