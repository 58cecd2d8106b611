// A vppchain node: ledger, mempool, signature verifier and (optionally) a miner, wired together.
// Data directory: genesis.json (the chain it belongs to), chain/ (LevelDB ledger), node-key.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chain } from '../consensus/chain.ts';
import { genesisBlock } from '../consensus/genesis.ts';
import { generateKeyPair, type KeyPair } from '../consensus/keys.ts';
import { Mempool } from '../consensus/mempool.ts';
import { Miner } from '../consensus/miner.ts';
import { type ChainParams, genesisToJson, loadGenesisFile } from '../consensus/params.ts';
import { SignatureVerifier } from '../consensus/sigverify.ts';
import { readKeyFile, writeKeyFile } from './keyfile.ts';

export interface NodeConfig {
  dataDir: string;
  mine: boolean;
  minerKey?: KeyPair;
  minerThreads?: number;
  verifierThreads?: number;
}

export const genesisPath = (dataDir: string): string => join(dataDir, 'genesis.json');

/** Writes genesis.json and a node key into a new data directory and creates the ledger. */
export async function initDataDir(dataDir: string, params: ChainParams): Promise<{ genesisHash: string }> {
  if (existsSync(genesisPath(dataDir)))
    throw new Error(`${dataDir} is already initialised (use --force to start over)`);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(genesisPath(dataDir), `${JSON.stringify(genesisToJson(params), null, 2)}\n`);
  const keyPath = join(dataDir, 'node-key.json');
  if (!existsSync(keyPath)) writeKeyFile(keyPath, generateKeyPair());
  const verifier = new SignatureVerifier(
    { chainId: params.chainId, genesisHash: genesisBlock(params).hash },
    0,
  );
  const chain = await Chain.open(join(dataDir, 'chain'), params, { verifier });
  await chain.close();
  return { genesisHash: chain.tip.id };
}

export class VppNode {
  readonly params: ChainParams;
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly verifier: SignatureVerifier;
  readonly nodeKey: KeyPair;
  readonly miner?: Miner;
  private futureTimer?: NodeJS.Timeout;

  private constructor(
    params: ChainParams,
    chain: Chain,
    verifier: SignatureVerifier,
    nodeKey: KeyPair,
    config: NodeConfig,
  ) {
    this.params = params;
    this.chain = chain;
    this.verifier = verifier;
    this.nodeKey = nodeKey;
    this.mempool = new Mempool({ params, headState: chain.headState, verifier });
    chain.on('head', (change) => void this.mempool.onHeadChange(change));
    if (config.mine) {
      this.miner = new Miner(chain, this.mempool, {
        address: (config.minerKey ?? nodeKey).address,
        threads: config.minerThreads,
      });
    }
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
    return new VppNode(params, chain, verifier, nodeKey, config);
  }

  start(): void {
    this.miner?.start();
    this.futureTimer = setInterval(() => void this.chain.retryFutureBlocks(), 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.futureTimer);
    await this.miner?.stop();
    await this.chain.close();
    await this.verifier.close();
  }
}
