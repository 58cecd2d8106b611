// The native contract runtime. Contracts are typed TypeScript modules executed by every node inside
// the state transition: each implements its interface (./abi: method ids, canonical argument decoding and
// validation, gas) with an `execute` over a journaled state view. A failed call throws a TxError and leaves
// no trace (the caller reverts to its checkpoint); events go into the block's receipts. End-of-block hooks
// let contracts act by rule (the auction clears itself).
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import {
  type ArgsOf,
  CallRegistry,
  type ContractAbi,
  type MethodAbi,
  type MethodSpec,
} from './abi/define.ts';
import type { Overlay } from './state.ts';

/** An event value: strings for addresses, hashes and u64 amounts (decimal), numbers for small integers. */
export type EventValue = string | number | boolean | null | EventValue[] | { [k: string]: EventValue };

export interface ContractEvent {
  contract: string;
  name: string;
  data: Record<string, EventValue>;
}

/** What a block gives its calls and hooks: no wall clock, only the block's own height and timestamp. */
export interface BlockContext {
  height: number;
  timestamp: number;
  miner: Address;
  params: ChainParams;
}

export interface CallContext extends BlockContext {
  state: Overlay;
  sender: Address;
  events: ContractEvent[];
}

export interface HookContext extends BlockContext {
  state: Overlay;
  events: ContractEvent[];
}

/** A method of the ABI with what it does. */
export interface Method<A> extends MethodAbi<A> {
  execute(ctx: CallContext, args: A): void;
}

export interface Contract {
  id: number;
  name: string;
  /** Methods by wire id (the index). */
  // biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
  byId: readonly Method<any>[];
  endBlock?(ctx: HookContext): void;
}

/** One `execute` per method of the ABI, each typed by that method's arguments. */
// biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
export type Executors<S extends Record<string, MethodSpec<any>>> = {
  [K in keyof S]: (ctx: CallContext, args: ArgsOf<S[K]>) => void;
};

/** A contract from its ABI and an executor for every method (so execution cannot drift from the ABI). */
// biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
export function implement<S extends Record<string, MethodSpec<any>>>(
  abi: ContractAbi<S>,
  execute: Executors<S>,
  endBlock?: (ctx: HookContext) => void,
): Contract {
  return {
    id: abi.id,
    name: abi.name,
    byId: abi.byId.map((m) => ({ ...m, execute: execute[m.name as keyof S] })),
    ...(endBlock && { endBlock }),
  };
}

/** Executable contracts by id; decoding and gas are the ABI's (`CallRegistry`). */
export class ContractRegistry extends CallRegistry<Contract> {}
