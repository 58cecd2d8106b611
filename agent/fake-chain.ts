// An in-memory stand-in for the chain's auction and metering contracts, for tests and offline demos: the
// real pure clearing engine (contracts-vm/auction), committed schedules, bills written as the contracts
// write them (clearing lines, then imbalance lines at metering against the committed position, same
// rounding), and balances to check that tokens are conserved. No blocks, clock, signatures or
// confirmations: a bill is "confirmed" as soon as it is written, and an interval's schedule can be
// committed until the first bid for it arrives (standing in for its bidding window opening).

import {
  type BidStep,
  type Bill,
  CONTRACT_ABI,
  commitScheduleCall,
  type IntervalPrices,
  type MeterEntry,
  type Side,
} from '../contracts-vm/abi/index.ts';
import {
  type ClearingResult,
  clearAuction,
  paidByParticipant,
  paidToParticipant,
  validateBid,
} from '../contracts-vm/auction/index.ts';
import type { Address } from '../protocol/keys.ts';
import type { ChainPort, VppAgent } from './agent.ts';
import { GridMeteringAgent, type MeterPort } from './metering.ts';

/** The genesis `market` prices of the devnet (genesis.json), base units per kWh. */
export const DEVNET_PRICES: IntervalPrices = {
  gridSellPrice: 300_000,
  gridBuyPrice: 40_000,
  imbalanceShortPrice: 450_000,
  imbalanceLongPrice: 20_000,
};

export class FakeChain {
  readonly grid: Address;
  readonly prices = new Map<bigint, IntervalPrices>();
  readonly defaults: IntervalPrices;
  readonly bids = new Map<bigint, Map<Address, { side: Side; steps: BidStep[] }>>();
  readonly clearings = new Map<bigint, ClearingResult>();
  readonly bills = new Map<string, Bill>();
  /** Committed positions by `${vpp}:${k}`, with the "height" of the commitment. */
  readonly schedules = new Map<string, { wh: bigint; height: number }>();
  readonly balances = new Map<Address, bigint>();
  private height = 0;
  private txs = 0;

  constructor(grid: Address, defaults: IntervalPrices = DEVNET_PRICES) {
    this.grid = grid;
    this.defaults = defaults;
  }

  pricesOf(k: bigint): IntervalPrices {
    return this.prices.get(k) ?? this.defaults;
  }

  balance(a: Address): bigint {
    return this.balances.get(a) ?? 0n;
  }

  private move(from: Address, to: Address, amount: bigint): void {
    this.balances.set(from, this.balance(from) - amount);
    this.balances.set(to, this.balance(to) + amount);
  }

  private bill(a: Address, k: bigint): Bill {
    const key = `${a}:${k}`;
    let b = this.bills.get(key);
    if (!b) {
      b = {
        address: a,
        interval: k,
        clearingHeight: 0,
        meteringHeight: 0,
        meteredWh: null,
        committedWh: null,
        lines: [],
      };
      this.bills.set(key, b);
    }
    return b;
  }

  /** The port of one VPP account. */
  portFor(vpp: Address): ChainPort {
    return {
      intervalPrices: async (k) => this.pricesOf(k),
      submitBid: async (k, side, steps) => {
        if (this.clearings.has(k)) throw new Error(`gate of interval ${k} is closed`);
        validateBid({ id: 'bid', side, steps }); // what the contract's argument decoding enforces
        let m = this.bids.get(k);
        if (!m) this.bids.set(k, (m = new Map()));
        m.set(vpp, { side, steps: steps.map((s) => ({ ...s })) });
        return `fake-tx-${++this.txs}`;
      },
      fetchBill: async (k) => {
        const b = this.bills.get(`${vpp}:${k}`);
        return b ? structuredClone(b) : undefined;
      },
      commitSchedule: async (first, positionsWh) => {
        this.commitSchedule(vpp, first, positionsWh);
        return `fake-tx-${++this.txs}`;
      },
      committedPosition: async (k) => this.schedules.get(`${vpp}:${k}`)?.wh ?? null,
    };
  }

  /** metering.commitSchedule: the contract's argument bounds; refused once an interval has bids or cleared. */
  commitSchedule(vpp: Address, first: bigint, positionsWh: readonly bigint[]): void {
    CONTRACT_ABI.decode(commitScheduleCall(first, positionsWh)); // what the contract's argument decoding enforces
    for (let i = 0; i < positionsWh.length; i++) {
      const k = first + BigInt(i);
      if (this.clearings.has(k) || this.bids.has(k))
        throw new Error(`the schedule of interval ${k} is closed (its bidding has begun)`);
    }
    this.height++;
    positionsWh.forEach((wh, i) => {
      this.schedules.set(`${vpp}:${first + BigInt(i)}`, { wh, height: this.height });
    });
  }

  /** The grid operator's metering port. */
  meterPort(): MeterPort {
    return {
      reportMetering: async (k, entries) => {
        this.meter(k, entries);
        return `fake-tx-${++this.txs}`;
      },
    };
  }

  /** Clears interval k as the auction contract's hook does: engine, token moves, bills. */
  clear(k: bigint): ClearingResult {
    if (this.clearings.has(k)) throw new Error(`interval ${k} already cleared`);
    const prices = this.pricesOf(k);
    const bids = [...(this.bids.get(k) ?? new Map())]
      .map(([id, b]) => ({ id, side: b.side, steps: b.steps }))
      .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    const result = clearAuction({
      gridSellPrice: prices.gridSellPrice,
      gridBuyPrice: prices.gridBuyPrice,
      bids,
    });
    this.height++;
    for (const p of result.participants) {
      const a = p.id as Address;
      const due = p.payment + p.gridPayment;
      if (p.side === 'buy') this.move(a, this.grid, due);
      else this.move(this.grid, a, due);
      const b = this.bill(a, k);
      b.clearingHeight = this.height;
      const sign = p.side === 'buy' ? -1n : 1n;
      if (p.qty > 0)
        b.lines.push({
          kind: p.side === 'buy' ? 'auction-buy' : 'auction-sell',
          wh: BigInt(p.qty),
          amount: sign * p.payment,
        });
      if (p.gridQty > 0)
        b.lines.push({
          kind: p.side === 'buy' ? 'grid-buy' : 'grid-sell',
          wh: BigInt(p.gridQty),
          amount: sign * p.gridPayment,
        });
    }
    this.clearings.set(k, result);
    return result;
  }

  /** Metering as the metering contract does it: imbalance = (metered - committed) - traded, at the imbalance prices. */
  meter(k: bigint, entries: readonly MeterEntry[]): void {
    if (!this.clearings.has(k)) this.clear(k); // the contract requires k cleared; an interval without bids clears empty
    const prices = this.pricesOf(k);
    this.height++;
    for (const { vpp, meteredWh } of entries) {
      const b = this.bill(vpp, k);
      if (b.meteredWh !== null) throw new Error(`${vpp} already metered for interval ${k}`);
      const p = this.clearings.get(k)!.participants.find((x) => x.id === vpp);
      const traded = !p ? 0n : p.side === 'sell' ? BigInt(p.qty + p.gridQty) : -BigInt(p.qty + p.gridQty);
      const committed = this.schedules.get(`${vpp}:${k}`)?.wh ?? null;
      const imbalance = meteredWh - (committed ?? 0n) - traded;
      b.meteringHeight = this.height;
      b.meteredWh = meteredWh;
      b.committedWh = committed;
      if (imbalance > 0n) {
        const due = paidToParticipant(imbalance * BigInt(prices.imbalanceLongPrice));
        this.move(this.grid, vpp, due);
        b.lines.push({ kind: 'imbalance-long', wh: imbalance, amount: due });
      } else if (imbalance < 0n) {
        const due = paidByParticipant(-imbalance * BigInt(prices.imbalanceShortPrice));
        this.move(vpp, this.grid, due);
        b.lines.push({ kind: 'imbalance-short', wh: -imbalance, amount: -due });
      }
    }
  }
}

/** Runs the whole loop for `count` intervals from `first` on the fake chain: every agent commits its
 *  day-ahead schedule for them (unless `commit` is false), then per interval every agent plans and bids,
 *  the interval clears, every agent delivers, the grid meters the net positions, every agent settles. */
export async function simulateIntervals(
  agents: readonly VppAgent[],
  chain: FakeChain,
  first: bigint,
  count: number,
  { commit = true }: { commit?: boolean } = {},
): Promise<void> {
  const grid = new GridMeteringAgent(chain.meterPort());
  if (commit) for (const a of agents) await a.commitSchedule(first, count);
  for (let k = first; k < first + BigInt(count); k++) {
    for (const a of agents) await a.planInterval(k);
    chain.clear(k);
    const metered = [];
    for (const a of agents) metered.push({ vpp: a.address, meteredWh: (await a.deliver(k)).meteredWh });
    await grid.meter(k, metered);
    for (const a of agents)
      if (!(await a.settle(k))) throw new Error(`${a.name}: interval ${k} did not settle`);
  }
}
