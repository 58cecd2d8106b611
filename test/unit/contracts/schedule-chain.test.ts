// Committed schedules on chain (metering.commitSchedule) and metering against them, on a real chain store:
// the window in which a position can be committed and revised (until the interval's bidding opens), the
// horizon, who may commit, metering measured against the committed position or against 0 when there is
// none, the bills and events that record it; and the clearing's bills when the grid cannot pay a seller
// in full (every line carries what moved, so the bill total is the balance change).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import {
  commitScheduleCall,
  meterReportCall,
  placeBidCall,
  registryCall,
} from '../../../contracts-vm/abi/calls.ts';
import { billTotal } from '../../../contracts-vm/abi/index.ts';
import { getAccount } from '../../../contracts-vm/accounts.ts';
import { getBill } from '../../../contracts-vm/bills.ts';
import { getClearing } from '../../../contracts-vm/contracts/auction.ts';
import { getCommitted, scheduleClosesAt, scheduleHorizon } from '../../../contracts-vm/contracts/metering.ts';
import type { StateReader } from '../../../contracts-vm/state.ts';
import { BlockError, TxError, TxErrorCode } from '../../../protocol/errors.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import type { ChainParams } from '../../../protocol/params.ts';
import type { TxEnvelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

const everyone = [keys.grid, keys.vpp1, keys.vpp2, keys.vpp3, keys.miner];
const supply = (s: StateReader) => everyone.reduce((sum, k) => sum + getAccount(s, k.address).balance, 0n);

describe('committed schedules and metering against them', () => {
  const params = testParams(); // intervals of 10 s, blocks 1 s apart, maxIntervalsAhead 4
  let b: ChainBuilder;
  let tc: TestChain;
  let tip: string;
  beforeEach(async () => {
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
    tip = b.genesisId;
  });
  afterEach(() => tc.close());

  /** n blocks on the tip, fed to the chain; txsAt by height. */
  async function grow(n: number, txsAt: Record<number, TxEnvelope[]> = {}): Promise<void> {
    for (let i = 0; i < n; i++) {
      const h = b.get(tip).block.header.height + 1;
      const blk = b.next(tip, { txs: txsAt[h] ?? [] });
      expect(await tc.chain.processBlock(blk)).toBe('head');
      tip = b.idOf(blk);
    }
  }

  /** The error a block carrying `tx` on the tip fails with (the block is not kept). */
  async function refusedInBlock(tx: TxEnvelope): Promise<string | undefined> {
    const e = await tc.chain
      .processBlock(b.next(tip, { txs: [tx], skipExecution: true }))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BlockError);
    return (e as BlockError).txError?.code;
  }

  function mempool(): Mempool {
    return new Mempool({
      params,
      headState: tc.chain.headState,
      verifier: tc.verifier,
      nextBlockContext: () => ({
        height: tc.chain.height + 1,
        timestamp: tc.chain.tip.header.timestamp + 1000,
        miner: keys.miner.address,
        params,
      }),
    });
  }
  const admission = (pool: Mempool, tx: TxEnvelope) =>
    pool.add(tx).then(
      () => 'accepted',
      (e: unknown) => (e instanceof TxError ? e.code : String(e)),
    );

  it('takes a position until its bidding window opens, revises it until then, and refuses it after', async () => {
    const k = 6n; // bidding opens at start(6 - 4) = T0 + 20 s (height 20); gate at 60 s
    expect(scheduleClosesAt(params, k)).toBe(params.timestamp + 20_000);
    await grow(1, { 1: [b.call(keys.vpp1, commitScheduleCall(5n, [-3000n, -2500n]), 0n)] });
    expect(getCommitted(tc.chain.headState, keys.vpp1.address, 5n)).toEqual({ wh: -3000n, height: 1 });
    expect(getCommitted(tc.chain.headState, keys.vpp1.address, 6n)).toEqual({ wh: -2500n, height: 1 });
    expect(getCommitted(tc.chain.headState, keys.vpp1.address, 7n)).toBeUndefined();
    expect((await tc.chain.getReceipts(tip))!.txs[0]).toEqual([
      {
        contract: 'metering',
        name: 'ScheduleCommitted',
        data: { vpp: keys.vpp1.address, firstInterval: '5', count: 2, revised: 0, totalWh: '-5500' },
      },
    ]);

    // A revision while open replaces the position (the block that wrote it is recorded).
    await grow(18, { 19: [b.call(keys.vpp1, commitScheduleCall(6n, [-2000n, 400n]), 1n)] }); // height 19: 19 s < 20 s
    expect(getCommitted(tc.chain.headState, keys.vpp1.address, 6n)).toEqual({ wh: -2000n, height: 19 });
    expect(getCommitted(tc.chain.headState, keys.vpp1.address, 5n)).toEqual({ wh: -3000n, height: 1 });
    expect((await tc.chain.getReceipts(tip))!.txs[0]![0]!.data).toMatchObject({ count: 2, revised: 1 });

    // At 20 s interval 6 is final: a revision is refused in a block and at admission (GATE_CLOSED, so a
    // pending one is dropped as gate-closed); interval 7 (bidding opens at 30 s) is still open.
    const late = b.call(keys.vpp1, commitScheduleCall(6n, [0n]), 2n);
    await grow(1); // height 20
    expect(await refusedInBlock(late)).toBe(TxErrorCode.GATE_CLOSED);
    const pool = mempool();
    expect(await admission(pool, late)).toBe(TxErrorCode.GATE_CLOSED);
    // A call whose first interval is closed is refused whole, even if later ones are open.
    expect(await admission(pool, b.call(keys.vpp1, commitScheduleCall(6n, [0n, 0n]), 2n))).toBe(
      TxErrorCode.GATE_CLOSED,
    );
    expect(await admission(pool, b.call(keys.vpp1, commitScheduleCall(7n, [0n]), 2n))).toBe('accepted');
  });

  it('bounds the horizon, and lets registered VPPs commit (suspended ones too), nobody else', async () => {
    await grow(1);
    const horizon = scheduleHorizon(params); // the bidding window plus two days of 10 s intervals
    expect(horizon).toBe(4n + 17_280n);
    const pool = mempool();
    // Admission sees the next block's time, 2 s: interval 0 is in delivery.
    const upTo = (last: bigint, nonce: bigint) =>
      b.call(keys.vpp2, commitScheduleCall(last - 999n, new Array<bigint>(1000).fill(1n)), nonce);
    expect(await admission(pool, upTo(horizon + 1n, 0n))).toBe(TxErrorCode.INTERVAL_TOO_FAR);
    const far = upTo(horizon, 0n);
    expect(await admission(pool, far)).toBe('accepted');
    await grow(1, { 2: [far] });
    expect(getCommitted(tc.chain.headState, keys.vpp2.address, horizon)?.wh).toBe(1n);

    const stranger = devKeyPair('stranger');
    expect(await refusedInBlock(b.call(stranger, commitScheduleCall(9n, [1n]), 0n))).toMatch(
      /NOT_REGISTERED|INSUFFICIENT_FUNDS/,
    );
    expect(await refusedInBlock(b.call(keys.grid, commitScheduleCall(9n, [1n]), 0n))).toBe(
      TxErrorCode.NOT_REGISTERED,
    );
    await grow(1, { 3: [b.call(keys.grid, registryCall('suspend', keys.vpp3.address), 0n)] });
    await grow(1, { 4: [b.call(keys.vpp3, commitScheduleCall(9n, [-700n]), 0n)] });
    expect(getCommitted(tc.chain.headState, keys.vpp3.address, 9n)?.wh).toBe(-700n);
  });

  it('meters against the committed position, or against 0 without one, and records both on the bill', async () => {
    const k = 6n;
    const genesisSupply = supply(tc.chain.headState);
    // Day-ahead: vpp-1 plans to import 2,000 Wh in interval 6 (and 3,000 in 5), vpp-2 to export 1,000;
    // vpp-3 commits nothing.
    await grow(2, {
      1: [b.call(keys.vpp1, commitScheduleCall(5n, [-3000n, -2000n]), 0n)],
      2: [b.call(keys.vpp2, commitScheduleCall(6n, [1000n]), 0n)],
    });
    // Real time: vpp-1 expects to import 1,500 more than committed and bids to buy; vpp-2 to export 1,000 more.
    await grow(23, {
      21: [b.call(keys.vpp1, placeBidCall(k, 'buy', [{ qty: 1500, price: 250_000 }]), 1n)],
      22: [b.call(keys.vpp2, placeBidCall(k, 'sell', [{ qty: 1000, price: 100_000 }]), 1n)],
    });
    await grow(40); // height 65: interval 6 cleared at 60
    const rec = getClearing(tc.chain.headState, k)!;
    expect(rec.participants.map((p) => [p.address, p.side, p.qty, p.gridQty])).toEqual(
      [
        [keys.vpp1.address, 'buy', 1000n, 0n], // the other 500 Wh found no seller below its price
        [keys.vpp2.address, 'sell', 1000n, 0n],
      ].sort((x, y) => ((x[0] as string) < (y[0] as string) ? -1 : 1)),
    );

    // Delivery over at 70 s. Meters: vpp-1 imported 3,500 (deviation -1,500, traded -1,000: 500 short);
    // vpp-2 exported 1,900 (deviation +900, traded +1,000: 100 short); vpp-3 exported 700 against nothing.
    const before = Object.fromEntries(everyone.map((x) => [x.address, tc.chain.account(x.address).balance]));
    await grow(6, {
      71: [
        b.call(
          keys.grid,
          meterReportCall(k, [
            { vpp: keys.vpp1.address, meteredWh: -3500n },
            { vpp: keys.vpp2.address, meteredWh: 1900n },
            { vpp: keys.vpp3.address, meteredWh: 700n },
          ]),
          0n,
        ),
        b.call(keys.grid, meterReportCall(5n, [{ vpp: keys.vpp1.address, meteredWh: -3000n }]), 1n),
      ],
    });
    const bill = (who: (typeof keys)['vpp1'], interval = k) =>
      getBill(tc.chain.headState, who.address, interval)!;
    const b1 = bill(keys.vpp1);
    expect([b1.meteredWh, b1.committedWh, b1.meteringHeight]).toEqual([-3500n, -2000n, 71]);
    expect(b1.lines.filter((l) => l.kind.startsWith('imbalance'))).toEqual([
      { kind: 'imbalance-short', wh: 500n, amount: -225_000n }, // ⌊500 × 450,000 / 1000⌋
    ]);
    const b2 = bill(keys.vpp2);
    expect([b2.meteredWh, b2.committedWh]).toEqual([1900n, 1000n]);
    expect(b2.lines.filter((l) => l.kind.startsWith('imbalance'))).toEqual([
      { kind: 'imbalance-short', wh: 100n, amount: -45_000n },
    ]);
    const b3 = bill(keys.vpp3);
    expect([b3.meteredWh, b3.committedWh]).toEqual([700n, null]);
    expect(b3.lines).toEqual([{ kind: 'imbalance-long', wh: 700n, amount: 14_000n }]); // ⌈700 × 20,000 / 1000⌉
    // Delivered as committed: metered, no lines.
    const b5 = bill(keys.vpp1, 5n);
    expect([b5.meteredWh, b5.committedWh, b5.lines]).toEqual([-3000n, -3000n, []]);

    // The metering block moved exactly the imbalance lines; nothing was created or destroyed.
    for (const [who, total] of [
      [keys.vpp1, -225_000n],
      [keys.vpp2, -45_000n],
      [keys.vpp3, 14_000n],
    ] as const)
      expect(tc.chain.account(who.address).balance - before[who.address]!).toBe(total);
    expect(supply(tc.chain.headState)).toBe(genesisSupply);

    const metered = (await tc.chain.getReceipts((await tc.chain.getMainNode(71))!.id))!.txs[0]!.filter(
      (e) => e.name === 'Metered',
    );
    expect(metered.map((e) => e.data)).toEqual(
      [
        {
          vpp: keys.vpp1.address,
          meteredWh: '-3500',
          committedWh: '-2000',
          deviationWh: '-1500',
          imbalanceWh: '-500',
        },
        {
          vpp: keys.vpp2.address,
          meteredWh: '1900',
          committedWh: '1000',
          deviationWh: '900',
          imbalanceWh: '-100',
        },
        {
          vpp: keys.vpp3.address,
          meteredWh: '700',
          committedWh: null,
          deviationWh: '700',
          imbalanceWh: '700',
        },
      ].map((d) => ({ interval: '6', ...d })),
    );
    // A commitment after metering cannot reach back: interval 6 closed long ago.
    expect(await refusedInBlock(b.call(keys.vpp3, commitScheduleCall(k, [700n]), 0n))).toBe(
      TxErrorCode.GATE_CLOSED,
    );
  });
});

describe('clearing when the grid cannot pay a seller in full', () => {
  it('puts what was paid on the lines (market first), the rest on an unpaid line: bill total = balance change', async () => {
    const params: ChainParams = testParams({
      accounts: testParams().accounts.map((a) => (a.role === 'grid' ? { ...a, balance: 300_000n } : a)),
    });
    const b = new ChainBuilder(params);
    const tc = await openTestChain(params);
    try {
      let tip = b.genesisId;
      const grow = async (n: number, txsAt: Record<number, TxEnvelope[]> = {}) => {
        for (let i = 0; i < n; i++) {
          const h = b.get(tip).block.header.height + 1;
          const blk = b.next(tip, { txs: txsAt[h] ?? [] });
          expect(await tc.chain.processBlock(blk)).toBe('head');
          tip = b.idOf(blk);
        }
      };
      // vpp-1 buys 1,000 Wh; vpp-2 sells 1,000 to it and 8,000 more to the grid at its buy price.
      await grow(19, {
        1: [b.call(keys.vpp1, placeBidCall(2n, 'buy', [{ qty: 1000, price: 250_000 }]), 0n)],
        2: [
          b.call(
            keys.vpp2,
            placeBidCall(2n, 'sell', [
              { qty: 1000, price: 100_000 },
              { qty: 9000, price: 40_000 },
            ]),
            0n,
          ),
        ],
      });
      const seller = () => tc.chain.account(keys.vpp2.address).balance;
      const sellerBefore = seller();
      const gridBefore = tc.chain.account(keys.grid.address).balance;
      await grow(1); // height 20: the gate, cleared
      const rec = getClearing(tc.chain.headState, 2n)!;
      const p = rec.participants.find((x) => x.address === keys.vpp2.address)!;
      const buyer = rec.participants.find((x) => x.address === keys.vpp1.address)!;
      expect([p.qty, p.gridQty]).toEqual([1000n, 8000n]);
      const due = p.payment + p.gridPayment;
      const paid = gridBefore + buyer.payment; // the grid spends all it has, the buyer's payment included
      expect(paid).toBeLessThan(due);
      expect(paid).toBeGreaterThan(p.payment); // so both lines carry something
      expect(tc.chain.account(keys.grid.address).balance).toBe(0n);
      expect(rec.unpaid).toBe(due - paid);
      const bill = getBill(tc.chain.headState, keys.vpp2.address, 2n)!;
      expect(bill.lines).toEqual([
        { kind: 'auction-sell', wh: 1000n, amount: p.payment },
        { kind: 'grid-sell', wh: 8000n, amount: paid - p.payment },
        { kind: 'unpaid', wh: 0n, amount: due - paid },
      ]);
      expect(billTotal(bill.lines)).toBe(seller() - sellerBefore);
      expect(billTotal(bill.lines)).toBe(paid);
    } finally {
      await tc.close();
    }
  });
});
