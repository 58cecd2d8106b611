// SignatureVerifier.close() stops its workers gracefully: verifications already asked for are answered,
// the workers exit by themselves (code 0, not terminated mid-call, which can abort the process while the
// native verifier runs), and a verification asked for after close() is answered on the calling thread.
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SignatureVerifier } from '../../../consensus/sigverify.ts';
import { envelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const b = new ChainBuilder(testParams());
const good = Array.from({ length: 300 }, (_, i) => b.transfer(keys.vpp1, keys.vpp2, 1n, BigInt(i)));
const bad = good.slice(0, 30).map((t) => {
  const sig = t.tx.signature.slice();
  sig[9]! ^= 1;
  return envelope({ ...t.tx, signature: sig });
});

function exitCodes(v: SignatureVerifier): Promise<number[]> {
  const workers = (v as unknown as { workers: Worker[] }).workers;
  return Promise.all(workers.map((w) => new Promise<number>((r) => w.once('exit', r))));
}

describe('SignatureVerifier.close', () => {
  it('answers what was asked before it, and the workers exit by themselves', async () => {
    const v = new SignatureVerifier(b.domain, 2);
    const codes = exitCodes(v);
    const verdicts = v.verifyTxs([...good, ...bad]);
    await v.close();
    const all = await verdicts;
    expect(all.slice(0, good.length).every(Boolean)).toBe(true);
    expect(all.slice(good.length).some(Boolean)).toBe(false);
    expect(await codes).toEqual([0, 0]);
  });

  it('closes workers that are still starting, and verifies on this thread afterwards', async () => {
    for (let round = 0; round < 5; round++) {
      const v = new SignatureVerifier(b.domain, 2);
      const codes = exitCodes(v);
      await v.close();
      expect(await codes).toEqual([0, 0]);
      const after = await v.verifyTxs([good[round]!, bad[round]!]);
      expect(after).toEqual([true, false]);
      expect(v.stats.batches).toBe(0);
    }
  });
});
