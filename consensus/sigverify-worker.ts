// Worker thread: verifies transaction signatures with the fast (OpenSSL) verifier.
import { parentPort, workerData } from 'node:worker_threads';
import { verifyFast } from '../protocol/keys.ts';
import { type ChainDomain, decodeTx, sighashPreimage } from '../protocol/tx.ts';

const domain = workerData as ChainDomain;

parentPort!.on('message', (msg: { id: number; txs: Uint8Array[] }) => {
  const verdicts = msg.txs.map((bytes) => {
    try {
      const tx = decodeTx(bytes);
      return verifyFast(tx.signature, sighashPreimage(tx, domain), tx.senderPubKey);
    } catch {
      return false;
    }
  });
  parentPort!.postMessage({ id: msg.id, verdicts });
});
