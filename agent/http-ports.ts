// The agent's ports over a node's REST API (client/): what runs against a real devnet.
import type { BillView, VppClient } from '../client/index.ts';
import {
  type BidStep,
  type Bill,
  commitScheduleCall,
  type IntervalPrices,
  type LineKind,
  type MeterEntry,
  meterReportCall,
  type Side,
} from '../contracts-vm/abi/index.ts';
import type { Address, KeyPair } from '../protocol/keys.ts';
import type { ChainPort } from './agent.ts';
import type { MeterPort } from './metering.ts';

export function billFromView(v: BillView): Bill {
  return {
    address: v.vpp as Address,
    interval: BigInt(v.interval),
    clearingHeight: v.clearing?.height ?? 0,
    meteringHeight: v.metering?.height ?? 0,
    meteredWh: v.meteredWh === null ? null : BigInt(v.meteredWh),
    committedWh: v.committedWh === null ? null : BigInt(v.committedWh),
    lines: v.lines.map((l) => ({ kind: l.kind as LineKind, wh: BigInt(l.wh), amount: BigInt(l.amount) })),
  };
}

/** A VPP's port: bids and schedules signed with its key, bills read once consensus has confirmed them. */
export class HttpChainPort implements ChainPort {
  private readonly client: VppClient;
  private readonly key: KeyPair;
  private readonly minConfirmations?: number;

  constructor(client: VppClient, key: KeyPair, minConfirmations?: number) {
    this.client = client;
    this.key = key;
    this.minConfirmations = minConfirmations;
  }

  async intervalPrices(interval: bigint): Promise<IntervalPrices> {
    return (await this.client.auction(interval)).prices;
  }

  async submitBid(interval: bigint, side: Side, steps: readonly BidStep[]): Promise<string> {
    return (await this.client.bid({ key: this.key, interval, side, steps: [...steps] })).hash;
  }

  async fetchBill(interval: bigint): Promise<Bill | undefined> {
    const page = await this.client.bills(this.key.address, {
      from: interval,
      to: interval,
      minConfirmations: this.minConfirmations,
    });
    const v = page.bills[0];
    return v?.confirmed ? billFromView(v) : undefined;
  }

  async commitSchedule(firstInterval: bigint, positionsWh: readonly bigint[]): Promise<string> {
    return (await this.client.call(this.key, commitScheduleCall(firstInterval, positionsWh))).hash;
  }

  /** The head's committed position: a position is final long before k's gate (when k's bidding opens). */
  async committedPosition(interval: bigint): Promise<bigint | null> {
    const page = await this.client.schedule(this.key.address, { from: interval, to: interval });
    const e = page.intervals[0];
    return e ? BigInt(e.committedWh) : null;
  }
}

/** The grid operator's port: metering reports signed with the grid key. */
export class HttpMeterPort implements MeterPort {
  private readonly client: VppClient;
  private readonly key: KeyPair;

  constructor(client: VppClient, key: KeyPair) {
    this.client = client;
    this.key = key;
  }

  async reportMetering(interval: bigint, entries: readonly MeterEntry[]): Promise<string> {
    return (await this.client.call(this.key, meterReportCall(interval, entries))).hash;
  }
}
