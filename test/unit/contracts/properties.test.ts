import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cancelBidCall,
  meterReportCall,
  placeBidCall,
  registryCall,
} from '../../../contracts-vm/abi/calls.ts';
import { getAccount } from '../../../contracts-vm/accounts.ts';
import { getBill } from '../../../contracts-vm/bills.ts';
import { getClearing, pendingIntervals } from '../../../contracts-vm/contracts/auction.ts';
import type { TxEnvelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const params = testParams();
const vpps = [keys.vpp1, keys.vpp2, keys.vpp3];
const all = [keys.grid, ...vpps, keys.miner];

const stepArb = fc.record({
  qty: fc.integer({ min: 1, max: 5000 }),
  price: fc.integer({ min: 0, max: 600_000 }),
});
const actionArb = fc.oneof(
  fc.record({
    kind: fc.constant('bid' as const),
    vpp: fc.nat(2),
    interval: fc.integer({ min: 1, max: 4 }),
    side: fc.constantFrom('buy' as const, 'sell' as const),
    steps: fc.array(stepArb, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('cancel' as const),
    vpp: fc.nat(2),
    interval: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constant('suspend' as const), vpp: fc.nat(2) }),
);

describe('auction on chain: properties over random scenarios', () => {
  it('conserves tokens exactly, leaves no lock after every gate, and each bill equals the balance change it caused', () => {
    fc.assert(
      fc.property(
        fc.array(actionArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: -6000, max: 6000 }), { minLength: 3, maxLength: 3 }),
        (actions, metered) => {
          const b = new ChainBuilder(params);
          const nonces = new Map<string, bigint>();
          const next = (k: (typeof all)[number]) => {
            const n = nonces.get(k.address) ?? 0n;
            nonces.set(k.address, n + 1n);
            return n;
          };
          // Each action goes into its own block, while it is valid there (invalid ones are dropped, as a miner would).
          let tip = b.genesisId;
          for (const a of actions) {
            let tx: TxEnvelope;
            const who = vpps[a.vpp]!;
            if (a.kind === 'bid')
              tx = b.call(
                who,
                placeBidCall(BigInt(a.interval), a.side, a.steps),
                nonces.get(who.address) ?? 0n,
              );
            else if (a.kind === 'cancel')
              tx = b.call(who, cancelBidCall(BigInt(a.interval)), nonces.get(who.address) ?? 0n);
            else
              tx = b.call(
                keys.grid,
                registryCall('suspend', who.address),
                nonces.get(keys.grid.address) ?? 0n,
              );
            try {
              tip = b.idOf(b.next(tip, { txs: [tx] }));
              next(a.kind === 'suspend' ? keys.grid : who);
            } catch {
              tip = b.idOf(b.next(tip));
            }
          }
          // Past every gate (interval 4 starts at 40 s; blocks are 1 s apart), then meter interval 2 after it ends.
          while (b.get(tip).block.header.timestamp < params.timestamp + 45_000) tip = b.idOf(b.next(tip));
          const report = b.call(
            keys.grid,
            meterReportCall(
              2n,
              vpps.map((v, i) => ({ vpp: v.address, deviationWh: BigInt(metered[i]!) })),
            ),
            next(keys.grid),
          );
          const before = b.stateAfter(tip);
          tip = b.idOf(b.next(tip, { txs: [report] }));
          const s = b.stateAfter(tip);

          const total = all.reduce((sum, k) => sum + getAccount(s, k.address).balance, 0n);
          expect(total).toBe(params.accounts.reduce((sum, a) => sum + a.balance, 0n));
          expect(pendingIntervals(s)).toEqual([]);
          for (const v of vpps) expect(getAccount(s, v.address).locked).toBe(0n);
          for (const v of vpps) {
            // The metering block's effect on a VPP's balance is its bill's imbalance lines, nothing else.
            const bill = getBill(s, v.address, 2n)!;
            const imbalance = bill.lines
              .filter((l) => l.kind.startsWith('imbalance'))
              .reduce((x, l) => x + l.amount, 0n);
            expect(getAccount(s, v.address).balance - getAccount(before, v.address).balance).toBe(imbalance);
          }
          // Every clearing's participants' bills add up to what the clearing record says they paid or received.
          for (let k = 1n; k <= 4n; k++) {
            const rec = getClearing(s, k);
            if (!rec) continue;
            for (const p of rec.participants) {
              const bill = getBill(s, p.address, k);
              // Clearing-time lines only (metering may add imbalance and unpaid lines later).
              const cleared = (bill?.lines ?? [])
                .filter((l) => l.kind.startsWith('auction') || l.kind.startsWith('grid'))
                .reduce((x, l) => x + l.amount, 0n);
              expect(cleared).toBe(
                p.side === 'buy' ? -(p.payment + p.gridPayment) : p.payment + p.gridPayment,
              );
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
