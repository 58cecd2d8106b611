// The executable contracts the state transition runs: each implements its interface in ../abi.
import { ContractRegistry } from '../runtime.ts';
import { auction } from './auction.ts';
import { metering } from './metering.ts';
import { registry } from './registry.ts';

/** The chain's native contracts, by id: 1 registry, 2 auction, 3 metering. */
export const CONTRACTS = new ContractRegistry([registry, auction, metering]);
