// Metering: after delivery, the grid posts each VPP's metered deviation for an interval (Wh; + surplus,
// - deficit against its day-ahead schedule). The difference between the metered deviation and what the
// VPP traded for that interval (auction and grid residual; + sold, - bought) is settled with the grid at
// the interval's imbalance prices, and added to the VPP's bill. Key "z" + k + address -> metered Wh i64.
// The method's arguments, bounds and gas are the contract's ABI (../abi/metering.ts).
import { concatBytes, Writer } from '../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../protocol/errors.ts';
import { type Address, addressToBytes } from '../../protocol/keys.ts';
import { METERING_ABI, type ReportArgs } from '../abi/metering.ts';
import { paysFloor, receivesCeil, updateBill } from '../bills.ts';
import { type CallContext, type Contract, implement } from '../runtime.ts';
import type { StateReader } from '../state.ts';
import { transferUpTo } from '../token.ts';
import { getClearing, intervalPrices, pendingIntervals } from './auction.ts';
import { intervalEnd } from './intervals.ts';
import { getRegistration, gridAddress, requireGrid } from './registry.ts';

const meterKey = (k: bigint, a: Address) =>
  concatBytes(Uint8Array.of(0x7a), new Writer().u64(k).finish(), addressToBytes(a));

export const isMetered = (state: StateReader, k: bigint, a: Address): boolean =>
  state.get(meterKey(k, a)) !== undefined;

/** What a VPP traded for interval k: + Wh sold (market and grid), - Wh bought. */
export function tradedPosition(state: StateReader, k: bigint, a: Address): bigint {
  const p = getClearing(state, k)?.participants.find((x) => x.address === a);
  if (!p) return 0n;
  return p.side === 'sell' ? p.qty + p.gridQty : -(p.qty + p.gridQty);
}

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
  for (const { vpp, deviationWh } of entries) {
    const reg = getRegistration(ctx.state, vpp);
    if (reg?.role !== 'vpp') throw new TxError(TxErrorCode.NOT_REGISTERED, `${vpp} is not a registered VPP`);
    if (isMetered(ctx.state, interval, vpp))
      throw new TxError(TxErrorCode.ALREADY_REPORTED, `${vpp} already metered for interval ${interval}`);
    ctx.state.set(meterKey(interval, vpp), new Writer().i64(deviationWh).finish());
    const imbalance = deviationWh - tradedPosition(ctx.state, interval, vpp);
    updateBill(ctx.state, vpp, interval, (b) => {
      b.meteringHeight = ctx.height;
      b.meteredWh = deviationWh;
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
        deviationWh: deviationWh.toString(),
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

export const metering: Contract = implement(METERING_ABI, { report });
