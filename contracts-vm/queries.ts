// Read models of the market state for the API (not consensus): an auction's window, status, bids once
// closed and clearing; a VPP's bills with their line items and totals; a VPP's committed schedule. Their
// types are the ABI's (./abi/views.ts), which clients import.
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import { type Bill, billDeviation, billTotal } from './abi/bills.ts';
import type { AuctionStatus, AuctionView, BillView, ScheduleEntryView } from './abi/views.ts';
import { billedVpps, getBill } from './bills.ts';
import { getBid, getBidders, getClearing, intervalPrices, pendingIntervals } from './contracts/auction.ts';
import { gateOf, intervalAt, intervalEnd, intervalStart } from './contracts/intervals.ts';
import { type CommittedPosition, getCommitted, scheduleClosesAt } from './contracts/metering.ts';
import type { StateReader } from './state.ts';

/** `headTime`: the head block's timestamp, which decides (as the chain does) whether the gate has closed. */
export function auctionView(
  state: StateReader,
  params: ChainParams,
  k: bigint,
  headTime: number,
): AuctionView {
  const bidders = getBidders(state, k);
  const clearing = getClearing(state, k);
  const gate = gateOf(params, k);
  const closed = headTime >= gate;
  const status: AuctionStatus = clearing
    ? 'cleared'
    : !closed
      ? 'open'
      : pendingIntervals(state).includes(k)
        ? 'closed'
        : 'empty';
  return {
    interval: k.toString(),
    window: {
      open: intervalStart(params, k - BigInt(params.market.maxIntervalsAhead)),
      close: gate,
      deliveryStart: intervalStart(params, k),
      deliveryEnd: intervalEnd(params, k),
    },
    status,
    prices: intervalPrices(state, params, k),
    bidCount: bidders.length,
    bids: closed
      ? bidders.map((vpp) => {
          const b = getBid(state, k, vpp)!;
          return { vpp, side: b.side, steps: b.steps, height: b.height };
        })
      : null,
    clearing:
      clearing === undefined
        ? null
        : {
            height: clearing.height,
            tradedWh: clearing.tradedQty.toString(),
            welfare: clearing.welfare.toString(),
            deficit: clearing.deficit.toString(),
            grid: {
              soldWh: clearing.gridSold.toString(),
              boughtWh: clearing.gridBought.toString(),
              revenue: clearing.gridRevenue.toString(),
              expense: clearing.gridExpense.toString(),
            },
            operatorNet: clearing.operatorNet.toString(),
            unpaid: clearing.unpaid.toString(),
            participants: clearing.participants.map((p) => ({
              vpp: p.address,
              side: p.side,
              qtyWh: p.qty.toString(),
              payment: p.payment.toString(),
              gridWh: p.gridQty.toString(),
              gridPayment: p.gridPayment.toString(),
            })),
            excluded: clearing.excluded,
          },
  };
}

export function billView(b: Bill, tipHeight: number, minConfirmations: number): BillView {
  const part = (h: number) => (h === 0 ? null : { height: h, confirmations: tipHeight - h + 1 });
  const clearing = part(b.clearingHeight);
  const metering = part(b.meteringHeight);
  const depths = [clearing, metering].filter((x) => x !== null).map((x) => x.confirmations);
  return {
    vpp: b.address,
    interval: b.interval.toString(),
    lines: b.lines.map((l) => ({ kind: l.kind, wh: l.wh.toString(), amount: l.amount.toString() })),
    total: billTotal(b.lines).toString(),
    meteredWh: b.meteredWh === null ? null : b.meteredWh.toString(),
    committedWh: b.committedWh === null ? null : b.committedWh.toString(),
    deviationWh: billDeviation(b)?.toString() ?? null,
    clearing,
    metering,
    confirmed: depths.length > 0 && depths.every((d) => d >= minConfirmations),
  };
}

/** A VPP's bills for intervals from..to (inclusive; the span is bounded by the caller). */
export function billsOf(state: StateReader, vpp: Address, from: bigint, to: bigint): Bill[] {
  const out: Bill[] = [];
  for (let k = from; k <= to; k++) {
    const b = getBill(state, vpp, k);
    if (b) out.push(b);
  }
  return out;
}

/** A VPP's committed positions for intervals from..to (inclusive; the span is bounded by the caller). */
export function scheduleOf(
  state: StateReader,
  vpp: Address,
  from: bigint,
  to: bigint,
): (CommittedPosition & { interval: bigint })[] {
  const out: (CommittedPosition & { interval: bigint })[] = [];
  for (let k = from; k <= to; k++) {
    const c = getCommitted(state, vpp, k);
    if (c) out.push({ interval: k, ...c });
  }
  return out;
}

/** `committedAt`: the timestamp of the main-chain block at the entry's height (null if there is none). */
export function scheduleEntryView(
  e: CommittedPosition & { interval: bigint },
  params: ChainParams,
  tip: { height: number; timestamp: number },
  committedAt: number | null,
): ScheduleEntryView {
  const closesAt = scheduleClosesAt(params, e.interval);
  return {
    interval: e.interval.toString(),
    committedWh: e.wh.toString(),
    height: e.height,
    confirmations: tip.height - e.height + 1,
    committedAt,
    closesAt,
    final: tip.timestamp >= closesAt,
  };
}

export const billsOfInterval = (state: StateReader, k: bigint): Bill[] =>
  billedVpps(state, k).map((a) => getBill(state, a, k)!);

export const currentInterval = intervalAt;
