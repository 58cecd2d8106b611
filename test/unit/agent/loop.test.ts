// End to end without a chain: three VPP agents (different prosumer mixes, weak day-ahead markets) commit
// their day-ahead schedules, bid, clear with the real engine, deliver, are metered by the grid agent
// against the committed positions and settle their bills.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ERRORS } from '../../../agent/actuals.ts';
import { type ChainPort, VppAgent } from '../../../agent/agent.ts';
import { FakeChain, simulateIntervals } from '../../../agent/fake-chain.ts';
import {
  buildDemoVpps,
  createDemoAgent,
  type DemoVpp,
  runVppDayAhead,
  type VppDayAhead,
} from '../../../agent/scenarios.ts';
import { kwhToWh } from '../../../agent/units.ts';
import { billDeviation, billTotal } from '../../../contracts-vm/abi/bills.ts';
import { validateBid } from '../../../contracts-vm/auction/index.ts';
import { MAX_PRICE, MAX_STEP_QTY_WH } from '../../../contracts-vm/auction/limits.ts';
import { devKeyPair } from '../../../protocol/keys.ts';

const GRID = devKeyPair('grid').address;
const MAPPING = { minutesPerInterval: 5, startMinute: 11 * 60 }; // interval 0 = 11:00, PV and load both active
const INTERVALS = 24; // two hours of the day

let vpps: DemoVpp[];
let dayAhead: VppDayAhead[];

beforeAll(async () => {
  vpps = buildDemoVpps({ vpps: 3, prosumersPerVpp: 10 });
  dayAhead = [];
  for (const v of vpps) dayAhead.push(await runVppDayAhead(v.scenario, 'weak'));
});

function agents(
  chain: FakeChain,
  port?: (v: DemoVpp) => ChainPort,
  errors = DEFAULT_ERRORS,
  forecast: 'perfect' | 'persistence' = 'perfect',
): VppAgent[] {
  return vpps.map(
    (v, i) =>
      new VppAgent({
        name: v.name,
        address: v.address,
        scenario: v.scenario,
        dayAhead: dayAhead[i]!.result,
        traditional: dayAhead[i]!.traditional,
        port: port ? port(v) : chain.portFor(v.address),
        mapping: MAPPING,
        errors,
        sources: v.sources,
        season: v.season,
        forecast,
      }),
  );
}

describe('three agents on the fake chain with the real clearing engine', () => {
  it('demo VPPs belong to the genesis accounts and differ in mix', () => {
    expect(vpps.map((v) => v.address)).toEqual(['vpp-1', 'vpp-2', 'vpp-3'].map((n) => devKeyPair(n).address));
    expect(new Set(vpps.map((v) => v.mix)).size).toBe(3);
    // Every home of the demo has its real 1-minute data bundled.
    for (const v of vpps) expect(v.sources.every((s) => s.load)).toBe(true);
  });

  it('clears every interval, settles every bill exactly, and beats the grid alone', async () => {
    const chain = new FakeChain(GRID);
    const as = agents(chain);
    await simulateIntervals(as, chain, 0n, INTERVALS);
    let traded = 0;
    for (let k = 0n; k < BigInt(INTERVALS); k++) {
      const c = chain.clearings.get(k);
      expect(c, `interval ${k} cleared`).toBeDefined();
      const bidders = [...(chain.bids.get(k)?.keys() ?? [])];
      expect(c!.participants.map((p) => p.id).sort()).toEqual(bidders.sort());
      traded += c!.tradedQty;
    }
    expect(traded).toBeGreaterThan(0); // VPPs did trade with each other
    // Tokens are conserved (the fake's balances start at 0).
    expect([...chain.balances.values()].reduce((s, x) => s + x, 0n)).toBe(0n);

    for (const a of as) {
      expect(a.ledger.intervals.length).toBe(INTERVALS);
      let bills = 0n;
      for (const x of a.ledger.intervals) {
        const k = x.interval;
        const bill = chain.bills.get(`${a.address}:${k}`);
        // Metered against the committed day-ahead position: the deviation is the agent's actual one.
        expect(bill!.committedWh).toBe(BigInt(a.plannedPositionWh(k)));
        expect(x.committedWh).toBe(bill!.committedWh);
        expect(billDeviation(bill!)).toBe(BigInt(x.actualDeviationWh));
        // With actuals known at bid time, the VPP delivers exactly what it traded: no imbalance lines.
        expect(bill!.lines.some((l) => l.kind.startsWith('imbalance'))).toBe(false);
        expect(x.billTotal).toBe(billTotal(bill!.lines));
        // Per-prosumer shares add up to the bill in every interval.
        const shares = a.ledger.entries.reduce(
          (s, e) => s + e.find((y) => y.interval === k)!.realtimeUnits,
          0n,
        );
        expect(shares).toBe(-x.billTotal);
        // Individual rationality: with the market, tokens paid + own remedies (at their true costs) never
        // exceed resolving the same deviation without it (each block at min(own remedy, grid price)).
        expect(x.p2pMilli).toBeLessThanOrEqual(x.gridAloneMilli);
        // ... hence also never more than settling the whole deviation with the grid at its prices.
        const P = chain.pricesOf(k);
        const D = BigInt(x.deviationWh);
        expect(x.p2pMilli).toBeLessThanOrEqual(
          D < 0n ? -D * BigInt(P.gridSellPrice) : -D * BigInt(P.gridBuyPrice),
        );
        bills += x.billTotal;
      }
      // The VPP's balance moved by exactly its bills; the prosumers' ledgers add up to the VPP's totals.
      expect(chain.balance(a.address)).toBe(bills);
      const s = a.ledger.summary();
      expect(s.realtimeUnits).toBe(-bills);
      const sum = (f: (p: (typeof s.prosumers)[number]) => number) =>
        s.prosumers.reduce((t, p) => t + f(p), 0);
      expect(sum((p) => p.p2p.totalGbp)).toBeCloseTo(s.total.p2p.totalGbp, 9);
      expect(sum((p) => p.traditional.totalGbp)).toBeCloseTo(s.total.traditional.totalGbp, 9);
      expect(s.total.p2p.realtimeGbp).toBeCloseTo(Number(-bills) / 1e6, 9);
      // Real-time cost (tokens + remedies) of the P2P VPP is no worse than each prosumer alone with the grid.
      expect(s.total.p2p.realtimeGbp + s.total.p2p.redispatchGbp).toBeLessThanOrEqual(
        s.total.traditional.realtimeGbp + 1e-9,
      );
    }
    // Every bid placed was a valid contract bid.
    for (const [, m] of chain.bids)
      for (const [id, b] of m) {
        validateBid({ id: 'vpp', side: b.side, steps: b.steps });
        expect(b.steps.length).toBeGreaterThanOrEqual(1);
        expect(b.steps.length).toBeLessThanOrEqual(32);
        for (const st of b.steps) {
          expect(st.qty).toBeGreaterThanOrEqual(1);
          expect(st.qty).toBeLessThanOrEqual(MAX_STEP_QTY_WH);
          expect(st.price).toBeLessThanOrEqual(MAX_PRICE);
        }
        // A buyer never bids above the grid's sell price, a seller never below its buy price.
        const P = chain.pricesOf(0n);
        if (b.side === 'buy')
          expect(Math.max(...b.steps.map((x) => x.price))).toBeLessThanOrEqual(P.gridSellPrice);
        else expect(Math.min(...b.steps.map((x) => x.price))).toBeGreaterThanOrEqual(P.gridBuyPrice);
        expect(id).toMatch(/^0x/);
      }
  });

  it('same seeds, same bids; another error seed, other bids', async () => {
    const run = async (seed: number) => {
      const chain = new FakeChain(GRID);
      const as = agents(chain, undefined, { ...DEFAULT_ERRORS, seed });
      await simulateIntervals(as, chain, 0n, 6);
      return JSON.stringify([...chain.bids].map(([k, m]) => [String(k), [...m]]));
    };
    const first = await run(1);
    expect(await run(1)).toBe(first);
    expect(await run(2)).not.toBe(first);
  });

  it('a bid that never reaches the chain: batteries do what they can, the rest is settled as imbalance', async () => {
    const chain = new FakeChain(GRID);
    const dropping = (v: DemoVpp): ChainPort => ({
      ...chain.portFor(v.address),
      submitBid: async () => 'dropped',
    });
    const as = agents(chain, dropping);
    await simulateIntervals(as, chain, 0n, 6);
    let imbalanceLines = 0;
    for (const a of as)
      for (const x of a.ledger.intervals) {
        const bill = chain.bills.get(`${a.address}:${x.interval}`)!;
        expect(billDeviation(bill)).toBe(BigInt(x.actualDeviationWh));
        expect(Math.abs(x.actualDeviationWh)).toBeLessThanOrEqual(Math.abs(x.deviationWh));
        imbalanceLines += bill.lines.filter((l) => l.kind.startsWith('imbalance')).length;
        const shares = a.ledger.entries.reduce(
          (s, e) => s + e.find((y) => y.interval === x.interval)!.realtimeUnits,
          0n,
        );
        expect(shares).toBe(-x.billTotal);
      }
    expect(imbalanceLines).toBeGreaterThan(0);
  });

  it('with a nowcast, bills settle the metered deviation, not the declared one', async () => {
    const chain = new FakeChain(GRID);
    const as = agents(chain, undefined, DEFAULT_ERRORS, 'persistence');
    await simulateIntervals(as, chain, 0n, 12);
    let differing = 0;
    for (const a of as)
      for (const x of a.ledger.intervals) {
        const k = x.interval;
        const bill = chain.bills.get(`${a.address}:${k}`)!;
        // The grid meters what happened: the actual deviation after the planned redispatch.
        expect(billDeviation(bill)).toBe(BigInt(x.actualDeviationWh));
        if (x.deviationWh !== x.declaredDeviationWh) differing++;
        // Imbalance = metered − traded position, settled at the imbalance prices.
        const p = chain.clearings.get(k)!.participants.find((y) => y.id === a.address);
        const traded = !p ? 0 : (p.side === 'sell' ? 1 : -1) * (p.qty + p.gridQty);
        const imbalance = x.actualDeviationWh - traded;
        const lines = bill.lines.filter((l) => l.kind.startsWith('imbalance'));
        if (imbalance === 0) expect(lines).toEqual([]);
        else
          expect(lines).toEqual([
            {
              kind: imbalance > 0 ? 'imbalance-long' : 'imbalance-short',
              wh: BigInt(Math.abs(imbalance)),
              amount:
                imbalance > 0
                  ? (BigInt(imbalance) * 20_000n + 999n) / 1000n
                  : -((BigInt(-imbalance) * 450_000n) / 1000n),
            },
          ]);
        const shares = a.ledger.entries.reduce(
          (s, e) => s + e.find((y) => y.interval === k)!.realtimeUnits,
          0n,
        );
        expect(shares).toBe(-x.billTotal);
      }
    expect(differing).toBeGreaterThan(0);
  });

  it('the day-ahead framework is configurable', async () => {
    const [v] = buildDemoVpps({ vpps: 1, prosumersPerVpp: 6, seedBase: 8000 });
    for (const framework of ['traditional', 'central', 'decentralized'] as const) {
      const chain = new FakeChain(GRID);
      const agent = await createDemoAgent(v!, chain.portFor(v!.address), { framework, mapping: MAPPING });
      expect(agent.context.dayAhead.framework).toBe(framework);
      await simulateIntervals([agent], chain, 0n, 3);
      expect(agent.ledger.intervals.length).toBe(3);
      // Alone in the auction, the VPP settles with the grid: the deviation at P or p, less its remedies.
      for (const x of agent.ledger.intervals) expect(x.p2pMilli).toBeLessThanOrEqual(x.gridAloneMilli);
    }
  });

  it('commits the plan per interval before the day, revises it while open, not once bidding began', async () => {
    const chain = new FakeChain(GRID);
    const [a] = agents(chain);
    expect(await a!.commitSchedule(0n, INTERVALS)).toHaveLength(1);
    // Interval 0 is 11:00, in half-hour period 22; a 5-minute interval is a sixth of it. Positions are
    // + export / - import: minus the day-ahead net consumption.
    const net = dayAhead[0]!.result.netPositionKwh;
    expect(a!.plannedPositionWh(0n)).toBe(kwhToWh(-net[22]! / 6));
    expect(a!.plannedPositionWh(6n)).toBe(kwhToWh(-net[23]! / 6));
    for (let k = 0n; k < BigInt(INTERVALS); k++)
      expect(chain.schedules.get(`${a!.address}:${k}`)).toEqual({
        wh: BigInt(a!.plannedPositionWh(k)),
        height: 1,
      });
    expect(chain.schedules.has(`${a!.address}:${INTERVALS}`)).toBe(false);
    // A re-plan commits again: the positions are replaced (a later commitment).
    await a!.commitSchedule(3n, 2);
    expect(chain.schedules.get(`${a!.address}:3`)?.height).toBe(2);
    // More than 1,000 intervals go out in calls of at most 1,000.
    expect(await a!.commitSchedule(100n, 2500)).toHaveLength(3);
    // Once the interval's bidding has begun, its position is final.
    chain.clear(0n);
    await expect(a!.commitSchedule(0n, 1)).rejects.toThrow(/closed/);
  });

  it('keeps the schedule committed a day ahead', async () => {
    const chain = new FakeChain(GRID);
    const [a] = agents(chain);
    const has = (k: number) => chain.schedules.has(`${a!.address}:${k}`);
    expect(await a!.commitScheduleFrom(10n)).toHaveLength(1); // intervals 10..297: a day of 5 minutes
    expect([has(9), has(10), has(297), has(298)]).toEqual([false, true, true, false]);
    expect(await a!.commitScheduleFrom(297n)).toEqual([]); // still covered
    expect(await a!.commitScheduleFrom(298n)).toHaveLength(1); // the next day
    expect([has(298), has(585), has(586)]).toEqual([true, true, false]);
  });

  it('without a committed schedule, the whole net position is deviation: the VPP trades it and still meets it', async () => {
    const chain = new FakeChain(GRID);
    const as = agents(chain);
    await simulateIntervals(as, chain, 0n, 6, { commit: false });
    const committed = new FakeChain(GRID);
    const reference = agents(committed);
    await simulateIntervals(reference, committed, 0n, 6);
    let larger = 0;
    for (const [i, a] of as.entries())
      for (const x of a.ledger.intervals) {
        const k = x.interval;
        const bill = chain.bills.get(`${a.address}:${k}`)!;
        expect(bill.committedWh).toBeNull();
        expect(x.committedWh).toBeNull();
        // The meter reads the physics: the planned position plus what the prosumers deviated from their
        // plans after their batteries' redispatch. Measured against nothing, all of it is deviation.
        const after = a.ledger.entries.reduce(
          (s, e) => s + e.find((y) => y.interval === k)!.actualDeviationWh,
          0,
        );
        expect(bill.meteredWh).toBe(BigInt(a.plannedPositionWh(k) + after));
        expect(billDeviation(bill)).toBe(bill.meteredWh);
        const ref = reference[i]!.ledger.intervals.find((y) => y.interval === k)!;
        expect(billDeviation(bill)).toBe(BigInt(x.actualDeviationWh));
        // Bid, traded and delivered with perfect foresight: no imbalance.
        expect(bill.lines.some((l) => l.kind.startsWith('imbalance'))).toBe(false);
        if (Math.abs(x.declaredDeviationWh) > Math.abs(ref.declaredDeviationWh)) larger++;
        const shares = a.ledger.entries.reduce(
          (s, e) => s + e.find((y) => y.interval === k)!.realtimeUnits,
          0n,
        );
        expect(shares).toBe(-x.billTotal);
      }
    expect(larger).toBeGreaterThan(0);
  });

  it('intervals must be planned in order', async () => {
    const chain = new FakeChain(GRID);
    const [a] = agents(chain);
    await a!.planInterval(0n);
    await expect(a!.planInterval(1n)).rejects.toThrow(/must be delivered/);
    await a!.deliver(0n);
    await expect(a!.planInterval(5n)).rejects.toThrow(/out of order/);
  });
});
