// The weak market's protocol under faults: prosumers that drop out mid-clearing (for good, for one
// round, or while their masks are being recovered) and hostile agents (wrong dimensions, NaN, huge
// values, garbage). Each time the market completes without them, certifies its gap for the prosumers
// that stayed, and the ones left out trade with the grid.
import { describe, expect, it } from 'vitest';
import { solveCentral } from '../../../market/central.ts';
import { scheduleViolations } from '../../../market/feasibility.ts';
import { startParties } from '../../../market/pool/hosts.ts';
import { decodeReply, decodeRequest, encodeRequest, Kind } from '../../../market/pool/messages.ts';
import { PoolSession } from '../../../market/pool/session.ts';
import type { PartyAnswer, PartyTransport } from '../../../market/pool/transport.ts';
import { periodHours, type Scenario } from '../../../market/types.ts';
import { clearWeak } from '../../../market/weak.ts';
import { generated } from './helpers.ts';

type Fault = (
  party: number,
  kind: number,
  round: number,
  answer: () => Promise<PartyAnswer>,
) => Promise<PartyAnswer>;

/** A transport whose parties misbehave as `fault` says (it sees each request's kind and round). */
function faulty(inner: PartyTransport, periods: number, fault: Fault, penalised: number[]): PartyTransport {
  return {
    ...inner,
    async exchange(requests, deadline) {
      const out = new Map<number, PartyAnswer>();
      await Promise.all(
        [...requests].map(async ([i, bytes]) => {
          const m = decodeRequest(
            bytes,
            bytes[1] === Kind.hello || bytes[1] === Kind.setup ? undefined : periods,
          );
          const round = 'round' in m ? m.round : 0;
          const answer = async () => (await inner.exchange(new Map([[i, bytes]]), deadline)).get(i)!;
          out.set(i, await fault(i, m.kind, round, answer));
        }),
      );
      return out;
    },
    penalise(party) {
      penalised.push(party);
    },
  };
}

const timeout: PartyAnswer = { ok: false, failure: 'timeout', detail: 'no answer within the deadline' };

function without(scenario: Scenario, out: number[]): Scenario {
  return { ...scenario, prosumers: scenario.prosumers.filter((_, i) => !out.includes(i)) };
}

async function run(scenario: Scenario, fault: Fault) {
  // Keys from a seed: the same roster, hence the same masking graph, in every run.
  const parties = await startParties(scenario, { threads: 0, identitySeed: 'pool-test' });
  const penalised: number[] = [];
  const session = await PoolSession.open(faulty(parties.transport, scenario.periods, fault, penalised), {
    tariffs: scenario.tariffs,
    periodMinutes: scenario.periodMinutes,
    method: 'admm',
  });
  const result = await clearWeak(session, scenario.tariffs, { maxIterations: 400 });
  return { result, penalised, outcomes: await parties.outcomes() };
}

describe('drop-outs', () => {
  it('recovers the masks, finishes without the drop-outs, and they trade with the grid', async () => {
    const scenario = generated(20, 11, { batteryShare: 0.4 });
    const rounds = new Map<number, number>();
    // The first neighbour asked to reveal its mask with party 4 fails to: it is out as well.
    let failsReveal: number | undefined;
    const { result, outcomes } = await run(scenario, async (i, kind, _round, answer) => {
      if (kind === Kind.round) rounds.set(i, (rounds.get(i) ?? 0) + 1);
      const n = rounds.get(i) ?? 0;
      if (i === 4 && n >= 6) return timeout; // gone for good from its 6th iteration
      if (i === 9 && kind === Kind.round && n === 10) return timeout; // one late reply
      if (kind === Kind.reveal && i !== 9) failsReveal ??= i;
      if (kind === Kind.reveal && i === failsReveal)
        return { ok: false, failure: 'failed', detail: 'connection reset' };
      return answer();
    });
    expect(result.converged).toBe(true);
    expect(failsReveal).toBeDefined();
    const gone = [4, 9, failsReveal!];
    const out = result.excluded!.map((e) => e.id).sort();
    expect(out).toEqual(gone.map((i) => scenario.prosumers[i]!.id).sort());
    expect(result.excluded!.find((e) => e.id === scenario.prosumers[4]!.id)!.reason).toMatch(/timeout/);
    expect(result.excluded!.find((e) => e.id === scenario.prosumers[failsReveal!]!.id)!.reason).toMatch(
      /reveal/,
    );
    expect(result.participants).toBe(17);
    expect(result.note).toMatch(/3 prosumer\(s\) out of the market/);

    // The certificate holds for the VPP that cleared: its optimum lies between bound and cost.
    const optimum = (await solveCentral(without(scenario, gone))).totalCost;
    expect(result.dualBound!).toBeLessThanOrEqual(optimum + 1e-9);
    expect(result.totalCost).toBeGreaterThanOrEqual(optimum - 1e-6);
    expect(result.certifiedGap!).toBeLessThanOrEqual(1e-3);
    expect((result.totalCost - optimum) / optimum).toBeLessThanOrEqual(1e-3);

    // What the prosumers kept: a market schedule and bill, or (told they are out) a grid-only day.
    const hours = periodHours(scenario);
    outcomes.forEach((o, i) => {
      if (i === 4) {
        expect(o).toBeUndefined(); // never heard of the end
        return;
      }
      expect(o!.status, `party ${i}`).toBe(gone.includes(i) ? 'grid' : 'market');
      expect(scheduleViolations(scenario.prosumers[i]!, o!.schedule, hours)).toEqual([]);
    });
    // The VPP's aggregates are exactly the sums of what its members kept.
    const members = outcomes.filter((o) => o?.status === 'market');
    const own = members.reduce((s, o) => s + o!.ownCost, 0);
    expect(own + result.settlementCost).toBeCloseTo(result.totalCost, 8);
    for (let t = 0; t < scenario.periods; t++) {
      const buy = members.reduce((s, o) => s + o!.schedule.gridBuy[t]!, 0);
      expect(result.aggregateSchedule!.gridBuy[t]).toBeCloseTo(buy, 8);
    }
  });
});

describe('rounds after a drop-out', () => {
  it('tell the neighbours in the next request of any kind (iteration, certificate, final)', async () => {
    const scenario = generated(12, 15);
    const parties = await startParties(scenario, { threads: 0, identitySeed: 'rounds-test' });
    let gone = false;
    const session = await PoolSession.open(
      faulty(
        parties.transport,
        scenario.periods,
        async (i, _kind, _round, answer) => (gone && i === 3 ? timeout : answer()),
        [],
      ),
      { tariffs: scenario.tariffs, periodMinutes: scenario.periodMinutes, method: 'admm' },
    );
    const prices = scenario.tariffs.retail.map((r, t) => (r + scenario.tariffs.feedIn[t]!) / 2);
    const step = { prices, meanTrade: new Array<number>(scenario.periods).fill(0), rho: 0.05 };
    expect((await session.iterate({ iteration: 1, ...step })).contributors).toBe(12);
    gone = true;
    expect((await session.iterate({ iteration: 2, ...step })).contributors).toBe(11);
    // Party 3's neighbours learn it is out from the certificate round's request: its sum is valid.
    const bound = await session.bound(prices);
    expect(bound.contributors).toBe(11);
    expect([...session.excluded.keys()]).toEqual([3]);
    const final = await session.finish({ prices, iterations: 2, converged: false, reveal: false });
    expect(final.contributors).toBe(11);
    expect([...session.excluded.keys()]).toEqual([3]);
  });
});

describe('hostile agents', () => {
  it('rejects wrong dimensions, NaN, huge values and garbage; the market completes', async () => {
    const scenario = generated(20, 12, { batteryShare: 0.4 });
    const hostile = new Map<number, (bytes: Uint8Array) => Uint8Array>([
      // One word short, with a consistent length field: a reply of the wrong dimension.
      [
        3,
        (b) => {
          const out = b.slice(0, b.length - 9);
          new DataView(out.buffer).setUint32(2 + 8 + 4, (b.length - 2 - 8 - 4 - 4 - 1) / 8 - 1, true);
          return Uint8Array.of(...out, 0);
        },
      ],
      // A trade value of 2^60 added to its masked word: a quantity no home can trade.
      [
        7,
        (b) => {
          const out = b.slice();
          const v = new DataView(out.buffer);
          v.setUint32(2 + 8 + 4 + 4 + 4, (v.getUint32(2 + 8 + 4 + 4 + 4, true) + 2 ** 28) >>> 0, true);
          return out;
        },
      ],
      // NaN's bit pattern where its first trade value goes.
      [
        11,
        (b) => {
          const out = b.slice();
          new DataView(out.buffer).setFloat64(2 + 8 + 4 + 4, Number.NaN, true);
          return out;
        },
      ],
      // Garbage.
      [15, (b) => b.map((x, k) => (x * 31 + k) & 0xff)],
    ]);
    const { result, penalised } = await run(scenario, async (i, kind, round, answer) => {
      const a = await answer();
      const tamper = hostile.get(i);
      if (!tamper || !a.ok || kind !== Kind.round || round < 4) return a;
      return { ok: true, bytes: tamper(a.bytes) };
    });
    expect(result.converged).toBe(true);
    const out = new Set(result.excluded!.map((e) => e.id));
    for (const i of hostile.keys()) expect(out.has(scenario.prosumers[i]!.id), `party ${i}`).toBe(true);
    // Malformed replies are the sender's fault at once; a hostile value inside a well-formed masked vector
    // can only be found by halving, which leaves out at most a small group (< 2 · 3) around it.
    expect(penalised).toEqual(expect.arrayContaining([3, 15]));
    expect(out.size).toBeLessThanOrEqual(2 + 2 * 5);
    expect(result.excluded!.find((e) => e.id === scenario.prosumers[3]!.id)!.reason).toMatch(/malformed/);
    expect(result.excluded!.find((e) => e.id === scenario.prosumers[7]!.id)!.reason).toMatch(/halving/);
    const stayed = scenario.prosumers.flatMap((p, i) => (out.has(p.id) ? [i] : []));
    const optimum = (await solveCentral(without(scenario, stayed))).totalCost;
    expect(result.dualBound!).toBeLessThanOrEqual(optimum + 1e-9);
    expect(result.certifiedGap!).toBeLessThanOrEqual(1e-3);
    expect(result.totalCost).toBeGreaterThanOrEqual(optimum - 1e-6);
  });
});

describe('authentication', () => {
  it('leaves out a party whose hello signature fails or who is not the roster member it claims', async () => {
    const scenario = generated(10, 14);
    const parties = await startParties(scenario, { threads: 0, identitySeed: 'auth-test' });
    const penalised: number[] = [];
    // First learn who is who (a coordinator's roster lists ids and public keys).
    const hellos = await parties.transport.exchange(
      new Map(
        scenario.prosumers.map((_, i) => [
          i,
          encodeRequest({ kind: Kind.hello, challenge: new Uint8Array(32) }),
        ]),
      ),
      1000,
    );
    const roster = [...hellos]
      .sort((a, b) => a[0] - b[0])
      .map(([, a]) => {
        const r = decodeReply((a as { bytes: Uint8Array }).bytes);
        if (r.kind !== Kind.helloReply) throw new Error('no hello');
        return { id: r.id, identity: r.identity.slice() };
      });
    roster[5] = { ...roster[5]!, identity: roster[6]!.identity }; // someone else's key under party 5's id
    const transport = faulty(
      parties.transport,
      scenario.periods,
      async (i, kind, _round, answer) => {
        const a = await answer();
        if (i !== 2 || kind !== Kind.hello || !a.ok) return a;
        const bytes = a.bytes.slice();
        bytes[bytes.length - 1]! ^= 1; // a flipped bit in the signature
        return { ok: true, bytes };
      },
      penalised,
    );
    const session = await PoolSession.open(transport, {
      tariffs: scenario.tariffs,
      periodMinutes: scenario.periodMinutes,
      method: 'admm',
      roster,
    });
    const result = await clearWeak(session, scenario.tariffs, {});
    expect(result.converged).toBe(true);
    expect(result.participants).toBe(8);
    const reasons = Object.fromEntries(result.excluded!.map((e) => [e.id, e.reason]));
    expect(reasons[scenario.prosumers[2]!.id]).toMatch(/signature does not verify/);
    expect(reasons[scenario.prosumers[5]!.id]).toMatch(/does not match the roster/);
    expect(penalised).toEqual(expect.arrayContaining([2, 5]));
  });
});

describe('simulation hosts', () => {
  it('gives bit-identical results with the parties in worker threads and in this thread', async () => {
    const scenario = generated(9, 13);
    const results = [];
    for (const threads of [0, 3]) {
      const parties = await startParties(scenario, { threads });
      try {
        const session = await PoolSession.open(parties.transport, {
          tariffs: scenario.tariffs,
          periodMinutes: scenario.periodMinutes,
          method: 'admm',
        });
        results.push(await clearWeak(session, scenario.tariffs, {}));
      } finally {
        await parties.close();
      }
    }
    const [local, threaded] = results;
    expect(threaded!.iterations).toBe(local!.iterations);
    expect(threaded!.totalCost).toBe(local!.totalCost);
    expect(threaded!.prices).toEqual(local!.prices);
    expect(threaded!.bytes).toBe(local!.bytes);
  });
});
