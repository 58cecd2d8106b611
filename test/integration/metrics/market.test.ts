// The market metrics of a live node after a cleared, metered interval: they appear only once the clearing
// (and then the metering) is minConfirmations deep; per VPP and per interval they equal what the API's
// auction and bill views say; the gate → confirmed-bill latency is the confirming block's time minus the
// gate; a reorg below the confirmation depth rewinds without counting the interval or its bills twice.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuctionView, BillView } from '../../../contracts-vm/abi/views.ts';
import { keys } from '../../helpers/builder.ts';
import {
  GATE_HEIGHT,
  K,
  MarketScenario,
  METERED,
  METERING_HEIGHT,
  params,
  parseSamples,
  sampleValue,
} from './scenario.ts';

const vpp1 = keys.vpp1.address;
const vpp2 = keys.vpp2.address;
const vpp3 = keys.vpp3.address;

let s: MarketScenario;
beforeAll(async () => {
  s = await MarketScenario.start();
});
afterAll(() => s?.close());

const metrics = async () => parseSamples(await s.scrape());

describe('market metrics', () => {
  it('show nothing of the clearing until it is minConfirmations deep', async () => {
    await s.growTo(GATE_HEIGHT, s.txs());
    const auction = await s.getJson<AuctionView>(`/v1/auctions/${K}`);
    expect(auction.status).toBe('cleared'); // cleared at the gate, 1 block deep
    const m = await metrics();
    expect(sampleValue(m, 'vpp_market_clearings_total')).toBe(0);
    expect(sampleValue(m, 'vpp_market_cleared_interval')).toBe(0);
    expect(m.filter((x) => x.name === 'vpp_market_traded_wh')).toEqual([]);
  });

  it('export the clearing once it is confirmed: per interval and per VPP, as the auction view says', async () => {
    await s.growTo(GATE_HEIGHT + params.market.minConfirmations - 1, s.txs());
    const c = (await s.getJson<AuctionView>(`/v1/auctions/${K}`)).clearing!;
    expect(BigInt(c.tradedWh)).toBeGreaterThan(0n);
    const m = await metrics();
    expect(sampleValue(m, 'vpp_market_cleared_interval')).toBe(Number(K));
    expect(sampleValue(m, 'vpp_market_interval_bids')).toBe(2);
    expect(sampleValue(m, 'vpp_market_interval_traded_wh')).toBe(Number(c.tradedWh));
    expect(sampleValue(m, 'vpp_market_interval_deficit_units')).toBe(Number(c.deficit));
    expect(sampleValue(m, 'vpp_market_interval_grid_sold_wh')).toBe(Number(c.grid.soldWh));
    expect(sampleValue(m, 'vpp_market_interval_grid_bought_wh')).toBe(Number(c.grid.boughtWh));
    expect(sampleValue(m, 'vpp_market_clearings_total')).toBe(1);
    expect(sampleValue(m, 'vpp_market_deficit_units_total')).toBe(Number(c.deficit));
    expect(sampleValue(m, 'vpp_market_grid_sold_wh_total')).toBe(Number(c.grid.soldWh));
    expect(sampleValue(m, 'vpp_market_grid_bought_wh_total')).toBe(Number(c.grid.boughtWh));
    for (const p of c.participants) {
      const signed = (x: string) => Number(p.side === 'sell' ? BigInt(x) : -BigInt(x));
      expect(sampleValue(m, 'vpp_market_traded_wh', { vpp: p.vpp }), p.vpp).toBe(signed(p.qtyWh));
      expect(sampleValue(m, 'vpp_market_vcg_payment_units', { vpp: p.vpp })).toBe(signed(p.payment));
      expect(sampleValue(m, 'vpp_market_grid_wh', { vpp: p.vpp })).toBe(signed(p.gridWh));
      expect(sampleValue(m, 'vpp_market_grid_payment_units', { vpp: p.vpp })).toBe(signed(p.gridPayment));
      expect(sampleValue(m, 'vpp_market_traded_wh_total', { vpp: p.vpp, side: p.side })).toBe(
        Number(p.qtyWh),
      );
      expect(sampleValue(m, 'vpp_market_vcg_payments_units_total', { vpp: p.vpp, side: p.side })).toBe(
        Number(p.payment),
      );
    }
    expect(c.participants.map((p) => p.vpp).sort()).toEqual([vpp1, vpp2].sort());
    expect(sampleValue(m, 'vpp_market_vpp_info', { vpp: vpp1, name: 'vpp-1' })).toBe(1);
    expect(sampleValue(m, 'vpp_market_bills_confirmed_total', { vpp: vpp1 })).toBeUndefined();
  });

  it('export each metered bill once it is confirmed: deviation from the committed schedule, bill total, latency from the gate', async () => {
    await s.growTo(METERING_HEIGHT, s.txs());
    let m = await metrics();
    expect(sampleValue(m, 'vpp_market_bills_confirmed_total', { vpp: vpp1 })).toBeUndefined(); // 1 deep
    await s.growTo(METERING_HEIGHT + 1, s.txs());
    m = await metrics();
    const bills = (await s.getJson<{ bills: BillView[] }>(`/v1/bills?interval=${K}`)).bills;
    expect(bills.map((b) => b.vpp).sort()).toEqual([vpp1, vpp2, vpp3].sort());
    for (const b of bills) {
      expect(b.confirmed).toBe(true);
      const vpp = b.vpp;
      expect(sampleValue(m, 'vpp_market_bills_confirmed_total', { vpp })).toBe(1);
      expect(sampleValue(m, 'vpp_market_metered_interval', { vpp })).toBe(Number(K));
      expect(sampleValue(m, 'vpp_market_deviation_wh', { vpp })).toBe(Number(b.deviationWh));
      expect(sampleValue(m, 'vpp_market_metered_wh', { vpp })).toBe(Number(b.meteredWh));
      expect(sampleValue(m, 'vpp_market_committed_wh', { vpp })).toBe(Number(b.committedWh ?? 0));
      expect(sampleValue(m, 'vpp_market_bill_units', { vpp })).toBe(Number(b.total));
    }
    expect(sampleValue(m, 'vpp_market_deviation_wh', { vpp: vpp1 })).toBe(-100);
    expect(sampleValue(m, 'vpp_market_deviation_wh', { vpp: vpp2 })).toBe(100);
    expect(sampleValue(m, 'vpp_market_deviation_wh', { vpp: vpp3 })).toBe(Number(METERED.vpp3));
    expect(sampleValue(m, 'vpp_market_deviation_wh_total', { vpp: vpp1, direction: 'shortfall' })).toBe(100);
    expect(sampleValue(m, 'vpp_market_deviation_wh_total', { vpp: vpp2, direction: 'surplus' })).toBe(100);
    // vpp3 neither committed nor traded: its whole metered position is its imbalance.
    expect(sampleValue(m, 'vpp_market_imbalance_wh', { vpp: vpp3 })).toBe(Number(METERED.vpp3));
    // Gate at 50 s; the metering block (61) became 2 deep with block 62 at 62 s: 12 s for each of 3 bills.
    const latency = 62 - GATE_HEIGHT;
    expect(sampleValue(m, 'vpp_market_gate_to_bill_confirmed_seconds_count')).toBe(3);
    expect(sampleValue(m, 'vpp_market_gate_to_bill_confirmed_seconds_sum')).toBe(3 * latency);
    const bucket = (le: number) =>
      sampleValue(m, 'vpp_market_gate_to_bill_confirmed_seconds_bucket', { le: String(le) });
    expect(bucket(10)).toBe(0); // 1 interval
    expect(bucket(12.5)).toBe(3); // 1.25 intervals
    expect(sampleValue(m, 'vpp_market_metrics_failures_total', { stage: 'read' })).toBe(0);
    expect(sampleValue(m, 'vpp_market_metrics_failures_total', { stage: 'block' })).toBe(0);
  });

  it('after a reorg below the confirmation depth, follow the new branch without counting twice', async () => {
    await s.growTo(METERING_HEIGHT + 3, s.txs());
    const before = await metrics();
    // A heavier branch from block 49 (other miner, so other blocks): the same bids clear interval 5 again,
    // and vpp1 is metered at -1,300 Wh instead of -1,100.
    const fork = (await s.api.node.chain.getMainNode(GATE_HEIGHT - 1))!.id;
    const main = s.tip;
    s.tip = fork;
    await s.growTo(METERING_HEIGHT + 5, s.txs({ ...METERED, vpp1: -1300n }), keys.vpp3.address);
    expect(s.api.node.chain.tip.id).toBe(s.tip);
    expect(s.tip).not.toBe(main);
    const after = await metrics();
    expect(sampleValue(after, 'vpp_reorgs_total')).toBe(1);
    expect(sampleValue(after, 'vpp_market_deviation_wh', { vpp: vpp1 })).toBe(-300);
    const bill = (await s.getJson<{ bills: BillView[] }>(`/v1/bills/${vpp1}?from=${K}&to=${K}`)).bills[0]!;
    expect(sampleValue(after, 'vpp_market_bill_units', { vpp: vpp1 })).toBe(Number(bill.total));
    // Counted once per interval and per bill: the new branch's clearing and bills were seen already.
    for (const [name, labels] of [
      ['vpp_market_clearings_total', {}],
      ['vpp_market_traded_wh_total', { vpp: vpp1, side: 'buy' }],
      ['vpp_market_bills_confirmed_total', { vpp: vpp1 }],
      ['vpp_market_bills_confirmed_total', { vpp: vpp3 }],
      ['vpp_market_gate_to_bill_confirmed_seconds_count', {}],
      ['vpp_market_deviation_wh_total', { vpp: vpp1, direction: 'shortfall' }],
    ] as const)
      expect(sampleValue(after, name, labels), name).toBe(sampleValue(before, name, labels));
    expect(sampleValue(after, 'vpp_market_metrics_failures_total', { stage: 'block' })).toBe(0);
  });
});
