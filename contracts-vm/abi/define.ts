// How a contract's interface is declared, and the one path by which a call's bytes become typed
// arguments. Clients encode with the same method objects that nodes decode with, so a call a client
// builds is by construction what every node reads; the execution registry (../runtime.ts) reuses
// `CallRegistry` with methods that add `execute`, so decoding and gas exist once.
import { DecodeError, Reader, Writer } from '../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../protocol/errors.ts';
import { ADDRESS_LENGTH, type Address, addressToBytes, bytesToAddress } from '../../protocol/keys.ts';
import type { CallPayload } from '../../protocol/tx.ts';

/** A method as its contract declares it: wire id, canonical argument codec, gas. */
export interface MethodSpec<A> {
  /** The method's u8 id on the wire; a contract's ids are 0..n-1. */
  id: number;
  /** Writes the canonical argument bytes, which `decode` reads back to equal arguments. */
  encode(w: Writer, args: A): void;
  /** Reads and validates the arguments; throws DecodeError, RangeError or TxError(BAD_ARGS) naming the field. */
  decode(r: Reader): A;
  /** What a call with these arguments costs; its fee must be at least minTxFee × gas. */
  gas(args: A): number;
}

/** A declared method bound to its contract: it knows its name and can build its call payload. */
export interface MethodAbi<A> extends MethodSpec<A> {
  name: string;
  contractId: number;
  call(args: A): CallPayload;
}

// biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
type AnyMethodSpec = MethodSpec<any>;

/** The argument type of a method (its spec, ABI or executable form). */
export type ArgsOf<M> = M extends MethodSpec<infer A> ? A : never;

export interface ContractAbi<S extends Record<string, AnyMethodSpec> = Record<string, AnyMethodSpec>> {
  id: number;
  name: string;
  /** Methods by name, with their argument types. */
  methods: { [K in keyof S]: MethodAbi<ArgsOf<S[K]>> };
  /** Methods by wire id (the index). */
  // biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
  byId: readonly MethodAbi<any>[];
}

/** Binds method specs to a contract (the record's keys are the method names) and checks their ids. */
export function defineContractAbi<S extends Record<string, AnyMethodSpec>>(
  id: number,
  name: string,
  specs: S,
): ContractAbi<S> {
  const methods = {} as Record<string, MethodAbi<unknown>>;
  for (const [methodName, spec] of Object.entries(specs)) {
    methods[methodName] = {
      ...spec,
      name: methodName,
      contractId: id,
      call(args) {
        const w = new Writer();
        spec.encode(w, args);
        return { kind: 'call', contract: id, method: spec.id, args: w.finish() };
      },
    };
  }
  const byId = Object.values(methods).sort((a, b) => a.id - b.id);
  byId.forEach((m, i) => {
    if (m.id !== i)
      throw new Error(`${name}: method ids must be 0..${byId.length - 1}, ${m.name} has ${m.id}`);
  });
  return { id, name, methods: methods as ContractAbi<S>['methods'], byId };
}

/** What `CallRegistry` needs of a contract: the ABI's or the executable one. */
export interface CallTarget {
  id: number;
  name: string;
  byId: readonly (AnyMethodSpec & { name: string })[];
}

/** Contracts by id, and the resolution and decoding of calls to them. */
export class CallRegistry<C extends CallTarget> {
  private readonly byId = new Map<number, C>();

  constructor(contracts: readonly C[]) {
    for (const c of contracts) {
      if (this.byId.has(c.id)) throw new Error(`contract id ${c.id} used twice`);
      this.byId.set(c.id, c);
    }
  }

  /** Contracts in id order: hooks run in this order, so every node runs them the same way. */
  get all(): C[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  /** Resolves and decodes a call; pure and cheap, so the mempool runs it before anything else. */
  decode(call: CallPayload): { contract: C; method: C['byId'][number]; args: unknown } {
    const contract = this.byId.get(call.contract);
    if (!contract) throw new TxError(TxErrorCode.UNKNOWN_CONTRACT, `no contract with id ${call.contract}`);
    const method: C['byId'][number] | undefined = contract.byId[call.method];
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

  /** The gas of a call; decodes it, so a malformed call throws as it would on a node. */
  gas(call: CallPayload): number {
    const { method, args } = this.decode(call);
    return method.gas(args);
  }
}

export function badArgs(message: string): TxError {
  return new TxError(TxErrorCode.BAD_ARGS, message);
}

export const readAddress = (r: Reader, what: string): Address =>
  bytesToAddress(r.fixed(ADDRESS_LENGTH, what));

export const writeAddress = (w: Writer, a: Address): Writer => w.fixed(addressToBytes(a), ADDRESS_LENGTH);
