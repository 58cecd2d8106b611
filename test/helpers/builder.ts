// Builds valid (or deliberately broken) blocks on any branch, replaying state purely in memory, so tests
// can craft forks without a miner. Test genesis has the easiest target: about one hash per block.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain } from '../../consensus/chain.ts';
import { GENESIS_MINER, genesisBlock } from '../../consensus/genesis.ts';
import { SignatureVerifier } from '../../consensus/sigverify.ts';
import { asertParamsOf, MEDIAN_TIME_SPAN } from '../../consensus/validation.ts';
import { CONTRACTS } from '../../contracts-vm/contracts/index.ts';
import type { BlockContext } from '../../contracts-vm/runtime.ts';
import { type Changes, mergeChanges, Overlay, StateStore } from '../../contracts-vm/state.ts';
import { applyBlock } from '../../contracts-vm/transition.ts';
import {
  type Block,
  type BlockHeader,
  computeTxRoot,
  HEADER_VERSION,
  headerHash,
} from '../../protocol/block.ts';
import { toHex } from '../../protocol/bytes.ts';
import { bitsToTarget, nextBits } from '../../protocol/difficulty.ts';
import { devKeyPair, type KeyPair } from '../../protocol/keys.ts';
import type { ChainParams } from '../../protocol/params.ts';
import { type CallPayload, type ChainDomain, envelope, signTx, type TxEnvelope } from '../../protocol/tx.ts';

export const GENESIS_TIME = Date.UTC(2026, 0, 1);
export const keys: Record<'grid' | 'vpp1' | 'vpp2' | 'vpp3' | 'miner', KeyPair> = {
  grid: devKeyPair('grid'),
  vpp1: devKeyPair('vpp-1'),
  vpp2: devKeyPair('vpp-2'),
  vpp3: devKeyPair('vpp-3'),
  miner: devKeyPair('test-miner'),
};

export function testParams(overrides: Partial<ChainParams> = {}): ChainParams {
  return {
    chainId: 4242,
    name: 'vppchain-test',
    timestamp: GENESIS_TIME,
    blockTimeMs: 1000,
    halfLifeMs: 60_000,
    initialBits: 0x2100ffff,
    powLimitBits: 0x2100ffff,
    maxFutureDriftMs: 15_000,
    maxBlockBytes: 64 * 1024,
    maxBlockTxs: 200,
    minTxFee: 10n,
    market: {
      intervalMs: 10_000,
      maxIntervalsAhead: 4,
      gridSellPrice: 300_000,
      gridBuyPrice: 40_000,
      imbalanceShortPrice: 450_000,
      imbalanceLongPrice: 20_000,
      minConfirmations: 2,
    },
    accounts: [
      { name: 'grid', role: 'grid', address: keys.grid.address, balance: 1_000_000_000n },
      { name: 'vpp-1', role: 'vpp', address: keys.vpp1.address, balance: 1_000_000n },
      { name: 'vpp-2', role: 'vpp', address: keys.vpp2.address, balance: 1_000_000n },
      { name: 'vpp-3', role: 'vpp', address: keys.vpp3.address, balance: 1_000_000n },
    ],
    ...overrides,
  };
}

interface Built {
  block: Block;
  id: string;
  state: Changes; // full state after the block
  timestamps: number[]; // up to 11 most recent, newest last
}

export class ChainBuilder {
  readonly params: ChainParams;
  readonly domain: ChainDomain;
  readonly genesisId: string;
  private readonly built = new Map<string, Built>();

  constructor(params: ChainParams) {
    this.params = params;
    const g = genesisBlock(params);
    this.domain = { chainId: params.chainId, genesisHash: g.hash };
    this.genesisId = toHex(g.hash);
    this.built.set(this.genesisId, {
      block: g.block,
      id: this.genesisId,
      state: g.state,
      timestamps: [params.timestamp],
    });
  }

  get(id: string): Built {
    const b = this.built.get(id);
    if (!b) throw new Error(`unknown block ${id}`);
    return b;
  }

  stateAfter(id: string): StateStore {
    const s = new StateStore();
    s.apply(this.get(id).state);
    return s;
  }

  transfer(
    from: KeyPair,
    to: KeyPair | string,
    amount: bigint,
    nonce: bigint,
    fee = 10n,
    domain = this.domain,
  ): TxEnvelope {
    const tx = signTx(
      {
        nonce,
        fee,
        senderPubKey: from.publicKey,
        payload: { kind: 'transfer', to: typeof to === 'string' ? to : to.address, amount },
      },
      from,
      domain,
    );
    return envelope(tx);
  }

  /** A signed contract call (fee defaults to the minimum for its gas). */
  call(from: KeyPair, payload: CallPayload, nonce: bigint, fee?: bigint, domain = this.domain): TxEnvelope {
    let gas = 1n;
    try {
      gas = BigInt(CONTRACTS.gas(payload));
    } catch {
      // malformed arguments on purpose: any fee will do
    }
    return envelope(
      signTx(
        { nonce, fee: fee ?? this.params.minTxFee * gas, senderPubKey: from.publicKey, payload },
        from,
        domain,
      ),
    );
  }

  /** A block on `parentId`. Options override fields to build invalid blocks. */
  next(
    parentId: string,
    opts: {
      txs?: TxEnvelope[];
      miner?: string;
      timestamp?: number;
      bits?: number;
      stateRoot?: Uint8Array;
      height?: number;
      skipExecution?: boolean;
    } = {},
  ): Block {
    const parent = this.get(parentId);
    const txs = opts.txs ?? [];
    const miner = opts.miner ?? keys.miner.address;
    const ph = parent.block.header;
    const bits = opts.bits ?? nextBits(asertParamsOf(this.params), ph.height, ph.timestamp);
    const timestamp = opts.timestamp ?? ph.timestamp + this.params.blockTimeMs;
    const store = new StateStore();
    store.apply(parent.state);
    const view = new Overlay(store);
    const height = opts.height ?? ph.height + 1;
    if (!opts.skipExecution)
      applyBlock(view, { header: { ...ph, height, timestamp }, miner, txs }, this.params);
    const header: BlockHeader = {
      version: HEADER_VERSION,
      height,
      parentHash: headerHash(ph),
      txRoot: computeTxRoot(miner, txs),
      stateRoot: opts.stateRoot ?? store.rootWith(view.changes),
      timestamp,
      bits,
      nonce: 0,
    };
    const target = bitsToTarget(bits)!;
    while (BigInt(`0x${toHex(headerHash(header))}`) > target) header.nonce++;
    const blockForExec: Block = { header, miner, txs };
    const id = toHex(headerHash(header));
    const timestamps = [...parent.timestamps, header.timestamp].slice(-MEDIAN_TIME_SPAN);
    this.built.set(id, {
      block: blockForExec,
      id,
      state: mergeChanges(parent.state, view.changes),
      timestamps,
    });
    return blockForExec;
  }

  idOf(b: Block): string {
    return toHex(headerHash(b.header));
  }

  /**
   * `n` blocks on `parentId` of `perBlock` transfers each (1 from vpp-1 to vpp-2, nonces from 0, each signed
   * afresh); returns them oldest first.
   */
  transferChain(parentId: string, n: number, perBlock: number): Block[] {
    const out: Block[] = [];
    let p = parentId;
    let nonce = 0n;
    for (let i = 0; i < n; i++) {
      const txs = Array.from({ length: perBlock }, () => this.transfer(keys.vpp1, keys.vpp2, 1n, nonce++));
      const b = this.next(p, { txs });
      out.push(b);
      p = this.idOf(b);
    }
    return out;
  }

  /** `n` empty blocks on `parentId`; returns them oldest first. */
  extend(parentId: string, n: number, miner?: string): Block[] {
    const out: Block[] = [];
    let p = parentId;
    for (let i = 0; i < n; i++) {
      const b = this.next(p, { miner });
      out.push(b);
      p = this.idOf(b);
    }
    return out;
  }
}

export interface TestChain {
  chain: Chain;
  dir: string;
  verifier: SignatureVerifier;
  clock: { now: number };
  /** The next block's context as a node gives its mempool: one block time after the tip, genesis miner. */
  nextBlockContext(): BlockContext;
  close(): Promise<void>;
}

export async function openTestChain(
  params: ChainParams,
  dir = mkdtempSync(join(tmpdir(), 'vppchain-test-')),
): Promise<TestChain> {
  const clock = { now: GENESIS_TIME + 365 * 86_400_000 };
  const g = genesisBlock(params);
  const verifier = new SignatureVerifier({ chainId: params.chainId, genesisHash: g.hash }, 0);
  const chain = await Chain.open(dir, params, { verifier, now: () => clock.now });
  return {
    chain,
    dir,
    verifier,
    clock,
    nextBlockContext: () => ({
      height: chain.height + 1,
      timestamp: chain.tip.header.timestamp + params.blockTimeMs,
      miner: GENESIS_MINER,
      params,
    }),
    close: async () => {
      await chain.close();
      await verifier.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
