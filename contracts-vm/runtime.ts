// The native contract runtime. Contracts are typed TypeScript modules executed by every node inside
// the state transition: each implements its interface (./abi: method ids, canonical argument decoding and
// validation, gas) with an `execute` over a journaled state view. A failed call throws a TxError and leaves
// no trace (the caller reverts to its checkpoint); events go into the block's receipts. End-of-block hooks
// let contracts act by rule (the auction clears itself). A method may declare an admission rule: a check
// that needs no state, only the time (e.g. the auction's gate), which the mempool runs on every call
// whatever its nonce position and execution runs first, so the two cannot disagree.
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
  /**
   * Calls may stamp records with it, but whether a call succeeds must not depend on it: the mempool does
   * not run a pending call again merely because the height moved (consensus/mempool.ts, dry-run passes).
   */
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

/**
 * What an admission rule sees: no state, only the chain's parameters and a time. In execution the time is
 * the block's timestamp; at admission it is the earliest timestamp the next block can carry.
 */
export interface AdmissionContext {
  params: ChainParams;
  timestamp: number;
  /** Set at admission, where the time stands for "now": it changes a message's wording, never the verdict. */
  admission?: true;
}

/** A method of the ABI with what it does. */
export interface Method<A> extends MethodAbi<A> {
  /** The method's body; the state transition runs `admit` (if any) first, with the same context. */
  execute(ctx: CallContext, args: A): void;
  /**
   * The method's stateless rule (throws TxError). Execution runs it before `execute` with the block's
   * timestamp; the mempool runs it at admission and again whenever the head moves.
   */
  admit?(ctx: AdmissionContext, args: A): void;
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

/** Admission rules for some of the ABI's methods, each typed by that method's arguments. */
// biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
export type Admissions<S extends Record<string, MethodSpec<any>>> = {
  [K in keyof S]?: (ctx: AdmissionContext, args: ArgsOf<S[K]>) => void;
};

/**
 * A contract from its ABI and an executor for every method (so execution cannot drift from the ABI), with
 * optional end-of-block hook and admission rules. The rule is kept apart from the body (the transition
 * runs both, rule first) so that the mempool can tell what a call's body reads from what its rule reads.
 */
// biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
export function implement<S extends Record<string, MethodSpec<any>>>(
  abi: ContractAbi<S>,
  execute: Executors<S>,
  rules: { endBlock?: (ctx: HookContext) => void; admit?: Admissions<S> } = {},
): Contract {
  const { endBlock, admit = {} as Admissions<S> } = rules;
  return {
    id: abi.id,
    name: abi.name,
    byId: abi.byId.map((m) => {
      const run = execute[m.name as keyof S];
      const rule = admit[m.name as keyof S];
      return rule ? { ...m, execute: run, admit: rule } : { ...m, execute: run };
    }),
    ...(endBlock && { endBlock }),
  };
}

/** Runs a decoded call's admission rule, if its method has one (throws TxError). */
export function admitCall(
  call: { method: { admit?: Method<unknown>['admit'] }; args: unknown },
  ctx: AdmissionContext,
): void {
  call.method.admit?.(ctx, call.args);
}

/** Executable contracts by id; decoding and gas are the ABI's (`CallRegistry`). */
export class ContractRegistry extends CallRegistry<Contract> {}
