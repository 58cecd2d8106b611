// Worker thread: verifies transaction signatures with the fast verifier (libsecp256k1, else OpenSSL). A
// batch arrives packed (sigverify.ts, packBatch) and its verdicts go back as one transferred byte array:
// 1 valid, 0 not.
import { parentPort, workerData } from 'node:worker_threads';
import { verifyFast } from '../protocol/keys.ts';
import { type ChainDomain, decodeTx, sighashPrefix, sighashPreimageOfEncoded } from '../protocol/tx.ts';
import { CLOSE_MESSAGE, type PackedBatch, unpackBatch } from './sigverify.ts';

const prefix = sighashPrefix(workerData as ChainDomain);

parentPort!.on('message', (msg: PackedBatch | typeof CLOSE_MESSAGE) => {
  // Exit by letting the event loop end, never mid-call (sigverify.ts close()).
  if (msg === CLOSE_MESSAGE) {
    parentPort!.close();
    return;
  }
  const txs = unpackBatch(msg);
  const verdicts = new Uint8Array(txs.length);
  txs.forEach((bytes, i) => {
    try {
      const tx = decodeTx(bytes); // refuses what is not a canonical encoding, so the preimage below is exact
      verdicts[i] = verifyFast(tx.signature, sighashPreimageOfEncoded(bytes, prefix), tx.senderPubKey)
        ? 1
        : 0;
    } catch {
      verdicts[i] = 0;
    }
  });
  parentPort!.postMessage({ id: msg.id, verdicts }, [verdicts.buffer]);
});
