// Hand-worked clearings. Quantities are whole kWh (1000 Wh) so that money in base units is simply
// kWh x price; the arithmetic is spelled out above each case. Notation: P = gridSellPrice, p = gridBuyPrice,
// W(N) = welfare (gains over grid-only) with everyone, W(-i) = welfare without participant i.
import { describe, expect, it } from 'vitest';
import { type AuctionInput, type ClearingResult, clearAuction } from '../../../contracts-vm/auction/index.ts';

const kWh = 1000;

function byId(result: ClearingResult) {
  return Object.fromEntries(
    result.participants.map((p) => [
      p.id,
      { qty: p.qty, payment: p.payment, grid: p.gridQty, gridPay: p.gridPayment },
    ]),
  );
}

describe('hand-worked clearings', () => {
  it('one buyer and one seller', () => {
    // P = 300, p = 20. Buyer 5 kWh at 200, seller 3 kWh at 100: 3 kWh trade (200 > 100), gains 3 x 100 = 300.
    // Buyer pays W(-b) - (W(N) - its value) = 0 - (300 - 600) = 300, i.e. the seller's cost 100/kWh.
    // Seller receives (W(N) + its cost) - W(-s) = (300 + 300) - 0 = 600, i.e. the buyer's value 200/kWh.
    // Deficit 600 - 300 = 300 = the whole gains from trade. The buyer's unmet 2 kWh are priced at 200 < P:
    // it covers them itself rather than paying the grid 300, so the grid sells nothing.
    const input: AuctionInput = {
      gridSellPrice: 300,
      gridBuyPrice: 20,
      bids: [
        { id: 'b', side: 'buy', steps: [{ qty: 5 * kWh, price: 200 }] },
        { id: 's', side: 'sell', steps: [{ qty: 3 * kWh, price: 100 }] },
      ],
    };
    const r = clearAuction(input);
    expect(r.tradedQty).toBe(3 * kWh);
    expect(r.welfare).toBe(300n);
    expect(byId(r)).toEqual({
      b: { qty: 3 * kWh, payment: 300n, grid: 0, gridPay: 0n },
      s: { qty: 3 * kWh, payment: 600n, grid: 0, gridPay: 0n },
    });
    expect(r.deficit).toBe(300n);
    expect(r.grid).toEqual({ sold: 0, bought: 0, revenue: 0n, expense: 0n });
    expect(r.operatorNet).toBe(-300n);
  });

  it('two buyers and two sellers with two blocks each', () => {
    // P = 500, p = 10 (no cap binds). Merit order:
    //   demand  B1a 2@300 | B2a 3@250 | B1b 2@150 | B2b 1@100    (cumulative 2, 5, 7, 8 kWh)
    //   supply  S1a 2@80  | S2a 1@120 | S1b 2@200 | S2b 3@260    (cumulative 2, 3, 5, 8 kWh)
    // kWh 1-2: 300 > 80, kWh 3: 250 > 120, kWh 4-5: 250 > 200, kWh 6: 150 < 260: 5 kWh trade.
    // B1 gets 2, B2 gets 3; S1 sells 2 + 2 = 4, S2 sells 1.
    // W(N) = (2*300 + 3*250) - (2*80 + 1*120 + 2*200) = 1350 - 680 = 670.
    // B1: without it demand is 3@250, 1@100; 3 kWh trade; W(-B1) = 750 - 280 = 470.
    //     pays 470 - (670 - 600) = 400 (the two supply kWh at 200 no longer needed).
    // B2: without it demand is 2@300, 2@150; 3 kWh trade (150 > 120, not > 200); W(-B2) = 750 - 280 = 470.
    //     pays 470 - (670 - 750) = 550 (B1b's kWh at 150 it displaces + two supply kWh at 200).
    // S1: without it supply is 1@120, 3@260; 2 kWh trade (300 > 260, 250 < 260); W(-S1) = 600 - 380 = 220.
    //     receives (670 + 560) - 220 = 1010 (three demand kWh at 250 + S2b's kWh at 260 it displaces).
    // S2: without it supply is 2@80, 2@200; 4 kWh trade; W(-S2) = 1100 - 560 = 540.
    //     receives (670 + 120) - 540 = 250 (the fifth demand kWh at 250).
    // Deficit = 1010 + 250 - 400 - 550 = 310. Utilities: B1 200, B2 200, S1 450, S2 130 (sum 980 = 670 + 310).
    const input: AuctionInput = {
      gridSellPrice: 500,
      gridBuyPrice: 10,
      bids: [
        {
          id: 'S2',
          side: 'sell',
          steps: [
            { qty: 1 * kWh, price: 120 },
            { qty: 3 * kWh, price: 260 },
          ],
        },
        {
          id: 'B1',
          side: 'buy',
          steps: [
            { qty: 2 * kWh, price: 300 },
            { qty: 2 * kWh, price: 150 },
          ],
        },
        {
          id: 'S1',
          side: 'sell',
          steps: [
            { qty: 2 * kWh, price: 80 },
            { qty: 2 * kWh, price: 200 },
          ],
        },
        {
          id: 'B2',
          side: 'buy',
          steps: [
            { qty: 1 * kWh, price: 100 },
            { qty: 3 * kWh, price: 250 },
          ],
        },
      ],
    };
    const r = clearAuction(input);
    expect(r.tradedQty).toBe(5 * kWh);
    expect(r.welfare).toBe(670n);
    expect(byId(r)).toEqual({
      B1: { qty: 2 * kWh, payment: 400n, grid: 0, gridPay: 0n },
      B2: { qty: 3 * kWh, payment: 550n, grid: 0, gridPay: 0n },
      S1: { qty: 4 * kWh, payment: 1010n, grid: 0, gridPay: 0n },
      S2: { qty: 1 * kWh, payment: 250n, grid: 0, gridPay: 0n },
    });
    expect(r.deficit).toBe(310n);
    expect(r.participants.map((p) => p.id)).toEqual(['S2', 'B1', 'S1', 'B2']);
  });

  it('the grid buys the unsold surplus of a cheap seller', () => {
    // P = 100, p = 20. B1 1 kWh at 150 (worth only P = 100 against the grid), B2 1 kWh at 15,
    // S1 3 kWh at 5 (worth at least p = 20: the grid would buy it). kWh 1: 100 > 20 trades; kWh 2: 15 < 20.
    // W(N) = 100 - 20 = 80. B1 pays 0 - (80 - 100) = 20 (= p, S1's alternative). S1 receives
    // (80 + 20) - 0 = 100 (= P, B1's alternative). Deficit 80.
    // S1's 2 unsold kWh are priced 5 <= p, so the grid buys them: 2 x 20 = 40. B2's unmet kWh is priced
    // 15 < P: it covers it itself. Operator: revenue 0 - expense 40 - deficit 80 = -120;
    // tokens: B1 -20, S1 +100 +40, operator -120: sum 0.
    const r = clearAuction({
      gridSellPrice: 100,
      gridBuyPrice: 20,
      bids: [
        { id: 'B1', side: 'buy', steps: [{ qty: 1 * kWh, price: 150 }] },
        { id: 'B2', side: 'buy', steps: [{ qty: 1 * kWh, price: 15 }] },
        { id: 'S1', side: 'sell', steps: [{ qty: 3 * kWh, price: 5 }] },
      ],
    });
    expect(byId(r)).toEqual({
      B1: { qty: 1 * kWh, payment: 20n, grid: 0, gridPay: 0n },
      B2: { qty: 0, payment: 0n, grid: 0, gridPay: 0n },
      S1: { qty: 1 * kWh, payment: 100n, grid: 2 * kWh, gridPay: 40n },
    });
    expect(r.welfare).toBe(80n);
    expect(r.deficit).toBe(80n);
    expect(r.grid).toEqual({ sold: 0, bought: 2 * kWh, revenue: 0n, expense: 40n });
    expect(r.operatorNet).toBe(-120n);
  });

  it('the grid sells the unmet deficit of a buyer above the penalty price', () => {
    // P = 100, p = 20. B 3 kWh at 150 (capped at 100), S 1 kWh at 50: 1 kWh trades, gains 50.
    // B pays S's cost 50, S receives B's capped value 100, deficit 50. B's 2 unmet kWh are priced
    // 150 >= P, so the grid sells them at 100: B pays the grid 200.
    const r = clearAuction({
      gridSellPrice: 100,
      gridBuyPrice: 20,
      bids: [
        { id: 'B', side: 'buy', steps: [{ qty: 3 * kWh, price: 150 }] },
        { id: 'S', side: 'sell', steps: [{ qty: 1 * kWh, price: 50 }] },
      ],
    });
    expect(byId(r)).toEqual({
      B: { qty: 1 * kWh, payment: 50n, grid: 2 * kWh, gridPay: 200n },
      S: { qty: 1 * kWh, payment: 100n, grid: 0, gridPay: 0n },
    });
    expect(r.deficit).toBe(50n);
    expect(r.grid).toEqual({ sold: 2 * kWh, bought: 0, revenue: 200n, expense: 0n });
    expect(r.operatorNet).toBe(150n);
  });

  it('breaks price ties by id, then step index, and never trades at zero gain', () => {
    // P = 100, p = 0. Buyers vpp-b and vpp-a both bid 2 kWh at 80; seller vpp-s offers 3 kWh at 50 plus
    // 1 kWh at 80 (zero gain against the buyers: not traded). Equal prices are ordered by id, so vpp-a is
    // filled first: vpp-a 2 kWh, vpp-b 1 kWh. W(N) = 3 x 30 = 90.
    // vpp-a: without it 2 kWh trade, W = 60; pays 60 - (90 - 160) = 130 (vpp-b's kWh at 80 + a kWh at 50).
    // vpp-b: without it 2 kWh trade, W = 60; pays 60 - (90 - 80) = 50.
    // vpp-s: without it nothing trades; receives (90 + 150) - 0 = 240. Deficit 240 - 180 = 60.
    const bids = [
      { id: 'vpp-b', side: 'buy', steps: [{ qty: 2 * kWh, price: 80 }] },
      {
        id: 'vpp-s',
        side: 'sell',
        steps: [
          { qty: 3 * kWh, price: 50 },
          { qty: 1 * kWh, price: 80 },
        ],
      },
      { id: 'vpp-a', side: 'buy', steps: [{ qty: 2 * kWh, price: 80 }] },
    ] as const;
    const expected = {
      'vpp-a': { qty: 2 * kWh, payment: 130n, grid: 0, gridPay: 0n },
      'vpp-b': { qty: 1 * kWh, payment: 50n, grid: 0, gridPay: 0n },
      'vpp-s': { qty: 3 * kWh, payment: 240n, grid: 0, gridPay: 0n },
    };
    const r = clearAuction({ gridSellPrice: 100, gridBuyPrice: 0, bids });
    expect(byId(r)).toEqual(expected);
    expect(r.deficit).toBe(60n);
    // Input order is irrelevant: the same bids reversed clear identically.
    expect(byId(clearAuction({ gridSellPrice: 100, gridBuyPrice: 0, bids: [...bids].reverse() }))).toEqual(
      expected,
    );
  });

  it('rounds each transfer in the participant’s favour', () => {
    // 1500 Wh trade. Exact buyer payment 1500 x 33 = 49 500 milli = 49.5 units: the buyer pays 49.
    // Exact seller receipt 1500 x 101 = 151 500 milli = 151.5 units: the seller receives 152.
    // Exact deficit 102 units; the operator covers 152 - 49 = 103.
    const r = clearAuction({
      gridSellPrice: 1000,
      gridBuyPrice: 0,
      bids: [
        { id: 'b', side: 'buy', steps: [{ qty: 1500, price: 101 }] },
        { id: 's', side: 'sell', steps: [{ qty: 1500, price: 33 }] },
      ],
    });
    const [b, s] = r.participants;
    expect([b!.paymentMilli, b!.payment, s!.paymentMilli, s!.payment]).toEqual([
      49_500n,
      49n,
      151_500n,
      152n,
    ]);
    expect([r.deficitMilli, r.deficit, r.welfareMilli, r.welfare]).toEqual([102_000n, 103n, 102_000n, 102n]);
  });

  it('clears an empty or one-sided market to the grid', () => {
    expect(clearAuction({ gridSellPrice: 10, gridBuyPrice: 1, bids: [] }).participants).toEqual([]);
    const r = clearAuction({
      gridSellPrice: 3,
      gridBuyPrice: 1,
      bids: [{ id: 'x', side: 'buy', steps: [{ qty: 2500, price: 3 }] }],
    });
    // Priced at P exactly: the grid takes the tie and sells the 2500 Wh at 3/kWh = 7.5 units, rounded down to 7.
    expect(r.participants[0]).toMatchObject({ qty: 0, payment: 0n, gridQty: 2500, gridPayment: 7n });
    expect([r.tradedQty, r.welfare, r.deficit, r.operatorNet]).toEqual([0, 0n, 0n, 7n]);
  });
});
