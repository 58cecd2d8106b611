// The node's network: libp2p (TCP, noise, yamux, identify, gossipsub), gossip validation tied to the
// chain and mempool, request-response handlers, peer scoring with a connection gater, bootstrap peers
// and reconnection. Chain sync lives in sync.ts.
import { EventEmitter } from 'node:events';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { type GossipSub, type GossipsubMessage, gossipsub, TopicValidatorResult } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Connection, Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import type { Chain } from '../consensus/chain.ts';
import type { Mempool } from '../consensus/mempool.ts';
import { type Block, decodeBlock, encodeBlock, encodeHeader } from '../protocol/block.ts';
import { DecodeError, toHex } from '../protocol/bytes.ts';
import { BlockError, TxError } from '../protocol/errors.ts';
import { sha256 } from '../protocol/hash.ts';
import { envelopeFromBytes, MAX_TX_BYTES, type TxEnvelope } from '../protocol/tx.ts';
import { PeerAction, PeerScores, type PenaltyOutcome, RateLimiter } from './peers.ts';
import {
  type ChainNames,
  chainNames,
  decodeHashes,
  decodeRange,
  decodeStatus,
  encodeStatus,
  MAX_BLOCKS_PER_REQUEST,
  MAX_HEADERS_PER_REQUEST,
  MAX_PENDING_IDS,
  MAX_TXS_PER_REQUEST,
  type Status,
} from './protocol.ts';
import { respond } from './reqresp.ts';
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
}

interface AsyncValidation {
  reportMessageValidationResult(
    msgId: string,
    propagationSource: string,
    acceptance: TopicValidatorResult,
  ): void;
}

const ipOf = (addr: { toString(): string }): string | undefined =>
  /\/ip[46]\/([^/]+)/.exec(addr.toString())?.[1];

export class Network extends EventEmitter<NetworkEvents> {
  readonly libp2p: Libp2p<{ pubsub: GossipSub; identify: ReturnType<ReturnType<typeof identify>> }>;
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly names: ChainNames;
  readonly scores: PeerScores;
  readonly sync: SyncService;
  readonly txSync: TxSync;
  private readonly limiter = new RateLimiter(50, 20);
  private readonly opts: NetworkOptions;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  private constructor(
    libp2p: Network['libp2p'],
    chain: Chain,
    mempool: Mempool,
    scores: PeerScores,
    opts: NetworkOptions,
  ) {
    super();
    this.libp2p = libp2p;
    this.chain = chain;
    this.mempool = mempool;
    this.scores = scores;
    this.opts = opts;
    this.names = chainNames(chain.genesisHash);
    this.sync = new SyncService(this);
    this.txSync = new TxSync(this);
  }

  static async create(chain: Chain, mempool: Mempool, opts: NetworkOptions): Promise<Network> {
    const scores = new PeerScores();
    const denied = (peer: string) => scores.isBanned(peer) || (opts.denyPeer?.(peer) ?? false);
    const libp2p = await createLibp2p({
      privateKey: opts.privateKey,
      addresses: { listen: [`/ip4/${opts.listenHost ?? '127.0.0.1'}/tcp/${opts.listenPort}`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: (peerId) => denied(peerId.toString()),
        denyInboundConnection: (maConn) => scores.isIpBanned(ipOf(maConn.remoteAddr)),
        denyInboundEncryptedConnection: (peerId, maConn) =>
          denied(peerId.toString()) || scores.isIpBanned(ipOf(maConn.remoteAddr)),
        denyOutboundEncryptedConnection: (peerId) => denied(peerId.toString()),
      },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          asyncValidation: true,
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          globalSignaturePolicy: 'StrictNoSign',
          // Content-addressed ids: the same block or transaction from two peers is one message.
          msgIdFn: (msg) => sha256(msg.data),
          maxInboundDataLength: chain.params.maxBlockBytes + 64 * 1024,
          allowedTopics: Object.values(chainNames(chain.genesisHash)).filter(
            (t) => t.includes('/blocks/') || t.includes('/txs/'),
          ),
        }),
      },
    });
    const net = new Network(libp2p, chain, mempool, scores, opts);
    net.wire();
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

  private wire(): void {
    const { pubsub } = this.libp2p.services;
    pubsub.subscribe(this.names.blocksTopic);
    pubsub.subscribe(this.names.txsTopic);
    pubsub.addEventListener('gossipsub:message', (e) => void this.onGossip(e.detail));
    this.libp2p.addEventListener('peer:connect', (e) => {
      const peer = e.detail.toString();
      this.emit('peer:connect', peer);
      void this.sync.handshake(e.detail).then(() => this.txSync.pullFrom(e.detail));
    });
    this.libp2p.addEventListener('peer:disconnect', (e) => this.emit('peer:disconnect', e.detail.toString()));
    this.libp2p.addEventListener('connection:open', (e) =>
      this.scores.noteAddress(e.detail.remotePeer.toString(), ipOf(e.detail.remoteAddr)),
    );
    const handle = (protocol: string, answer: (req: Uint8Array, peer: string) => Promise<Uint8Array[]>) =>
      this.libp2p.handle(
        protocol,
        (stream: Stream, connection: Connection) => this.serve(protocol, stream, connection, answer),
        { maxInboundStreams: 32 },
      );
    void handle(this.names.status, async (req, peer) => {
      const theirs = decodeStatus(req);
      queueMicrotask(() => void this.sync.onStatus(peerIdFromString(peer), theirs));
      return [encodeStatus(this.status())];
    });
    void handle(this.names.blocksByRange, async (req) => {
      const { start, count } = decodeRange(req, MAX_BLOCKS_PER_REQUEST);
      const out: Uint8Array[] = [];
      for (let h = start; h < start + count && h <= this.chain.height; h++) {
        const node = await this.chain.getMainNode(h);
        const block = node && (await this.chain.getBlock(node.id));
        if (!block) break;
        out.push(encodeBlock(block));
      }
      return out;
    });
    void handle(this.names.headersByRange, async (req) => {
      const { start, count } = decodeRange(req, MAX_HEADERS_PER_REQUEST);
      const out: Uint8Array[] = [];
      for (let h = start; h < start + count && h <= this.chain.height; h++) {
        const node = await this.chain.getMainNode(h);
        if (!node) break;
        out.push(encodeHeader(node.header));
      }
      return out;
    });
    void handle(this.names.blocksByHash, async (req) => {
      const out: Uint8Array[] = [];
      for (const h of decodeHashes(req)) {
        const block = await this.chain.getBlock(h);
        if (block) out.push(encodeBlock(block));
      }
      return out;
    });
    // Mempool sync: gossip is best-effort, so peers also pull each other's pending transactions.
    void handle(this.names.pendingTxIds, async (req) => {
      if (req.length !== 0) throw new DecodeError('pending_tx_ids takes an empty request');
      return this.mempool.pendingIds(MAX_PENDING_IDS);
    });
    void handle(this.names.txsByHash, async (req) => {
      const out: Uint8Array[] = [];
      for (const h of decodeHashes(req, MAX_TXS_PER_REQUEST)) {
        const env = this.mempool.get(toHex(h));
        if (env) out.push(env.bytes);
      }
      return out;
    });
  }

  /** Serves a request with rate limiting; malformed requests cost the peer points. */
  private async serve(
    protocol: string,
    stream: Stream,
    connection: Connection,
    answer: (req: Uint8Array, peer: string) => Promise<Uint8Array[]>,
  ): Promise<void> {
    const peer = connection.remotePeer.toString();
    if (!this.limiter.allow(`${peer} ${protocol}`)) {
      this.penalise(peer, PeerAction.MidTolerance, `rate limit on ${protocol}`);
      stream.abort(new Error('rate limited'));
      return;
    }
    try {
      await respond(stream, (req) => answer(req, peer));
    } catch (err) {
      if (err instanceof DecodeError)
        this.penalise(peer, PeerAction.LowTolerance, `malformed request on ${protocol}: ${err.message}`);
      stream.abort(err as Error);
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

  private report(msg: GossipsubMessage, result: TopicValidatorResult): void {
    // With asyncValidation, gossipsub forwards a message only after this verdict. The method is on the
    // implementation but missing from the exported GossipSub interface.
    (this.libp2p.services.pubsub as unknown as AsyncValidation).reportMessageValidationResult(
      msg.msgId,
      msg.propagationSource.toString(),
      result,
    );
  }

  private async onGossip(msg: GossipsubMessage): Promise<void> {
    const from = msg.propagationSource.toString();
    if (msg.msg.topic === this.names.blocksTopic) await this.onGossipBlock(msg, from);
    else if (msg.msg.topic === this.names.txsTopic) await this.onGossipTx(msg, from);
    else this.report(msg, TopicValidatorResult.Reject);
  }

  private async onGossipBlock(msg: GossipsubMessage, from: string): Promise<void> {
    let block: Block;
    try {
      block = decodeBlock(msg.msg.data, this.chain.params);
    } catch (err) {
      this.report(msg, TopicValidatorResult.Reject);
      this.penalise(from, PeerAction.Fatal, `undecodable block: ${(err as Error).message}`);
      return;
    }
    try {
      await this.chain.processBlock(block);
      this.report(msg, TopicValidatorResult.Accept);
    } catch (err) {
      if (!(err instanceof BlockError)) throw err;
      this.report(msg, err.verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore);
      if (err.verdict === 'reject') this.penalise(from, PeerAction.Fatal, `invalid block: ${err}`);
      else if (err.code === 'ORPHAN') void this.sync.handshake(msg.propagationSource);
    }
  }

  private async onGossipTx(msg: GossipsubMessage, from: string): Promise<void> {
    let env: TxEnvelope;
    try {
      if (msg.msg.data.length > MAX_TX_BYTES) throw new DecodeError('transaction too large');
      env = envelopeFromBytes(msg.msg.data);
    } catch (err) {
      this.report(msg, TopicValidatorResult.Reject);
      this.penalise(from, PeerAction.Fatal, `undecodable transaction: ${(err as Error).message}`);
      return;
    }
    try {
      await this.mempool.add(env);
      this.report(msg, TopicValidatorResult.Accept);
    } catch (err) {
      if (!(err instanceof TxError)) throw err;
      this.report(msg, err.verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore);
      if (err.verdict === 'reject') this.penalise(from, PeerAction.Fatal, `invalid transaction: ${err}`);
    }
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
        const peers = this.libp2p.getPeers();
        if (peers.length > 0) void this.txSync.pullFrom(peers[Math.floor(Math.random() * peers.length)]!);
      }, this.opts.txSyncMs ?? 3000),
    );
    // A periodic status poll catches up on anything gossip missed.
    this.timers.push(
      setInterval(() => {
        const peers = this.libp2p.getPeers();
        if (peers.length > 0) void this.sync.handshake(peers[Math.floor(Math.random() * peers.length)]!);
      }, this.opts.statusPollMs ?? 10_000),
    );
  }

  /** Adds a peer to keep connected to (dialled now and after every drop). */
  addBootstrap(addr: string): void {
    if (!this.opts.bootstrap.includes(addr)) this.opts.bootstrap.push(addr);
    void this.dial(addr);
  }

  /** Dials a bootstrap address unless already connected or banned. */
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
