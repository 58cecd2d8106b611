// Prints the protocol test vectors (test/vectors/protocol.json, quoted in docs/protocol.md).
// Regenerate only on a deliberate protocol change: `node test/vectors/generate.ts > test/vectors/protocol.json`.
import { readFileSync } from 'node:fs';
import { genesisBlock, parseChainParams } from '../../consensus/genesis.ts';
import { accountKey, encodeAccount } from '../../contracts-vm/accounts.ts';
import { StateStore } from '../../contracts-vm/state.ts';
import { type BlockHeader, encodeHeader, headerHash } from '../../protocol/block.ts';
import { toHex } from '../../protocol/bytes.ts';
import { sha256 } from '../../protocol/hash.ts';
import { devKeyPair } from '../../protocol/keys.ts';
import { blockTxRoot } from '../../protocol/merkle.ts';
import {
  encodeTx,
  encodeUnsignedTx,
  sighashPreimage,
  signTx,
  txHash,
  type UnsignedTx,
} from '../../protocol/tx.ts';

const key = devKeyPair('vpp-1');
const domain = { chainId: 7301, genesisHash: sha256(new TextEncoder().encode('example genesis')) };
const unsigned: UnsignedTx = {
  nonce: 7n,
  fee: 25n,
  senderPubKey: key.publicKey,
  payload: { kind: 'transfer', to: devKeyPair('vpp-2').address, amount: 1_500_000n },
};
const tx = signTx(unsigned, key, domain);
const header: BlockHeader = {
  version: 1,
  height: 42,
  parentHash: sha256(new TextEncoder().encode('parent')),
  txRoot: blockTxRoot(new Uint8Array(20).fill(0x11), [txHash(tx)]),
  stateRoot: sha256(new TextEncoder().encode('state')),
  timestamp: 1_795_564_800_123,
  bits: 0x1e08637b,
  nonce: 0xdeadbeef,
};
const state = new StateStore();
state.apply(
  new Map([[toHex(accountKey(key.address)), encodeAccount({ nonce: 1n, balance: 1000n, locked: 10n })]]),
);
const genesis = genesisBlock(
  parseChainParams(JSON.parse(readFileSync(new URL('../../genesis.json', import.meta.url), 'utf8'))),
);

console.log(
  JSON.stringify(
    {
      key: {
        name: 'vpp-1',
        secretKey: toHex(key.secretKey),
        publicKey: toHex(key.publicKey),
        address: key.address,
      },
      tx: {
        domain: { chainId: domain.chainId, genesisHash: toHex(domain.genesisHash) },
        unsignedHex: toHex(encodeUnsignedTx(unsigned)),
        sighashPreimageHex: toHex(sighashPreimage(unsigned, domain)),
        sighash: toHex(sha256(sighashPreimage(unsigned, domain))),
        signature: toHex(tx.signature),
        txHex: toHex(encodeTx(tx)),
        txHash: toHex(txHash(tx)),
      },
      header: {
        headerHex: toHex(encodeHeader(header)),
        hash: toHex(headerHash(header)),
        txRoot: toHex(header.txRoot),
      },
      state: { emptyRoot: toHex(new StateStore().root()), oneAccountRoot: toHex(state.root()) },
      genesisJson: {
        hash: toHex(genesis.hash),
        stateRoot: toHex(genesis.block.header.stateRoot),
        headerHex: toHex(encodeHeader(genesis.block.header)),
      },
    },
    null,
    2,
  ),
);
