// The native contract runtime. Contracts are typed TypeScript modules executed by every node inside
// the state transition: each declares methods with a canonical binary argument encoding (decoded and
// validated before anything runs), a gas cost, and an `execute` over a journaled state view. A failed
// call throws a TxError and leaves no trace (the caller reverts to its checkpoint); events go into the
// block's receipts. End-of-block hooks let contracts act by rule (the auction clears itself).
import { DecodeError, Reader } from '../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../protocol/errors.ts';
import type { Address } from '../protocol/keys.ts';
import type { ChainParams } from '../protocol/params.ts';
import type { CallPayload } from '../protocol/tx.ts';
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

export interface Method<A> {
  name: string;
  /** Decodes and validates the arguments; throws DecodeError or TxError(BAD_ARGS) naming the field. */
  decode(r: Reader): A;
  gas(args: A): number;
  execute(ctx: CallContext, args: A): void;
}

export interface Contract {
  id: number;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
  methods: readonly Method<any>[];
  endBlock?(ctx: HookContext): void;
}

export class ContractRegistry {
  private readonly byId = new Map<number, Contract>();

  constructor(contracts: readonly Contract[]) {
    for (const c of contracts) {
      if (this.byId.has(c.id)) throw new Error(`contract id ${c.id} used twice`);
      this.byId.set(c.id, c);
    }
  }

  /** Contracts in id order: hooks run in this order, so every node runs them the same way. */
  get all(): Contract[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  /** Resolves and decodes a call; pure and cheap, so the mempool runs it before anything else. */
  decode(call: CallPayload): { contract: Contract; method: Method<unknown>; args: unknown } {
    const contract = this.byId.get(call.contract);
    if (!contract) throw new TxError(TxErrorCode.UNKNOWN_CONTRACT, `no contract with id ${call.contract}`);
    const method = contract.methods[call.method];
    if (!method)
      throw new TxError(TxErrorCode.UNKNOWN_CONTRACT, `${contract.name} has no method ${call.method}`);
    const r = new Reader(call.args);
    let args: unknown;
    try {
      args = method.decode(r);
      r.end(`${contract.name}.${method.name} arguments`);
    } catch (err) {
      if (err instanceof TxError) throw err;
      if (err instanceof DecodeError || err instanceof RangeError) {
        throw new TxError(TxErrorCode.BAD_ARGS, `${contract.name}.${method.name}: ${err.message}`);
      }
      throw err;
    }
    return { contract, method, args };
  }

  gas(call: CallPayload): number {
    const { method, args } = this.decode(call);
    return method.gas(args);
  }
}

export function badArgs(message: string): TxError {
  return new TxError(TxErrorCode.BAD_ARGS, message);
}
