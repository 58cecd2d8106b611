// A vppchain node: ledger, mempool, signature verifier and (optionally) a miner, peer-to-peer network and
// HTTP API, wired together. It is the API's NodePort (api/port.ts): the routes see only that.
// Data directory: genesis.json (the chain it belongs to), chain/ (LevelDB ledger), mempool/ (LevelDB: the
// pending transactions and the dropped-transaction records, consensus/mempool-store.ts), node-key.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { NodeActivity, NodePort, NodeReadiness } from '../api/port.ts';
import { type ApiOptions, createApiServer } from '../api/server.ts';
import { Chain } from '../consensus/chain.ts';
import { GENESIS_MINER, genesisBlock, loadGenesisFile } from '../consensus/genesis.ts';
import { Mempool, type RestoreSummary } from '../consensus/mempool.ts';
import { MempoolStore } from '../consensus/mempool-store.ts';
import { Miner } from '../consensus/miner.ts';
import { SignatureVerifier } from '../consensus/sigverify.ts';
import { describeClock } from '../p2p/clock.ts';
import { describeInternalError } from '../p2p/host.ts';
import { loadOrCreatePeerKey } from '../p2p/identity.ts';
import { Network } from '../p2p/network.ts';
import { generateKeyPair, type KeyPair } from '../protocol/keys.ts';
import { type ChainParams, genesisToJson } from '../protocol/params.ts';
import type { TxEnvelope } from '../protocol/tx.ts';
import { EventBus, publishChainEvents, publishMarketEvents, publishMempoolEvents } from './events.ts';
import { readKeyFile, writeKeyFile } from './keyfile.ts';
import { errField, type Logger, stderrLogger } from './log.ts';
import { NodeMetrics } from './metrics.ts';
import { VERSION } from './version.ts';

export interface NodeConfig {
  dataDir: string;
  mine: boolean;
  minerKey?: KeyPair;
  minerThreads?: number;
  verifierThreads?: number;
  /** Peer-to-peer networking; without it the node runs alone. */
  p2p?: { port: number; host?: string; bootstrap: string[]; denyPeer?: (peerId: string) => boolean };
  /** HTTP API; without it none is served. */
  api?: { port: number; host?: string } & ApiOptions;
  /**
   * The process's logger (node/log.ts); the node logs through children with a component each (node,
   * mempool, p2p, api). Default: warnings and errors on stderr.
   */
  logger?: Logger;
}

export const genesisPath = (dataDir: string): string => join(dataDir, 'genesis.json');
export const p2pKeyPath = (dataDir: string): string => join(dataDir, 'p2p-key');
export const mempoolPath = (dataDir: string): string => join(dataDir, 'mempool');

/** Writes genesis.json and a node key into a new data directory and creates the ledger. */
export async function initDataDir(dataDir: string, params: ChainParams): Promise<{ genesisHash: string }> {
  if (existsSync(genesisPath(dataDir)))
    throw new Error(`${dataDir} is already initialised (use --force to start over)`);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(genesisPath(dataDir), `${JSON.stringify(genesisToJson(params), null, 2)}\n`);
  const keyPath = join(dataDir, 'node-key.json');
  if (!existsSync(keyPath)) writeKeyFile(keyPath, generateKeyPair());
  await loadOrCreatePeerKey(p2pKeyPath(dataDir));
  const verifier = new SignatureVerifier(
    { chainId: params.chainId, genesisHash: genesisBlock(params).hash },
    0,
  );
  const chain = await Chain.open(join(dataDir, 'chain'), params, { verifier });
  await chain.close();
  return { genesisHash: chain.tip.id };
}

export class VppNode implements NodePort {
  readonly version = VERSION;
  readonly params: ChainParams;
  readonly chain: Chain;
  readonly mempool: Mempool;
  /** The mempool on disk (<datadir>/mempool). */
  readonly mempoolStore: MempoolStore;
  readonly verifier: SignatureVerifier;
  readonly nodeKey: KeyPair;
  readonly miner?: Miner;
  /** Events for API subscribers (heads, reorgs, auction clearings, bills): see node/events.ts. */
  readonly events = new EventBus();
  /** Prometheus metrics served at GET /metrics: see node/metrics.ts. */
  readonly metrics: NodeMetrics;
  /** The node's own log (component "node"); `logger` is the root the other components are children of. */
  readonly log: Logger;
  readonly logger: Logger;
  // Set once, by open() and start(): the network needs the mempool and the API needs the whole node.
  #network?: Network;
  #api?: FastifyInstance;
  #apiUrl?: string;
  private readonly config: NodeConfig;
  private futureTimer?: NodeJS.Timeout;
  #restored?: RestoreSummary;

  private constructor(
    params: ChainParams,
    chain: Chain,
    verifier: SignatureVerifier,
    nodeKey: KeyPair,
    config: NodeConfig,
    store: MempoolStore,
  ) {
    this.mempoolStore = store;
    this.config = config;
    this.logger = config.logger ?? stderrLogger();
    this.log = this.logger.child({ component: 'node' });
    const mempoolLog = this.logger.child({ component: 'mempool' });
    this.params = params;
    this.chain = chain;
    this.verifier = verifier;
    this.nodeKey = nodeKey;
    this.mempool = new Mempool({
      params,
      headState: chain.headState,
      verifier,
      // Not consensus: the wall clock only estimates the next block's time for admission checks.
      nextBlockContext: () => ({
        height: chain.height + 1,
        timestamp: Math.max(Date.now(), chain.medianTimePast(chain.tip) + 1),
        miner: GENESIS_MINER,
        params,
      }),
      store,
    });
    store.onError = (err) => mempoolLog.error(err.message);
    chain.on('head', (change) => {
      // A failure here is a bug of ours; it must not keep the head from the other listeners (events, miner).
      try {
        this.mempool.onHeadChange(change);
      } catch (err) {
        mempoolLog.error({ ...errField(err), head: change.head.id }, 'the mempool failed to follow the head');
      }
    });
    if (config.mine) {
      this.miner = new Miner(chain, this.mempool, {
        address: (config.minerKey ?? nodeKey).address,
        threads: config.minerThreads,
      });
    }
    publishChainEvents(chain, this.events);
    publishMarketEvents(chain, this.events, (err) =>
      this.logger
        .child({ component: 'events' })
        .error(`market events of a new head not published: ${String(err)}`),
    );
    publishMempoolEvents(this.mempool, this.events);
    this.metrics = new NodeMetrics(this, { publishedResults: config.api?.vppFile });
    const clearing = this.metrics.histogram({
      name: 'vpp_auction_clearing_seconds',
      help: 'time of the end-of-block hooks that acted (auction clearing with VCG payments), by contract',
      labelNames: ['contract'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    });
    chain.hookObserver = { endBlock: (contract, seconds) => clearing.observe({ contract }, seconds) };
  }

  /** The peer-to-peer network, when configured. */
  get network(): Network | undefined {
    return this.#network;
  }

  /** The HTTP API once started, when configured. */
  get api(): FastifyInstance | undefined {
    return this.#api;
  }

  /** What opening did with the mempool kept on disk (restored, already included, dropped, corrupt). */
  get restoredMempool(): RestoreSummary | undefined {
    return this.#restored;
  }

  /** Base URL of the HTTP API once it listens (with the port it was given when asked for port 0). */
  get apiUrl(): string | undefined {
    return this.#apiUrl;
  }

  static async open(config: NodeConfig): Promise<VppNode> {
    if (!existsSync(genesisPath(config.dataDir))) {
      throw new Error(
        `${config.dataDir} is not a vppchain data directory (run 'vppchain init --datadir ${config.dataDir}' first)`,
      );
    }
    const params = loadGenesisFile(genesisPath(config.dataDir));
    const nodeKey = readKeyFile(join(config.dataDir, 'node-key.json'));
    const verifier = new SignatureVerifier(
      { chainId: params.chainId, genesisHash: genesisBlock(params).hash },
      config.verifierThreads,
    );
    const chain = await Chain.open(join(config.dataDir, 'chain'), params, { verifier });
    let store: MempoolStore;
    try {
      store = await MempoolStore.open(mempoolPath(config.dataDir));
    } catch (err) {
      await chain.close();
      await verifier.close();
      throw err;
    }
    const node = new VppNode(params, chain, verifier, nodeKey, config, store);
    try {
      await node.restoreAndJoin();
    } catch (err) {
      // A port in use or a corrupt store: what was opened is closed again, so the caller (a test, the
      // supervisor's retry) is not left with a locked ledger and running verifier threads.
      await node.stop().catch(() => {});
      throw err;
    }
    return node;
  }

  /** Restores the durable mempool and joins the network: the part of open() that may fail after the ledger is open. */
  private async restoreAndJoin(): Promise<void> {
    const { chain, config } = this;
    // What this node acknowledged before it stopped (or was killed) is admitted again against the head.
    this.#restored = await this.mempool.restore(async (env) => {
      const loc = await chain.txLocation(env.hash);
      const block = loc && chain.getNode(loc.blockHash);
      return block !== undefined && chain.isMainChain(block);
    });
    for (const c of this.#restored.corrupt)
      this.logger.child({ component: 'mempool' }).warn(`mempool store: deleted ${c}`);
    if (config.p2p) {
      const privateKey = await loadOrCreatePeerKey(p2pKeyPath(config.dataDir));
      this.#network = await Network.create(chain, this.mempool, {
        privateKey,
        listenHost: config.p2p.host,
        listenPort: config.p2p.port,
        bootstrap: config.p2p.bootstrap,
        denyPeer: config.p2p.denyPeer,
        log: this.logger.child({ component: 'p2p' }),
      });
      const p2pLog = this.logger.child({ component: 'p2p' });
      // Failures of ours while handling a peer, and our clock against the peers' (network.ts).
      this.#network.on('internal-error', (e) => p2pLog.error(describeInternalError(e)));
      this.#network.on('clock', (report) =>
        (report.skewed ? p2pLog.warn : p2pLog.info).call(p2pLog, describeClock(report)),
      );
      this.miner?.on('mined', (b) => void this.#network?.publishBlock(b));
    }
  }

  /**
   * Admits a locally submitted transaction, stores it durably (so that the acknowledgement survives a
   * crash), then gossips it; throws TxError with the reason, or MempoolStoreError.
   */
  async submitTx(env: TxEnvelope): Promise<void> {
    await this.mempool.add(env, { durable: true });
    void this.#network?.publishTx(env);
  }

  syncChainMoves(): number {
    return this.#network?.sync.chainMoves ?? 0;
  }

  activity(): NodeActivity {
    return {
      peers: this.#network?.peerCount ?? 0,
      peerId: this.#network?.peerId ?? null,
      syncing: this.#network?.sync.syncing ?? false,
      mining: this.miner !== undefined,
      hashRate: this.miner?.hashRate() ?? 0,
      clock: this.#network?.clockReport(),
    };
  }

  readiness(): NodeReadiness {
    return {
      databaseOpen: this.chain.databaseOpen,
      height: this.chain.height,
      peers: this.#network?.peerCount ?? 0,
      bestPeerHeight: this.#network?.bestPeerHead()?.height ?? null,
      syncing: this.#network?.sync.syncing ?? false,
    };
  }

  async start(): Promise<void> {
    await this.#network?.start();
    if (this.config.api) {
      const { logLevel } = this.config.api;
      // Request logs go to the process's log (component "api") at the API's own level, when one is given.
      const logger =
        this.config.api.logger ??
        (this.config.logger && this.logger.child({ component: 'api' }, { level: logLevel || 'silent' }));
      const api = await createApiServer(this, { ...this.config.api, logger });
      this.#api = api;
      const host = this.config.api.host ?? '127.0.0.1';
      await api.listen({ port: this.config.api.port, host });
      const addr = api.server.address();
      this.#apiUrl = `http://${host}:${typeof addr === 'object' && addr ? addr.port : this.config.api.port}`;
    }
    this.miner?.start();
    this.futureTimer = setInterval(() => {
      void this.chain.retryFutureBlocks();
      this.mempool.sweep();
    }, 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.futureTimer);
    await this.miner?.stop();
    await this.#api?.close();
    await this.#network?.stop();
    await this.chain.close();
    await this.mempool.close();
    await this.verifier.close();
  }
}
