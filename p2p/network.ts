// The node's network: the libp2p host (libp2p-node.ts: TCP, noise, yamux, identify, gossipsub with the
// scoring of gossip-scoring.ts, the connection gater of admission.ts), serving requests (answers.ts), peer
// scoring (peers.ts), bootstrap peers and reconnection, peer discovery (discovery.ts), peers of another
// chain (other-chain.ts: disconnected, held off, never counted; `peerCount` counts only peers whose status
// named our chain), the operator's log of peer events (peer-log.ts, through the injected P2pLog of log.ts)
// and the clock check (clock.ts). Gossip validation
// (gossip.ts), range sync (sync.ts) and mempool sync (txsync.ts) see the chain and mempool only through the
// ports of host.ts, which this class provides. No promise is left without a handler: work nobody awaits
// reports its failure as an 'internal-error' event (written to stderr when nobody listens), never as an
// unhandled rejection. A clock that disagrees with the peers' block times is reported the same way: a
// 'clock' event, or stderr when nobody listens.
import { EventEmitter } from 'node:events';
import type { Connection, PeerId, PrivateKey, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Chain } from '../consensus/chain.ts';
import type { Mempool } from '../consensus/mempool.ts';
import { type Block, type BlockHeader, encodeBlock } from '../protocol/block.ts';
import type { TxEnvelope } from '../protocol/tx.ts';
import { ipOf, PeerAdmission } from './admission.ts';
import { answers } from './answers.ts';
import { ChainPeers } from './chain-peers.ts';
import { ClockEstimator, type ClockReport, describeClock } from './clock.ts';
import { ConfiguredPeers } from './configured-peers.ts';
import { DiscoveryDialer } from './discovery.ts';
import { GossipValidator } from './gossip.ts';
import {
  type BlockArrival,
  describeInternalError,
  type GossipHost,
  type InternalError,
  type PeerVerdicts,
  type SyncHost,
  type TxSyncHost,
} from './host.ts';
import { createLibp2pNode, type GossipSubInternals, type NodeLibp2p } from './libp2p-node.ts';
import { consoleP2pLog, type P2pLog } from './log.ts';
import { OtherChainPeers, otherChainReport } from './other-chain.ts';
import { type PeerLogEvents, peerLogListeners } from './peer-log.ts';
import { type PeerAction, PeerScores, type PenaltyOutcome, RateLimiter } from './peers.ts';
import { type ChainNames, chainNames, type Status } from './protocol.ts';
import { request } from './reqresp.ts';
import { serveRequest } from './serve.ts';
import { type PeerHead, SyncService } from './sync.ts';
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
  /** Where peer events are written for the operator (log.ts); default: one line each on the console. */
  log?: P2pLog;
  /** Dial the peers discovery finds (discovery.ts); default true. Our record is announced either way. */
  discovery?: boolean;
  discoveryIntervalMs?: number;
}

/** How long a peer of another chain that asked us for our status has to read our answer before we hang up. */
const OTHER_CHAIN_ANSWER_GRACE_MS = 1000;

export interface NetworkEvents extends PeerLogEvents {
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
  readonly discovery: DiscoveryDialer;
  private readonly configured: ConfiguredPeers;
  /** The peers of our chain among the connected ones; peers of another chain held off. */
  readonly peers: ChainPeers;
  private readonly clock: ClockEstimator;
  private readonly gossip: GossipValidator;
  private readonly limiter = new RateLimiter(50, 20);
  private readonly opts: NetworkOptions;
  private timers: NodeJS.Timeout[] = [];
  /** Hang-ups of other chains' peers waiting for our answer to be delivered (each removes itself). */
  private readonly hangUps = new Set<NodeJS.Timeout>();
  private stopped = false;
  private clockSkewed = false;
  private lastAnnounced = '';

  private constructor(
    libp2p: Network['libp2p'],
    chain: Chain,
    mempool: Mempool,
    scores: PeerScores,
    admission: PeerAdmission,
    otherChains: OtherChainPeers,
    opts: NetworkOptions,
  ) {
    super();
    this.libp2p = libp2p;
    this.chain = chain;
    this.mempool = mempool;
    this.scores = scores;
    this.admission = admission;
    this.peers = new ChainPeers(
      {
        connections: (peer) => libp2p.getConnections(peerIdFromString(peer)),
        isConfigured: (peer) => admission.isConfigured(peer),
      },
      otherChains,
    );
    this.opts = opts;
    this.configured = new ConfiguredPeers(
      {
        libp2p,
        admission,
        direct: this.pubsubInternals.direct,
        stopped: () => this.stopped,
        refusing: (peer, inRow, holdMs) => this.emit('refusing', peer, inRow, holdMs),
      },
      opts.bootstrap,
    );
    this.names = chainNames(chain.genesisHash);
    this.clock = new ClockEstimator(chain.params.maxFutureDriftMs);
    const host = this.host();
    this.sync = new SyncService(host);
    this.txSync = new TxSync(host);
    this.gossip = new GossipValidator(host);
    this.discovery = new DiscoveryDialer({
      self: libp2p.peerId.toString(),
      connections: () => libp2p.getConnections().length,
      isConnected: (peer) => libp2p.getConnections(peerIdFromString(peer)).length > 0,
      isRefused: (peer) => admission.isDenied(peer),
      dial: async (peer, addrs, signal) => {
        this.peers.dialling(peer);
        await libp2p.dial(addrs, { signal }).catch((err: unknown) => {
          this.peers.dialFailed(peer);
          throw err;
        });
      },
    });
    this.discovery.enabled = opts.discovery !== false;
    const facts = {
      connection: (peer: string) => this.peers.connection(peer),
      peerCount: () => this.peerCount,
      bannedAddress: (peer: string) => scores.bannedAddressOf(peer),
    };
    const log = peerLogListeners(facts, opts.log ?? consoleP2pLog);
    for (const event of Object.keys(log) as (keyof PeerLogEvents)[])
      this.on(event, log[event] as (...args: unknown[]) => void);
  }

  /** Verdicts on peers, for the request handlers (serve.ts). */
  private readonly verdicts: PeerVerdicts = {
    penalise: (peer, action, reason) => {
      this.penalise(peer, action, reason);
    },
    internalError: (e) => this.internalError(e),
  };

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
      sameChain: (peer) => this.peers.sameChain(peer),
      otherChain: (peer, theirs, via) => this.otherChain(peer, theirs, via),
      request: (peer, protocol, body, limits) => request(this.libp2p, peer, protocol, body, limits),
      ...this.verdicts,
      mainHashAt: async (height) => (await chain.getMainNode(height))?.hash,
      importBlock: (block, from) => chain.processBlock(block, from),
      importBlocks: (blocks, from) => chain.processBlocks(blocks, from),
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
    const otherChains = new OtherChainPeers();
    const admission = new PeerAdmission({
      scores,
      denyPeer: opts.denyPeer,
      heldOff: (peer) => otherChains.isHeld(peer),
    });
    for (const addr of opts.bootstrap) admission.configure(addr);
    const libp2p = await createLibp2pNode({
      privateKey: opts.privateKey,
      listenHost: opts.listenHost ?? '127.0.0.1',
      listenPort: opts.listenPort,
      bootstrap: opts.bootstrap,
      names: chainNames(chain.genesisHash),
      maxBlockBytes: chain.params.maxBlockBytes,
      admission,
      discoveryIntervalMs: opts.discoveryIntervalMs,
    });
    const net = new Network(libp2p, chain, mempool, scores, admission, otherChains, opts);
    await net.wire();
    return net;
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  get multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  /** Connected peers whose status named our chain (a peer between connection and status is not one yet). */
  get peerCount(): number {
    return this.peers.count;
  }

  /** A peer of another chain: not counted, held off, logged once per hold, disconnected (other-chain.ts). */
  private otherChain(peer: string, theirs: Status, via: 'asked' | 'answered'): void {
    if (this.peers.otherChain(peer))
      this.emit('other-chain', otherChainReport(peer, this.status(), theirs, via));
    const hangUp = () => void this.hangUp(peer);
    // It asked us: our answer, which tells it our chain for its own log, is still being written.
    if (via === 'asked') {
      hangUp();
      return;
    }
    const timer = setTimeout(() => {
      this.hangUps.delete(timer);
      hangUp();
    }, OTHER_CHAIN_ANSWER_GRACE_MS).unref();
    this.hangUps.add(timer);
  }

  /**
   * The connected peer with the most work that told us its head (sync.ts), for readiness: how far our
   * head is from the best chain known. Undefined before any connected peer has sent its status.
   */
  bestPeerHead(): (PeerHead & { peer: string }) | undefined {
    let best: (PeerHead & { peer: string }) | undefined;
    for (const id of this.libp2p.getPeers()) {
      const head = this.sync.peerHead(id.toString());
      if (head && (!best || head.totalWork > best.totalWork)) best = { ...head, peer: id.toString() };
    }
    return best;
  }

  private async wire(): Promise<void> {
    const { pubsub } = this.libp2p.services;
    pubsub.subscribe(this.names.blocksTopic);
    pubsub.subscribe(this.names.txsTopic);
    this.libp2p.services.discovery.addEventListener('peer', ({ detail }) => {
      void this.discovery.discovered(detail);
    });
    pubsub.addEventListener('gossipsub:message', ({ detail: msg }) =>
      this.detach('gossip', msg.propagationSource.toString(), this.gossip.validate(msg), {
        topic: msg.msg.topic,
        msgId: msg.msgId,
      }),
    );
    this.libp2p.addEventListener('peer:connect', (e) => {
      const peer = e.detail.toString();
      this.configured.connected(peer);
      this.emit('peer:connect', peer);
      this.detach(
        'handshake',
        peer,
        this.sync
          .handshake(e.detail, { hello: true })
          .then(() => (this.peers.has(peer) ? this.txSync.pullFrom(e.detail) : undefined)),
      );
    });
    this.libp2p.addEventListener('peer:disconnect', (e) => {
      const peer = e.detail.toString();
      this.peers.disconnected(peer);
      this.configured.disconnected(peer);
      this.emit('peer:disconnect', peer);
    });
    this.libp2p.addEventListener('connection:open', ({ detail: connection }) => {
      const peer = connection.remotePeer.toString();
      const ip = ipOf(connection.remoteAddr);
      // A connection whose upgrade passed the gater just before the peer was banned or held off: closed at once.
      if (this.admission.isDenied(peer)) {
        connection.abort(new Error('peer is banned or held off'));
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
        this.detach('sync', peer.toString(), this.sync.onStatus(peer, theirs, 'answered')),
    };
    await Promise.all(
      answers(this.names, sources).map(([protocol, answer]) =>
        this.libp2p.handle(
          protocol,
          (stream: Stream, connection: Connection) =>
            this.detach(
              'serve',
              connection.remotePeer.toString(),
              serveRequest(this.verdicts, this.limiter, protocol, stream, connection, answer),
              {
                protocol,
              },
            ),
          { maxInboundStreams: 32 },
        ),
      ),
    );
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
    this.configured.dialAll();
    this.timers.push(setInterval(() => this.configured.dialAll(), this.opts.reconnectMs ?? 3000));
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
   * admitted past address bans and the per-address limit (configured-peers.ts).
   */
  addBootstrap(addr: string): void {
    this.configured.add(addr);
  }

  /** Dials a configured address unless already connected or refused by the gater; never rejects. */
  dial(addr: string): Promise<void> {
    return this.configured.dial(addr);
  }

  async hangUp(peer: string): Promise<void> {
    await this.libp2p.hangUp(peerIdFromString(peer)).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [...this.timers, ...this.hangUps]) clearTimeout(t);
    await this.sync.stop();
    await this.libp2p.stop();
  }

  peerIdOf(peer: string): PeerId {
    return peerIdFromString(peer);
  }
}
