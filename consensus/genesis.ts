import { accountKey, encodeAccount, PARAMS_KEY } from '../contracts-vm/accounts.ts';
import { encodeRegistration, registrationKey } from '../contracts-vm/contracts/registry.ts';
import { type Changes, StateStore } from '../contracts-vm/state.ts';
import { type Block, type BlockHeader, HEADER_VERSION, headerHash } from './block.ts';
import { toHex } from './bytes.ts';
import { ZERO_HASH } from './hash.ts';
import { blockTxRoot } from './merkle.ts';
import { type ChainParams, encodeParams } from './params.ts';

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
