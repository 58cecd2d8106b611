// The genesis of a chain: its parameters (with the market's limits), its state and its block.
import { readFileSync } from 'node:fs';
import { accountKey, encodeAccount, PARAMS_KEY } from '../contracts-vm/accounts.ts';
import { MAX_PRICE } from '../contracts-vm/auction/limits.ts';
import { encodeRegistration, registrationKey } from '../contracts-vm/contracts/registry.ts';
import { type Changes, StateStore } from '../contracts-vm/state.ts';
import { type Block, type BlockHeader, HEADER_VERSION, headerHash } from '../protocol/block.ts';
import { toHex } from '../protocol/bytes.ts';
import { ZERO_HASH } from '../protocol/hash.ts';
import { blockTxRoot } from '../protocol/merkle.ts';
import { type ChainParams, encodeParams, GenesisError, parseGenesis } from '../protocol/params.ts';

/** Parses genesis JSON with the market's own limits (contracts-vm/auction/limits.ts). */
export function parseChainParams(raw: unknown): ChainParams {
  return parseGenesis(raw, { maxPrice: MAX_PRICE });
}

export function loadGenesisFile(path: string): ChainParams {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GenesisError(`cannot read genesis file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new GenesisError(`genesis file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseChainParams(raw);
}

export const GENESIS_MINER = `0x${'00'.repeat(20)}`;

export function genesisState(params: ChainParams): Changes {
  const changes: Changes = new Map();
  changes.set(toHex(PARAMS_KEY), encodeParams(params));
  for (const a of params.accounts) {
    changes.set(toHex(accountKey(a.address)), encodeAccount({ nonce: 0n, balance: a.balance, locked: 0n }));
    changes.set(
      toHex(registrationKey(a.address)),
      encodeRegistration({ role: a.role, status: 'active', name: a.name }),
    );
  }
  return changes;
}

/** The genesis block: height 0, no transactions, the parameters and balances in its state, no PoW required. */
export function genesisBlock(params: ChainParams): { block: Block; hash: Uint8Array; state: Changes } {
  const state = genesisState(params);
  const store = new StateStore();
  const header: BlockHeader = {
    version: HEADER_VERSION,
    height: 0,
    parentHash: ZERO_HASH,
    txRoot: blockTxRoot(new Uint8Array(20), []),
    stateRoot: store.rootWith(state),
    timestamp: params.timestamp,
    bits: params.initialBits,
    nonce: 0,
  };
  return { block: { header, miner: GENESIS_MINER, txs: [] }, hash: headerHash(header), state };
}

/**
 * How far in the past a genesis may lie for a chain that has no block yet. aserti3-2d anchors the
 * difficulty at the genesis: a chain whose first block comes long after its genesis time starts at the
 * easiest target and mines at full speed until its height catches up with the elapsed time (one hour at
 * 2 s blocks is 1,800 blocks; the repository's week-old genesis.json, about 300,000). `vppchain node`
 * refuses to mine on such a genesis unless told to (--allow-old-genesis); consensus does not change.
 */
export const MAX_FRESH_GENESIS_AGE_MS = 60 * 60_000;

export interface GenesisAge {
  ageMs: number;
  /** Blocks mined at the easiest target before the chain's height catches up with the elapsed time. */
  catchUpBlocks: number;
}

/** The genesis's age at `now` if it is older than MAX_FRESH_GENESIS_AGE_MS, else undefined. */
export function staleGenesis(params: ChainParams, now: number): GenesisAge | undefined {
  const ageMs = now - params.timestamp;
  if (ageMs <= MAX_FRESH_GENESIS_AGE_MS) return undefined;
  return { ageMs, catchUpBlocks: Math.floor(ageMs / params.blockTimeMs) };
}
