import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import {
  cancelBidCall,
  meterReportCall,
  placeBidCall,
  registerVppCall,
  registryCall,
  setPricesCall,
} from '../../../contracts-vm/abi/calls.ts';
import { getAccount } from '../../../contracts-vm/accounts.ts';
import { clearAuction } from '../../../contracts-vm/auction/index.ts';
import { getBill } from '../../../contracts-vm/bills.ts';
import { getBid, getClearing, lockFor, pendingIntervals } from '../../../contracts-vm/contracts/auction.ts';
import type { StateReader } from '../../../contracts-vm/state.ts';
import type { Block } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { BlockError, TxError, TxErrorCode } from '../../../protocol/errors.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import { envelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

const params = testParams();
const everyone = [keys.grid, keys.vpp1, keys.vpp2, keys.vpp3, keys.miner];
const supply = (s: StateReader) => everyone.reduce((sum, k) => sum + getAccount(s, k.address).balance, 0n);

describe('auction, metering and bills on chain', () => {
  let b: ChainBuilder;
  let tc: TestChain;
  beforeEach(async () => {
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
  });
  afterEach(() => tc.close());

  /** Blocks on the builder's main line, fed to the chain; returns the last id. */
  async function grow(
    from: string,
    n: number,
    txsAt: Record<number, ReturnType<ChainBuilder['call']>[]> = {},
  ): Promise<string> {
    let parent = from;
    for (let i = 0; i < n; i++) {
      const h = b.get(parent).block.header.height + 1;
      const blk = b.next(parent, { txs: txsAt[h] ?? [] });
      expect(await tc.chain.processBlock(blk)).toBe('head');
      parent = b.idOf(blk);
    }
    return parent;
  }

  const buySteps = [
    { qty: 2000, price: 250_000 },
    { qty: 1000, price: 310_000 },
  ];
  const sellSteps = [{ qty: 1500, price: 100_000 }];

  it('clears at the first block past the gate, settles VCG payments in tokens, bills, and meters imbalances', async () => {
    const k = 2n; // gate at T0 + 20 s = height 20
    const genesisSupply = supply(tc.chain.headState);
    const bid1 = b.call(keys.vpp1, placeBidCall(k, 'buy', buySteps), 0n);
    const bid2 = b.call(keys.vpp2, placeBidCall(k, 'sell', sellSteps), 0n);
    let tip = await grow(b.genesisId, 19, { 3: [bid1], 5: [bid2] });
    const lock = lockFor(buySteps);
    expect(tc.chain.account(keys.vpp1.address).locked).toBe(lock);
    expect(pendingIntervals(tc.chain.headState)).toEqual([k]);
    expect(getClearing(tc.chain.headState, k)).toBeUndefined();
    const before = Object.fromEntries(everyone.map((x) => [x.address, tc.chain.account(x.address).balance]));

    tip = await grow(tip, 1); // height 20: timestamp == gate
    const rec = getClearing(tc.chain.headState, k)!;
    expect(rec.height).toBe(20);
    const expected = clearAuction({
      gridSellPrice: params.market.gridSellPrice,
      gridBuyPrice: params.market.gridBuyPrice,
      bids: [
        { id: keys.vpp1.address, side: 'buy' as const, steps: buySteps },
        { id: keys.vpp2.address, side: 'sell' as const, steps: sellSteps },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    });
    expect(rec.tradedQty).toBe(BigInt(expected.tradedQty));
    expect(rec.tradedQty).toBe(1500n);
    const p1 = rec.participants.find((p) => p.address === keys.vpp1.address)!;
    const p2 = rec.participants.find((p) => p.address === keys.vpp2.address)!;
    const e1 = expected.participants.find((p) => p.id === keys.vpp1.address)!;
    expect(p1.payment).toBe(e1.payment);
    expect(p1.payment).toBeGreaterThan(0n);
    expect(p1.payment).toBeLessThanOrEqual(lock);
    // Tokens moved exactly as cleared; the lock is gone; nothing was created or destroyed.
    const acct1 = tc.chain.account(keys.vpp1.address);
    expect(acct1.locked).toBe(0n);
    expect(acct1.balance).toBe(before[keys.vpp1.address]! - p1.payment - p1.gridPayment);
    expect(tc.chain.account(keys.vpp2.address).balance).toBe(
      before[keys.vpp2.address]! + p2.payment + p2.gridPayment,
    );
    expect(tc.chain.account(keys.grid.address).balance).toBe(before[keys.grid.address]! + rec.operatorNet);
    expect(supply(tc.chain.headState)).toBe(genesisSupply);
    // VCG: the seller receives at least its cost, the buyer pays at most its value; the operator covers the gap.
    expect(rec.deficit).toBe(p2.payment - p1.payment);
    expect(rec.deficit).toBeGreaterThanOrEqual(0n);
    const bill1 = getBill(tc.chain.headState, keys.vpp1.address, k)!;
    expect(bill1.clearingHeight).toBe(20);
    expect(bill1.lines).toContainEqual({ kind: 'auction-buy', wh: 1500n, amount: -p1.payment });
    expect(getBill(tc.chain.headState, keys.vpp2.address, k)!.lines).toContainEqual({
      kind: 'auction-sell',
      wh: 1500n,
      amount: p2.payment,
    });
    const receipts = await tc.chain.getReceipts(tip);
    expect(receipts!.block.map((e) => e.name)).toEqual(['AuctionCleared', 'BillUpdated', 'BillUpdated']);

    // Metering after delivery (interval 2 ends at height 30). No VPP committed a schedule for interval 2,
    // so each metered net position is its deviation (against 0): vpp-1 imported 2,000 Wh but bought 1,500;
    // vpp-2 exported what it sold; vpp-3 exported 700 Wh and did not trade.
    const report = b.call(
      keys.grid,
      meterReportCall(k, [
        { vpp: keys.vpp1.address, meteredWh: -2000n },
        { vpp: keys.vpp2.address, meteredWh: 1500n },
        { vpp: keys.vpp3.address, meteredWh: 700n },
      ]),
      0n,
    );
    const bal3 = tc.chain.account(keys.vpp3.address).balance;
    const bal1 = tc.chain.account(keys.vpp1.address).balance;
    tip = await grow(tip, 11, { 31: [report] });
    const m1 = getBill(tc.chain.headState, keys.vpp1.address, k)!;
    expect(m1.meteredWh).toBe(-2000n);
    expect(m1.committedWh).toBeNull();
    expect(m1.lines).toContainEqual({
      kind: 'imbalance-short',
      wh: 500n,
      amount: -(500n * 450_000n) / 1000n,
    });
    expect(tc.chain.account(keys.vpp1.address).balance).toBe(bal1 - 225_000n);
    expect(
      getBill(tc.chain.headState, keys.vpp2.address, k)!.lines.some((l) => l.kind.startsWith('imbalance')),
    ).toBe(false);
    expect(getBill(tc.chain.headState, keys.vpp3.address, k)!.lines).toEqual([
      { kind: 'imbalance-long', wh: 700n, amount: 14_000n },
    ]);
    expect(tc.chain.account(keys.vpp3.address).balance).toBe(bal3 + 14_000n);
    expect(supply(tc.chain.headState)).toBe(genesisSupply);
  });

  it('rejects bids with their reasons: bad signature, unregistered, after the gate, over funds, malformed steps, too far ahead', async () => {
    const pool = new Mempool({
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
    const code = async (env: ReturnType<ChainBuilder['call']>) =>
      pool.add(env).then(
        () => 'accepted',
        (e: unknown) => (e instanceof TxError ? e.code : String(e)),
      );
    const good = b.call(keys.vpp1, placeBidCall(2n, 'buy', buySteps), 0n);
    const sig = good.tx.signature.slice();
    sig[3]! ^= 1;
    expect(await code(envelope({ ...good.tx, signature: sig }))).toBe(TxErrorCode.BAD_SIGNATURE);
    const stranger = devKeyPair('stranger');
    expect(await code(b.call(stranger, placeBidCall(2n, 'buy', buySteps), 0n))).toMatch(
      /INSUFFICIENT_FUNDS|NOT_REGISTERED/,
    );
    expect(await code(b.call(keys.grid, placeBidCall(2n, 'sell', sellSteps), 0n))).toBe(
      TxErrorCode.NOT_REGISTERED,
    );
    expect(await code(b.call(keys.vpp1, placeBidCall(0n, 'buy', buySteps), 0n))).toBe(
      TxErrorCode.GATE_CLOSED,
    );
    expect(await code(b.call(keys.vpp1, placeBidCall(9n, 'buy', buySteps), 0n))).toBe(
      TxErrorCode.INTERVAL_TOO_FAR,
    );
    expect(
      await code(b.call(keys.vpp1, placeBidCall(2n, 'buy', [{ qty: 5_000_000, price: 300_000 }]), 0n)),
    ).toBe(TxErrorCode.INSUFFICIENT_FUNDS);
    const malformed = b.call(keys.vpp1, placeBidCall(2n, 'buy', [{ qty: 0, price: 1 }]), 0n);
    const err = await pool.add(malformed).catch((e: TxError) => e);
    expect((err as TxError).code).toBe(TxErrorCode.BAD_ARGS);
    expect((err as TxError).message).toContain('steps[0].qty');
    expect(await code(b.call(keys.vpp1, placeBidCall(2n, 'buy', buySteps), 0n, 10n))).toBe(
      TxErrorCode.FEE_TOO_LOW,
    );
    expect(await code(good)).toBe('accepted');

    // The same rules hold in blocks: a block carrying a late bid is invalid, with the reason.
    const tip = await grow(b.genesisId, 20);
    const late = b.call(keys.vpp2, placeBidCall(2n, 'sell', sellSteps), 0n);
    const blk = b.next(tip, { txs: [late], skipExecution: true });
    const e = await tc.chain.processBlock(blk).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BlockError);
    expect((e as BlockError).txError?.code).toBe(TxErrorCode.GATE_CLOSED);
  });

  it('replaces an older bid, adjusts the lock, cancels, and lets the grid set prices and manage the registry', async () => {
    const k = 3n;
    const first = b.call(keys.vpp1, placeBidCall(k, 'buy', [{ qty: 1000, price: 200_000 }]), 0n);
    const second = b.call(keys.vpp1, placeBidCall(k, 'buy', [{ qty: 3000, price: 200_000 }]), 1n);
    const prices = b.call(
      keys.grid,
      setPricesCall(k, {
        gridSellPrice: 280_000,
        gridBuyPrice: 50_000,
        imbalanceShortPrice: 500_000,
        imbalanceLongPrice: 10_000,
      }),
      0n,
    );
    const newcomer = devKeyPair('vpp-new');
    const register = b.call(keys.grid, registerVppCall(newcomer.address, 'vpp-new'), 1n);
    const notGrid = b.call(keys.vpp2, registerVppCall(newcomer.address, 'x'), 0n);
    let tip = await grow(b.genesisId, 2, { 1: [first, prices], 2: [second, register] });
    expect(getBid(tc.chain.headState, k, keys.vpp1.address)!.steps).toEqual([{ qty: 3000, price: 200_000 }]);
    expect(tc.chain.account(keys.vpp1.address).locked).toBe(600_000n);
    const e = await tc.chain
      .processBlock(b.next(tip, { txs: [notGrid], skipExecution: true }))
      .catch((x: BlockError) => x);
    expect((e as BlockError).txError?.code).toBe(TxErrorCode.UNAUTHORIZED);
    tip = await grow(tip, 1, { 3: [b.call(keys.vpp1, cancelBidCall(k), 2n)] });
    expect(tc.chain.account(keys.vpp1.address).locked).toBe(0n);
    expect(pendingIntervals(tc.chain.headState)).toEqual([]);

    // A suspended VPP's bid is dropped at the gate and its lock released.
    const bid = b.call(keys.vpp2, placeBidCall(k, 'buy', [{ qty: 1000, price: 200_000 }]), 0n);
    const suspend = b.call(keys.grid, registryCall('suspend', keys.vpp2.address), 2n);
    tip = await grow(tip, 2, { 4: [bid], 5: [suspend] });
    expect(tc.chain.account(keys.vpp2.address).locked).toBe(200_000n);
    tip = await grow(tip, 25);
    const rec = getClearing(tc.chain.headState, k)!;
    expect(rec.excluded).toEqual([keys.vpp2.address]);
    expect(rec.gridSellPrice).toBe(280_000);
    expect(tc.chain.account(keys.vpp2.address).locked).toBe(0n);
  });

  it('two nodes applying the same blocks reach the same state root, and a reorg across a clearing undoes and redoes it exactly', async () => {
    const other = await openTestChain(params);
    try {
      const k = 2n;
      const bids = {
        3: [b.call(keys.vpp1, placeBidCall(k, 'buy', buySteps), 0n)],
        4: [b.call(keys.vpp2, placeBidCall(k, 'sell', sellSteps), 0n)],
      };
      const tipA = await grow(b.genesisId, 22, bids); // clears at 20
      const main: Block[] = [];
      for (let h = 1; h <= 22; h++)
        main.push((await tc.chain.getBlock((await tc.chain.getMainNode(h))!.id))!);
      for (const blk of main) await other.chain.processBlock(blk);
      expect(toHex(other.chain.stateRoot())).toBe(toHex(tc.chain.stateRoot()));
      const cleared = toHex(tc.chain.stateRoot());

      // A heavier fork from height 3, where vpp-2 never bid: interval 2 clears differently (buyer only).
      let fork = b.idOf(main[2]!);
      for (let i = 0; i < 20; i++) {
        const blk = b.next(fork, { miner: keys.vpp3.address });
        await tc.chain.processBlock(blk);
        fork = b.idOf(blk);
      }
      expect(tc.chain.tip.id).toBe(fork);
      expect(toHex(tc.chain.stateRoot())).toBe(toHex(b.stateAfter(fork).root()));
      expect(getClearing(tc.chain.headState, k)!.participants.map((p) => p.address)).toEqual([
        keys.vpp1.address,
      ]);
      expect(getBill(tc.chain.headState, keys.vpp2.address, k)).toBeUndefined();

      // And back: the original branch grows heavier again; the first clearing is redone exactly.
      const back = b.extend(tipA, 2);
      for (const blk of back) await tc.chain.processBlock(blk);
      expect(tc.chain.tip.id).toBe(b.idOf(back[1]!));
      expect(toHex(tc.chain.stateRoot())).toBe(toHex(b.stateAfter(b.idOf(back[1]!)).root()));
      expect(getClearing(tc.chain.headState, k)!.tradedQty).toBe(1500n);
      expect(toHex(tc.chain.stateRoot())).toBe(cleared); // empty blocks since: exactly the first clearing
    } finally {
      await other.close();
    }
  });
});
