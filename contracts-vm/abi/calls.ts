// Call payloads for clients, one function per method with positional arguments: what a client signs to
// place a bid, commit a schedule, report metering or manage the registry. Each goes through its method's ABI encoder, the
// inverse of the decoder every node runs (docs/protocol.md).
import type { Address } from '../../protocol/keys.ts';
import type { CallPayload } from '../../protocol/tx.ts';
import { AUCTION_ABI, type BidStep, type IntervalPrices, type Side } from './auction.ts';
import { METERING_ABI, type MeterEntry } from './metering.ts';
import { REGISTRY_ABI, type StatusChange } from './registry.ts';

export const placeBidCall = (interval: bigint, side: Side, steps: readonly BidStep[]): CallPayload =>
  AUCTION_ABI.methods.placeBid.call({ interval, side, steps });

export const cancelBidCall = (interval: bigint): CallPayload =>
  AUCTION_ABI.methods.cancelBid.call({ interval });

export const setPricesCall = (interval: bigint, prices: IntervalPrices): CallPayload =>
  AUCTION_ABI.methods.setPrices.call({ interval, ...prices });

export const meterReportCall = (interval: bigint, entries: readonly MeterEntry[]): CallPayload =>
  METERING_ABI.methods.report.call({ interval, entries });

/** A VPP's day-ahead net positions (+ export / - import, Wh) of intervals firstInterval, firstInterval + 1, … */
export const commitScheduleCall = (firstInterval: bigint, positionsWh: readonly bigint[]): CallPayload =>
  METERING_ABI.methods.commitSchedule.call({ firstInterval, positionsWh });

export const registerVppCall = (address: Address, name: string): CallPayload =>
  REGISTRY_ABI.methods.register.call({ address, name });

export const registryCall = (method: StatusChange, address: Address): CallPayload =>
  REGISTRY_ABI.methods[method].call({ address });
