// Privacy of the prosumers' data, at the wire. The weak market's coordinator learns sums only: every
// byte it receives is recorded and checked against what each prosumer really computed (replayed by a
// shadow agent from the same requests). Also: the coordinator's code does not even load a prosumer
// model, solver or scenario code. (The decentralised market's peers: peer-privacy.test.ts.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProsumerAgent } from '../../../market/agent.ts';
import { startParties } from '../../../market/pool/hosts.ts';
import { iterationLayout } from '../../../market/pool/layouts.ts';
import { decodeReply, decodeRequest, Kind } from '../../../market/pool/messages.ts';
import { PoolSession } from '../../../market/pool/session.ts';
import type { PartyTransport } from '../../../market/pool/transport.ts';
import { accumulateWords, decodeSums } from '../../../market/secagg/fixed.ts';
import { periodHours } from '../../../market/types.ts';
import { clearWeak } from '../../../market/weak.ts';
import { generated } from './helpers.ts';

const marketDir = new URL('../../../market/', import.meta.url);
const source = (file: string) => readFileSync(new URL(file, marketDir), 'utf8');
/** Imports that load code at run time (type-only imports are erased). */
const runtimeImports = (text: string) =>
  [...text.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)]
    .map((m) => m[1]!)
    .filter((s) => s.startsWith('.'));

function loadedFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    for (const imported of runtimeImports(source(file))) {
      const url = new URL(imported, new URL(dir, marketDir));
      // Outside market/ the layer rules allow only the crypto/ leaves, which hold no prosumer code.
      if (!url.pathname.startsWith(marketDir.pathname)) continue;
      visit(url.pathname.slice(marketDir.pathname.length));
    }
  };
  visit(entry);
  return seen;
}

describe('the weak market coordinator at the wire', () => {
  it('loads no prosumer model, solver, agent or scenario code', () => {
    for (const entry of ['weak.ts', 'pool/session.ts']) {
      const loaded = [...loadedFrom(entry)];
      for (const file of loaded) {
        expect(file, `${entry} loads ${file}`).not.toMatch(
          /^(model|agent|agent-group|agent-host|bound|scenario|generator|central|traditional)\.ts$|^solver\/|^pool\/(party|hosts|worker)\.ts$/,
        );
      }
      expect(source(entry)).not.toMatch(/\bloadKw\b|\bpvKw\b|\bbattery\b|\bflexibleLoads\b/);
    }
  });

  it('receives only masked vectors: no trade vector can be read from its bytes, only their sums', async () => {
    const scenario = generated(8, 3);
    const T = scenario.periods;
    const parties = await startParties(scenario, { threads: 0 });
    const received: { party: number; bytes: Uint8Array }[] = [];
    const sent: { party: number; bytes: Uint8Array }[] = [];
    const recording: PartyTransport = {
      ...parties.transport,
      async exchange(requests, deadline) {
        for (const [party, bytes] of requests) sent.push({ party, bytes: bytes.slice() });
        const answers = await parties.transport.exchange(requests, deadline);
        for (const [party, a] of answers) if (a.ok) received.push({ party, bytes: a.bytes.slice() });
        return answers;
      },
    };
    const session = await PoolSession.open(recording, {
      tariffs: scenario.tariffs,
      periodMinutes: scenario.periodMinutes,
      method: 'admm',
    });
    const result = await clearWeak(session, scenario.tariffs, { maxIterations: 400 });
    expect(result.converged).toBe(true);
    expect(result.disclosure).toBe('aggregates');
    expect(result.prosumers).toEqual([]);

    // What each prosumer really sent, replayed by a shadow agent from the requests it was sent.
    const shadows = scenario.prosumers.map(
      (p) => new ProsumerAgent(p, scenario.tariffs, periodHours(scenario), 'pool'),
    );
    const truth = new Map<string, Float64Array>();
    for (const { party, bytes } of sent) {
      const m = decodeRequest(bytes, T);
      if (m.kind !== Kind.round) continue;
      const reply = shadows[party]!.poolStep(
        { prices: [...m.prices], meanTrade: [...m.meanTrade], rho: m.rho },
        false,
      );
      truth.set(`${party}:${m.round}`, reply.trade);
    }
    expect(truth.size).toBe(8 * result.iterations);

    // What kind of request each round was: the masked vectors have that round's layout.
    const roundKind = new Map<number, number>();
    for (const { bytes } of sent) {
      const m = decodeRequest(bytes, T);
      if ('round' in m) roundKind.set(m.round, m.kind);
    }
    const layout = iterationLayout(T, false);
    const kinds = new Set<number>();
    const masked = new Map<string, Uint8Array>();
    const windows = new Set<string>();
    let highBits = 0;
    let words = 0;
    for (const { party, bytes } of received) {
      for (let k = 0; k + 8 <= bytes.length; k++)
        windows.add(Buffer.from(bytes.subarray(k, k + 8)).toString('hex'));
      const kind = bytes[1]!;
      kinds.add(kind);
      if (kind !== Kind.masked) continue;
      const head = decodeReply(bytes, { words: (bytes.length - 8 - 2 - 4 - 4 - 1) / 8, periods: T });
      if (head.kind !== Kind.masked || roundKind.get(head.round) !== Kind.round) continue;
      const reply = decodeReply(bytes, { words: layout.words, periods: T });
      if (reply.kind !== Kind.masked) throw new Error('not masked');
      masked.set(`${party}:${reply.round}`, reply.words);
      for (let w = 0; w < layout.words; w++) {
        words++;
        if (reply.words[8 * w + 7]! >= 0x80) highBits++;
      }
    }
    // Only greetings, set-up acknowledgements and masked vectors: no plaintext value, no revealed mask.
    expect([...kinds].sort()).toEqual([Kind.helloReply, Kind.ready, Kind.masked].sort());
    expect(masked.size).toBe(truth.size);
    // Masked words look uniform: the sign bit is set about half the time.
    expect(highBits / words).toBeGreaterThan(0.4);
    expect(highBits / words).toBeLessThan(0.6);

    const fixed = (x: number) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(Math.round(x * 2 ** 32)));
      return b.toString('hex');
    };
    const float = (x: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(x);
      return b.toString('hex');
    };
    const rounds = new Set([...truth.keys()].map((k) => Number(k.split(':')[1])));
    let checked = 0;
    for (const round of rounds) {
      const lo = new Float64Array(layout.words);
      const hi = new Float64Array(layout.words);
      const expected = new Float64Array(T);
      for (let i = 0; i < 8; i++) {
        const x = truth.get(`${i}:${round}`)!;
        const w = masked.get(`${i}:${round}`)!;
        // Alone, a masked vector is no trade vector: read as one it is out of any honest range.
        const one = { lo: new Float64Array(layout.words), hi: new Float64Array(layout.words) };
        accumulateWords(w, 0, layout.words, 1, one.lo, one.hi);
        const alone = decodeSums(layout, one.lo, one.hi, 1);
        expect(alone.invalid).toBeDefined();
        // The prosumer's true values appear nowhere in the bytes, neither as fixed point nor as floats.
        for (const v of x) {
          if (Math.abs(v) < 1e-6) continue;
          expect(windows.has(fixed(v))).toBe(false);
          expect(windows.has(float(v))).toBe(false);
          checked++;
        }
        accumulateWords(w, 0, layout.words, 1, lo, hi);
        for (let t = 0; t < T; t++) expected[t]! += Math.round(x[t]! * 2 ** 32) / 2 ** 32;
      }
      // Together they give exactly the sum of the eight true trade vectors: what the market needs.
      const sums = decodeSums(layout, lo, hi, 8);
      expect(sums.invalid).toBeUndefined();
      for (let t = 0; t < T; t++) expect(sums.values[0]![t]).toBeCloseTo(expected[t]!, 9);
    }
    expect(checked).toBeGreaterThan(100);
  });
});
