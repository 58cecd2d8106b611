// Metering against committed schedules. Before delivery each VPP commits its day-ahead net position per
// interval (commitSchedule; + export / - import, Wh); it may revise a position until the interval's
// real-time bidding window opens, after which it is final. After delivery the grid posts what each VPP's
// meter measured (report); the contract computes the deviation = metered - committed (0 when nothing was
// committed) and settles deviation - traded position (auction and grid residual; + sold, - bought) with
// the grid at the interval's imbalance prices, on the VPP's bill.
// Keys: "S" + address + k -> committed position i64 Wh, height u32 of the block that wrote it;
//       "z" + k + address -> metered net position i64 Wh.
// The methods' arguments, bounds and gas are the contract's ABI (../abi/metering.ts).
import { concatBytes, Reader, Writer } from '../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../protocol/errors.ts';
import { type Address, addressToBytes } from '../../protocol/keys.ts';
import type { ChainParams } from '../../protocol/params.ts';
import {
  type CommitScheduleArgs,
  METERING_ABI,
  type ReportArgs,
  SCHEDULE_HORIZON_MS,
} from '../abi/metering.ts';
import { paysFloor, receivesCeil, updateBill } from '../bills.ts';
import { type AdmissionContext, type CallContext, type Contract, implement } from '../runtime.ts';
import type { StateReader } from '../state.ts';
import { transferUpTo } from '../token.ts';
import { getClearing, intervalPrices, pendingIntervals } from './auction.ts';
import { formatDuration, intervalAt, intervalEnd, intervalStart, isoTime } from './intervals.ts';
import { getRegistration, gridAddress, requireGrid } from './registry.ts';

const u64 = (k: bigint) => new Writer().u64(k).finish();
const meterKey = (k: bigint, a: Address) => concatBytes(Uint8Array.of(0x7a), u64(k), addressToBytes(a));
const scheduleKey = (a: Address, k: bigint) => concatBytes(Uint8Array.of(0x53), addressToBytes(a), u64(k));

export const isMetered = (state: StateReader, k: bigint, a: Address): boolean =>
  state.get(meterKey(k, a)) !== undefined;

/** One interval of a VPP's committed schedule: the position and the block that (last) committed it. */
export interface CommittedPosition {
  wh: bigint;
  height: number;
}

export function getCommitted(state: StateReader, a: Address, k: bigint): CommittedPosition | undefined {
  const v = state.get(scheduleKey(a, k));
  if (!v) return undefined;
  const r = new Reader(v);
  const wh = r.i64();
  const height = r.u32();
  r.end('committed position');
  return { wh, height };
}

/**
 * When interval k's position stops being revisable: as its real-time bidding window opens
 * (maxIntervalsAhead intervals before its gate). The day-ahead position is then firm before any bid for k
 * can be placed, so a VPP cannot move its reference onto a late forecast and skip the auction and the
 * imbalance prices; what it learns later it trades in the auction.
 */
export const scheduleClosesAt = (p: ChainParams, k: bigint): number =>
  intervalStart(p, k - BigInt(p.market.maxIntervalsAhead));

/** How many intervals past the one in delivery a schedule may reach: the bidding window plus two days. */
export const scheduleHorizon = (p: ChainParams): bigint =>
  BigInt(p.market.maxIntervalsAhead) +
  BigInt(Math.max(1, Math.floor(SCHEDULE_HORIZON_MS / p.market.intervalMs)));

/** What a VPP traded for interval k: + Wh sold (market and grid), - Wh bought. */
export function tradedPosition(state: StateReader, k: bigint, a: Address): bigint {
  const p = getClearing(state, k)?.participants.find((x) => x.address === a);
  if (!p) return 0n;
  return p.side === 'sell' ? p.qty + p.gridQty : -(p.qty + p.gridQty);
}

// ---- commitSchedule ---------------------------------------------------------------------------------

/**
 * The schedule's admission rule (no state, only time): every interval of the call must still be revisable
 * (the first one is the earliest to close) and the last one within the horizon. Execution runs it first;
 * the mempool runs it on every such call it holds, so a commitment that comes too late is refused at
 * submission, or dropped as gate-closed while it waits.
 */
function requireScheduleOpen(
  ctx: AdmissionContext,
  { firstInterval: k, positionsWh }: CommitScheduleArgs,
): void {
  const { params, timestamp } = ctx;
  const closes = scheduleClosesAt(params, k);
  if (timestamp >= closes) {
    const when = ctx.admission
      ? `${formatDuration(timestamp - closes)} ago`
      : `${formatDuration(timestamp - closes)} before this block's time ${isoTime(timestamp)}`;
    throw new TxError(
      TxErrorCode.GATE_CLOSED,
      `the schedule of interval ${k} closed at ${isoTime(closes)}, ${when}, when its bidding window opened (${params.market.maxIntervalsAhead} intervals before its gate): its position can no longer be committed or revised`,
    );
  }
  const last = k + BigInt(positionsWh.length - 1);
  const now = intervalAt(params, timestamp);
  const horizon = scheduleHorizon(params);
  if (last > now + horizon) {
    throw new TxError(
      TxErrorCode.INTERVAL_TOO_FAR,
      `interval ${last} is more than ${horizon} intervals ahead of interval ${now} (in delivery at ${isoTime(timestamp)}): a schedule reaches at most two days past the bidding window`,
    );
  }
}

function commitSchedule(ctx: CallContext, { firstInterval, positionsWh }: CommitScheduleArgs): void {
  // Active or suspended: a suspended VPP still delivers, and metering measures it against its schedule.
  if (getRegistration(ctx.state, ctx.sender)?.role !== 'vpp')
    throw new TxError(TxErrorCode.NOT_REGISTERED, `${ctx.sender} is not a registered VPP`);
  let revised = 0;
  let totalWh = 0n;
  positionsWh.forEach((wh, i) => {
    const key = scheduleKey(ctx.sender, firstInterval + BigInt(i));
    if (ctx.state.get(key) !== undefined) revised++;
    ctx.state.set(key, new Writer().i64(wh).u32(ctx.height).finish());
    totalWh += wh;
  });
  ctx.events.push({
    contract: 'metering',
    name: 'ScheduleCommitted',
    data: {
      vpp: ctx.sender,
      firstInterval: firstInterval.toString(),
      count: positionsWh.length,
      revised,
      totalWh: totalWh.toString(),
    },
  });
}

// ---- report -----------------------------------------------------------------------------------------

function report(ctx: CallContext, { interval, entries }: ReportArgs): void {
  requireGrid(ctx, 'report metering');
  if (ctx.timestamp < intervalEnd(ctx.params, interval)) {
    throw new TxError(
      TxErrorCode.DELIVERY_NOT_OVER,
      `interval ${interval} ends at ${intervalEnd(ctx.params, interval)}`,
    );
  }
  if (pendingIntervals(ctx.state).includes(interval))
    throw new TxError(TxErrorCode.NOT_CLEARED, `interval ${interval} has not cleared yet`);
  const grid = gridAddress(ctx.params);
  const prices = intervalPrices(ctx.state, ctx.params, interval);
  for (const { vpp, meteredWh } of entries) {
    const reg = getRegistration(ctx.state, vpp);
    if (reg?.role !== 'vpp') throw new TxError(TxErrorCode.NOT_REGISTERED, `${vpp} is not a registered VPP`);
    if (isMetered(ctx.state, interval, vpp))
      throw new TxError(TxErrorCode.ALREADY_REPORTED, `${vpp} already metered for interval ${interval}`);
    ctx.state.set(meterKey(interval, vpp), new Writer().i64(meteredWh).finish());
    const committed = getCommitted(ctx.state, vpp, interval)?.wh ?? null;
    const deviation = meteredWh - (committed ?? 0n);
    const imbalance = deviation - tradedPosition(ctx.state, interval, vpp);
    updateBill(ctx.state, vpp, interval, (b) => {
      b.meteringHeight = ctx.height;
      b.meteredWh = meteredWh;
      b.committedWh = committed;
      if (imbalance > 0n) {
        const due = receivesCeil(imbalance, prices.imbalanceLongPrice);
        const paid = transferUpTo(ctx.state, grid, vpp, due);
        b.lines.push({ kind: 'imbalance-long', wh: imbalance, amount: paid });
        if (paid < due) b.lines.push({ kind: 'unpaid', wh: 0n, amount: due - paid });
      } else if (imbalance < 0n) {
        const due = paysFloor(-imbalance, prices.imbalanceShortPrice);
        const paid = transferUpTo(ctx.state, vpp, grid, due);
        b.lines.push({ kind: 'imbalance-short', wh: -imbalance, amount: -paid });
        if (paid < due) b.lines.push({ kind: 'unpaid', wh: 0n, amount: -(due - paid) });
      }
    });
    ctx.events.push({
      contract: 'metering',
      name: 'Metered',
      data: {
        interval: interval.toString(),
        vpp,
        meteredWh: meteredWh.toString(),
        committedWh: committed === null ? null : committed.toString(),
        deviationWh: deviation.toString(),
        imbalanceWh: imbalance.toString(),
      },
    });
    ctx.events.push({
      contract: 'auction',
      name: 'BillUpdated',
      data: { interval: interval.toString(), vpp },
    });
  }
}

export const metering: Contract = implement(
  METERING_ABI,
  { report, commitSchedule },
  { admit: { commitSchedule: requireScheduleOpen } },
);
