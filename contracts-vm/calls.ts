// Encoders for contract calls: what a client signs to place a bid, report metering, manage the
// registry. The argument layouts are the inverse of each method's `decode` (docs/protocol.md).
import { Writer } from '../protocol/bytes.ts';
import { ADDRESS_LENGTH, type Address, addressToBytes } from '../protocol/keys.ts';
import type { CallPayload } from '../protocol/tx.ts';
import { AUCTION_ID, AuctionMethod, type IntervalPrices } from './contracts/auction.ts';
import { METERING_ID } from './contracts/metering.ts';
import { REGISTRY_ID } from './contracts/registry.ts';

const call = (contract: number, method: number, w: Writer): CallPayload => ({
  kind: 'call',
  contract,
  method,
  args: w.finish(),
});

export interface BidStep {
  /** Wh */
  qty: number;
  /** token base units per kWh */
  price: number;
}

export function placeBidCall(interval: bigint, side: 'buy' | 'sell', steps: readonly BidStep[]): CallPayload {
  const w = new Writer()
    .u64(interval)
    .u8(side === 'buy' ? 0 : 1)
    .u8(steps.length);
  for (const s of steps) w.u32(s.qty).u32(s.price);
  return call(AUCTION_ID, AuctionMethod.placeBid, w);
}

export const cancelBidCall = (interval: bigint): CallPayload =>
  call(AUCTION_ID, AuctionMethod.cancelBid, new Writer().u64(interval));

export const setPricesCall = (interval: bigint, p: IntervalPrices): CallPayload =>
  call(
    AUCTION_ID,
    AuctionMethod.setPrices,
    new Writer()
      .u64(interval)
      .u32(p.gridSellPrice)
      .u32(p.gridBuyPrice)
      .u32(p.imbalanceShortPrice)
      .u32(p.imbalanceLongPrice),
  );

export function meterReportCall(
  interval: bigint,
  entries: readonly { vpp: Address; deviationWh: bigint }[],
): CallPayload {
  const w = new Writer().u64(interval).u16(entries.length);
  for (const e of entries) w.fixed(addressToBytes(e.vpp), ADDRESS_LENGTH).i64(e.deviationWh);
  return call(METERING_ID, 0, w);
}

export const registerVppCall = (address: Address, name: string): CallPayload =>
  call(REGISTRY_ID, 0, new Writer().fixed(addressToBytes(address), ADDRESS_LENGTH).string(name));

export const registryCall = (method: 'suspend' | 'resume' | 'remove', address: Address): CallPayload =>
  call(
    REGISTRY_ID,
    { suspend: 1, resume: 2, remove: 3 }[method],
    new Writer().fixed(addressToBytes(address), ADDRESS_LENGTH),
  );
