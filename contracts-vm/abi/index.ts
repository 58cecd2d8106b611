// The contract ABI: what a client needs to talk to the chain's native contracts without their execution —
// ids and names, argument codecs (the same code nodes decode with), gas, call builders, and the types of
// bids, prices, bills and the views nodes serve. Imports only protocol/ and the auction's limits.
import { AUCTION_ABI } from './auction.ts';
import { CallRegistry, type ContractAbi } from './define.ts';
import { METERING_ABI } from './metering.ts';
import { REGISTRY_ABI } from './registry.ts';

/** The chain's native contracts' interfaces, by id: 1 registry, 2 auction, 3 metering. */
export const CONTRACT_ABI = new CallRegistry<ContractAbi>([REGISTRY_ABI, AUCTION_ABI, METERING_ABI]);

export * from './auction.ts';
export * from './bills.ts';
export * from './calls.ts';
export type { ArgsOf, ContractAbi, MethodAbi, MethodSpec } from './define.ts';
export * from './metering.ts';
export * from './registry.ts';
export type * from './views.ts';
