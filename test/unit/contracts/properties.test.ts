// The market contracts over random scenarios: VPPs bid, cancel and commit (and revise) day-ahead schedules
// in random order at random times, the grid suspends VPPs, every interval clears, and the grid meters
// random net positions. Whatever happens: tokens are conserved, no lock outlives its gate, every bill's
// total is exactly the token flow it records — per account, bills, fees and transfers explain every
// balance, also when the grid or a VPP could not pay in full (unpaid lines) — committed positions are
// exactly the accepted commitments (accepted only before the interval's bidding window opened), and
// metering settles (metered - committed) - traded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cancelBidCall,
  commitScheduleCall,
  meterReportCall,
  placeBidCall,
  registryCall,
} from '../../../contracts-vm/abi/calls.ts';
import { type BillLine, billTotal } from '../../../contracts-vm/abi/index.ts';
import { getAccount, spendable } from '../../../contracts-vm/accounts.ts';
import { getBill } from '../../../contracts-vm/bills.ts';
import { getClearing, pendingIntervals } from '../../../contracts-vm/contracts/auction.ts';
import { getCommitted, scheduleClosesAt } from '../../../contracts-vm/contracts/metering.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import type { ChainParams } from '../../../protocol/params.ts';
import type { TxEnvelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const vpps = [keys.vpp1, keys.vpp2, keys.vpp3];
/** A VPP that never trades: it tops up the grid's fee money before metering (a transfer, a token flow). */
const funder = devKeyPair('test-funder');
const all = [keys.grid, ...vpps, funder, keys.miner];
const BIDDING = 5; // intervals 1..5 take bids
const METERED = 6; // intervals 1..6 are metered (6 only against schedules)

/** Intervals of 4 s and bidding 2 intervals ahead, so 16 one-second blocks cover every window and gate. */
const paramsWith = (gridBalance: bigint): ChainParams => {
  const base = testParams();
  return {
    ...base,
    market: { ...base.market, intervalMs: 4000, maxIntervalsAhead: 2 },
    accounts: [
      ...base.accounts.map((a) => (a.role === 'grid' ? { ...a, balance: gridBalance } : a)),
      { name: 'funder', role: 'vpp', address: funder.address, balance: 1_000_000n },
    ],
  };
};

// Prices at or below the grid's buy price (40,000) often: such sell steps go to the grid, which must pay.
const stepArb = fc.record({
  qty: fc.integer({ min: 1, max: 5000 }),
  price: fc.oneof(fc.integer({ min: 0, max: 600_000 }), fc.constantFrom(0, 20_000, 40_000)),
});
const whArb = fc.integer({ min: -6000, max: 6000 }).map(BigInt);
const actionArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('bid' as const),
      vpp: fc.nat(2),
      interval: fc.integer({ min: 1, max: BIDDING }),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      steps: fc.array(stepArb, { minLength: 1, maxLength: 4 }),
    }),
  },
  fc.record({
    kind: fc.constant('cancel' as const),
    vpp: fc.nat(2),
    interval: fc.integer({ min: 1, max: BIDDING }),
  }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      vpp: fc.nat(2),
      first: fc.integer({ min: 1, max: METERED }),
      positions: fc.array(whArb, { minLength: 1, maxLength: 3 }),
    }),
  },
  fc.record({ kind: fc.constant('suspend' as const), vpp: fc.nat(2) }),
);

/** What the runs covered, so the test fails if the generators stop reaching a case. */
const seen = {
  clearingUnpaid: 0,
  meteringUnpaid: 0,
  revisions: 0,
  refusedClosed: 0,
  meteredAgainstCommitted: 0,
  meteredWithout: 0,
};

describe('market contracts on chain: properties over random scenarios', () => {
  it('conserve tokens, explain every balance by bills, fees and transfers, and meter against the accepted schedules', () => {
    fc.assert(
      fc.property(
        fc.array(actionArb, { minLength: 1, maxLength: 16 }),
        fc.array(fc.array(whArb, { minLength: 3, maxLength: 3 }), { minLength: METERED, maxLength: METERED }),
        fc.constantFrom(3_000n, 1_000_000_000n),
        (actions, metered, gridBalance) => {
          const params = paramsWith(gridBalance);
          const b = new ChainBuilder(params);
          const nonces = new Map<string, bigint>();
          const nonceOf = (k: { address: string }) => nonces.get(k.address) ?? 0n;
          // Token flows other than bills: fees (to the miner) and transfers.
          const flows = new Map<string, bigint>();
          const flow = (a: string, x: bigint) => flows.set(a, (flows.get(a) ?? 0n) + x);
          const included = (tx: TxEnvelope) => {
            nonces.set(tx.sender, nonceOf({ address: tx.sender }) + 1n);
            flow(tx.sender, -tx.tx.fee);
            flow(keys.miner.address, tx.tx.fee);
            if (tx.tx.payload.kind === 'transfer') {
              flow(tx.sender, -tx.tx.payload.amount);
              flow(tx.tx.payload.to, tx.tx.payload.amount);
            }
          };
          const model = new Map<string, bigint>(); // `${vpp}:${k}` -> the accepted committed position

          // Each action goes into its own block, while it is valid there (invalid ones are dropped, as a miner would).
          let tip = b.genesisId;
          for (const a of actions) {
            const who = vpps[a.vpp]!;
            const sender = a.kind === 'suspend' ? keys.grid : who;
            const payload =
              a.kind === 'bid'
                ? placeBidCall(BigInt(a.interval), a.side, a.steps)
                : a.kind === 'cancel'
                  ? cancelBidCall(BigInt(a.interval))
                  : a.kind === 'commit'
                    ? commitScheduleCall(BigInt(a.first), a.positions)
                    : registryCall('suspend', who.address);
            const tx = b.call(sender, payload, nonceOf(sender));
            const time = b.get(tip).block.header.timestamp + params.blockTimeMs;
            const pre = a.kind === 'commit' ? b.stateAfter(tip) : undefined;
            let ok = true;
            try {
              tip = b.idOf(b.next(tip, { txs: [tx] }));
              included(tx);
            } catch {
              ok = false;
              tip = b.idOf(b.next(tip));
            }
            if (pre && a.kind === 'commit') {
              // Accepted exactly when the first interval's bidding had not opened and the VPP could pay the fee.
              const open = time < scheduleClosesAt(params, BigInt(a.first));
              const affordable = spendable(getAccount(pre, who.address)) >= tx.tx.fee;
              expect(ok).toBe(open && affordable);
              if (ok) {
                for (const [i, wh] of a.positions.entries()) {
                  const key = `${who.address}:${a.first + i}`;
                  if (model.has(key)) seen.revisions++;
                  model.set(key, wh);
                }
              } else if (!open) seen.refusedClosed++;
            }
          }
          // Past every gate, then the grid meters intervals 1..6 after they end, in one block.
          while (b.get(tip).block.header.timestamp < params.timestamp + (METERED + 1) * 4000)
            tip = b.idOf(b.next(tip));
          // Each report is preceded by a top-up of the grid's fee money: paying imbalances may drain it.
          const txs = metered.flatMap((row, i) => [
            b.transfer(funder, keys.grid, 100n, nonceOf(funder) + BigInt(i)),
            b.call(
              keys.grid,
              meterReportCall(
                BigInt(i + 1),
                vpps.map((v, j) => ({ vpp: v.address, meteredWh: row[j]! })),
              ),
              nonceOf(keys.grid) + BigInt(i),
            ),
          ]);
          const before = b.stateAfter(tip);
          tip = b.idOf(b.next(tip, { txs }));
          for (const t of txs) included(t);
          const s = b.stateAfter(tip);

          // Supply is conserved; no lock outlives its gate.
          const total = all.reduce((sum, k) => sum + getAccount(s, k.address).balance, 0n);
          expect(total).toBe(params.accounts.reduce((sum, a) => sum + a.balance, 0n));
          expect(pendingIntervals(s)).toEqual([]);
          for (const v of vpps) expect(getAccount(s, v.address).locked).toBe(0n);

          // Every balance is explained: a VPP's change is its bill totals plus its fees and transfers; the grid,
          // the counterparty of every bill line, changes by minus all of them; the miner by the fees.
          const genesis = new Map(params.accounts.map((a) => [a.address, a.balance]));
          let allBills = 0n;
          for (const v of vpps) {
            let bills = 0n;
            for (let k = 1n; k <= BigInt(METERED); k++)
              bills += billTotal(getBill(s, v.address, k)?.lines ?? []);
            allBills += bills;
            expect(getAccount(s, v.address).balance - genesis.get(v.address)!).toBe(
              bills + (flows.get(v.address) ?? 0n),
            );
          }
          expect(getAccount(s, keys.grid.address).balance - gridBalance).toBe(
            -allBills + (flows.get(keys.grid.address) ?? 0n),
          );
          expect(getAccount(s, keys.miner.address).balance).toBe(flows.get(keys.miner.address) ?? 0n);
          expect(getAccount(s, funder.address).balance).toBe(1_000_000n + flows.get(funder.address)!);

          for (const v of vpps) {
            // The metering block moved, for each VPP, exactly the amounts of the lines it added.
            let meteringLines = 0n;
            for (let k = 1n; k <= BigInt(METERED); k++) {
              const bill = getBill(s, v.address, k)!; // every VPP was metered
              // Clearing lines come first; metering's start with its imbalance line.
              const cut = bill.lines.findIndex((l) => l.kind.startsWith('imbalance'));
              const cleared = cut < 0 ? bill.lines : bill.lines.slice(0, cut);
              const atMetering = cut < 0 ? [] : bill.lines.slice(cut);
              meteringLines += billTotal(atMetering);

              // Committed positions are the accepted commitments; metering measured against them (or 0).
              const committed = model.get(`${v.address}:${k}`) ?? null;
              expect(getCommitted(s, v.address, k)?.wh ?? null).toBe(committed);
              expect(bill.committedWh).toBe(committed);
              if (committed === null) seen.meteredWithout++;
              else seen.meteredAgainstCommitted++;
              const meteredWh = metered[Number(k) - 1]![vpps.indexOf(v)]!;
              expect(bill.meteredWh).toBe(meteredWh);

              // Imbalance = (metered - committed) - traded, at the interval's imbalance prices; what the
              // payer could not pay is on an unpaid line, not on the imbalance line.
              const rec = getClearing(s, k);
              const p = rec?.participants.find((x) => x.address === v.address);
              const traded = !p ? 0n : p.side === 'sell' ? p.qty + p.gridQty : -(p.qty + p.gridQty);
              const imbalance = meteredWh - (committed ?? 0n) - traded;
              const long = imbalance > 0n;
              const due = long ? (imbalance * 20_000n + 999n) / 1000n : (-imbalance * 450_000n) / 1000n;
              const expected: BillLine[] = [];
              if (imbalance === 0n) expect(atMetering).toEqual([]);
              else {
                const line = atMetering[0]!;
                expect(line.kind).toBe(long ? 'imbalance-long' : 'imbalance-short');
                expect(line.wh).toBe(long ? imbalance : -imbalance);
                const paid = long ? line.amount : -line.amount;
                expect(paid).toBeGreaterThanOrEqual(0n);
                expect(paid).toBeLessThanOrEqual(due);
                expected.push(line);
                if (paid < due) {
                  expected.push({ kind: 'unpaid', wh: 0n, amount: long ? due - paid : -(due - paid) });
                  seen.meteringUnpaid++;
                }
                expect(atMetering).toEqual(expected);
              }

              // The clearing's lines: a buyer paid in full; a seller got what the grid could spend, market
              // line first, and an unpaid line for the rest, which the clearing record totals.
              if (p && (p.qty > 0n || p.gridQty > 0n)) {
                const sum = (kinds: string[]) =>
                  cleared.filter((l) => kinds.includes(l.kind)).reduce((x, l) => x + l.amount, 0n);
                const owed = sum(['unpaid']);
                if (p.side === 'buy') {
                  expect(sum(['auction-buy', 'grid-buy'])).toBe(-(p.payment + p.gridPayment));
                  expect(owed).toBe(0n);
                } else {
                  expect(sum(['auction-sell', 'grid-sell']) + owed).toBe(p.payment + p.gridPayment);
                  expect(sum(['auction-sell'])).toBeGreaterThanOrEqual(0n);
                  expect(sum(['grid-sell'])).toBeGreaterThanOrEqual(0n);
                  if (sum(['grid-sell']) > 0n) expect(sum(['auction-sell'])).toBe(p.payment); // market line paid first
                  if (owed > 0n) seen.clearingUnpaid++;
                }
              }
            }
            expect(getAccount(s, v.address).balance - getAccount(before, v.address).balance).toBe(
              meteringLines,
            );
          }
          // The clearing records' unpaid totals are the sellers' unpaid lines written at clearing.
          for (let k = 1n; k <= BigInt(BIDDING); k++) {
            const rec = getClearing(s, k);
            if (!rec) continue;
            let owed = 0n;
            for (const p of rec.participants) {
              const lines = getBill(s, p.address, k)?.lines ?? [];
              const end = lines.findIndex((l) => l.kind.startsWith('imbalance'));
              owed += (end < 0 ? lines : lines.slice(0, end))
                .filter((l) => l.kind === 'unpaid')
                .reduce((x, l) => x + l.amount, 0n);
            }
            expect(owed).toBe(rec.unpaid);
          }
        },
      ),
      {
        numRuns: 60,
        // First a scenario that reaches each case for sure: a revision, a refused late commitment, a seller
        // the poor grid cannot pay in full, metering against committed positions and against none.
        examples: [
          [
            [
              { kind: 'commit', vpp: 0, first: 4, positions: [100n, -200n] },
              { kind: 'commit', vpp: 0, first: 5, positions: [300n] },
              { kind: 'commit', vpp: 1, first: 1, positions: [0n] },
              { kind: 'bid', vpp: 0, interval: 2, side: 'buy', steps: [{ qty: 1000, price: 250_000 }] },
              {
                kind: 'bid',
                vpp: 1,
                interval: 2,
                side: 'sell',
                steps: [
                  { qty: 1000, price: 100_000 },
                  { qty: 5000, price: 0 },
                ],
              },
            ],
            [
              [0n, 0n, 0n],
              [-1000n, 6000n, 0n],
              [0n, 0n, 0n],
              [100n, 0n, 0n],
              [300n, 0n, -6000n],
              [0n, 0n, 0n],
            ],
            3_000n,
          ],
        ],
      },
    );
    // The runs reached every case the properties speak about.
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  }, 180_000);
});
