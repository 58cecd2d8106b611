// Worker-thread host for simulated prosumer parties: each party's data and keys live here, and only the
// protocol's bytes cross the thread boundary (batches, transport.ts). One worker per core.
import { parentPort } from 'node:worker_threads';
import { generateIdentity, identitySeedOf } from '../secagg/keys.ts';
import type { Prosumer } from '../types.ts';
import { ProsumerParty } from './party.ts';
import { serveBatch } from './transport.ts';

const parties = new Map<number, ProsumerParty>();

type Request =
  | { op: 'create'; offset: number; prosumers: Prosumer[]; allowReveal: boolean; identitySeed?: string }
  | { op: 'batch'; bytes: Uint8Array }
  | { op: 'outcomes' };

parentPort!.on('message', (req: Request) => {
  try {
    if (req.op === 'create') {
      req.prosumers.forEach((prosumer, k) => {
        const i = req.offset + k;
        const seed = req.identitySeed === undefined ? undefined : identitySeedOf(req.identitySeed, i);
        const { secretKey, identity, secpKey } = generateIdentity(seed);
        parties.set(
          i,
          new ProsumerParty({ prosumer, secretKey, identity, secpKey }, { allowReveal: req.allowReveal }),
        );
      });
      parentPort!.postMessage({ ok: true });
    } else if (req.op === 'batch') {
      const bytes = serveBatch(req.bytes, parties);
      parentPort!.postMessage({ ok: true, bytes }, [bytes.buffer as ArrayBuffer]);
    } else {
      parentPort!.postMessage({ ok: true, outcomes: [...parties].map(([i, p]) => [i, p.outcome]) });
    }
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
