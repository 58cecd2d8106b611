// Development traffic: signed transfers from one account to the other genesis accounts at a steady
// rate, so a devnet carries real transactions. Nonces follow the chain plus what this node has sent.
import { TxError } from '../protocol/errors.ts';
import type { KeyPair } from '../protocol/keys.ts';
import { envelope, signTx } from '../protocol/tx.ts';
import type { VppNode } from './node.ts';

export function startTraffic(node: VppNode, key: KeyPair, everyMs: number): () => void {
  const recipients = node.params.accounts.map((a) => a.address).filter((a) => a !== key.address);
  let next = 0n;
  const timer = setInterval(async () => {
    if (recipients.length === 0) return;
    const pending = node.mempool.pendingOf(key.address).length;
    const onChain = node.chain.account(key.address).nonce;
    if (next < onChain || pending === 0) next = onChain + BigInt(pending);
    const to = recipients[Math.floor(Math.random() * recipients.length)]!;
    const amount = BigInt(1 + Math.floor(Math.random() * 1_000_000));
    const tx = signTx(
      {
        nonce: next,
        fee: node.params.minTxFee,
        senderPubKey: key.publicKey,
        payload: { kind: 'transfer', to, amount },
      },
      key,
      node.chain.domain,
    );
    try {
      await node.submitTx(envelope(tx));
      next++;
    } catch (err) {
      if (!(err instanceof TxError)) throw err;
    }
  }, everyMs);
  return () => clearInterval(timer);
}
