// Registry: which accounts are the grid and which are VPPs. The grid account registers, suspends,
// resumes and removes VPPs; only active VPPs may bid. Key "r" + address -> role u8 (0 grid, 1 VPP),
// status u8 (0 active, 1 suspended), name (u32 length + UTF-8). Method ids, arguments and gas are the
// contract's ABI (../abi/registry.ts); this adds execution.
import { concatBytes, Reader, Writer } from '../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../protocol/errors.ts';
import { type Address, addressToBytes } from '../../protocol/keys.ts';
import type { ChainParams } from '../../protocol/params.ts';
import { type AddressArgs, REGISTRY_ABI, type StatusChange } from '../abi/registry.ts';
import { type CallContext, type Contract, implement } from '../runtime.ts';
import type { Overlay, StateReader } from '../state.ts';

export interface Registration {
  role: 'grid' | 'vpp';
  status: 'active' | 'suspended';
  name: string;
}

const key = (a: Address): Uint8Array => concatBytes(Uint8Array.of(0x72), addressToBytes(a));

export const encodeRegistration = (r: Registration): Uint8Array =>
  new Writer()
    .u8(r.role === 'grid' ? 0 : 1)
    .u8(r.status === 'active' ? 0 : 1)
    .string(r.name)
    .finish();

export function getRegistration(state: StateReader, a: Address): Registration | undefined {
  const v = state.get(key(a));
  if (!v) return undefined;
  const r = new Reader(v);
  const reg: Registration = {
    role: r.u8() === 0 ? 'grid' : 'vpp',
    status: r.u8() === 0 ? 'active' : 'suspended',
    name: r.string(64),
  };
  r.end('registration');
  return reg;
}

export const putRegistration = (state: Overlay, a: Address, r: Registration): void =>
  state.set(key(a), encodeRegistration(r));

export const registrationKey = key;

export function gridAddress(params: ChainParams): Address {
  return params.accounts.find((a) => a.role === 'grid')!.address;
}

export function requireGrid(ctx: CallContext, what: string): void {
  if (ctx.sender !== gridAddress(ctx.params))
    throw new TxError(TxErrorCode.UNAUTHORIZED, `only the grid account may ${what}`);
}

export function requireActiveVpp(state: StateReader, a: Address): void {
  const r = getRegistration(state, a);
  if (r?.role !== 'vpp') throw new TxError(TxErrorCode.NOT_REGISTERED, `${a} is not a registered VPP`);
  if (r.status !== 'active') throw new TxError(TxErrorCode.NOT_REGISTERED, `${a} is suspended`);
}

type Status = Registration['status'];

/** Applies a status change to a registered VPP; `null` removes it. */
function changeStatus(name: StatusChange, next: Status | null) {
  return (ctx: CallContext, { address }: AddressArgs): void => {
    requireGrid(ctx, `${name} VPPs`);
    const reg = getRegistration(ctx.state, address);
    if (reg?.role !== 'vpp')
      throw new TxError(TxErrorCode.NOT_REGISTERED, `${address} is not a registered VPP`);
    if (next === null) ctx.state.set(key(address), null);
    else putRegistration(ctx.state, address, { ...reg, status: next });
    ctx.events.push({
      contract: 'registry',
      name: name[0]!.toUpperCase() + name.slice(1),
      data: { address },
    });
  };
}

export const registry: Contract = implement(REGISTRY_ABI, {
  register(ctx, { address, name }) {
    requireGrid(ctx, 'register VPPs');
    if (getRegistration(ctx.state, address))
      throw new TxError(TxErrorCode.ALREADY_REGISTERED, `${address} is already registered`);
    putRegistration(ctx.state, address, { role: 'vpp', status: 'active', name });
    ctx.events.push({ contract: 'registry', name: 'Registered', data: { address, name } });
  },
  suspend: changeStatus('suspend', 'suspended'),
  resume: changeStatus('resume', 'active'),
  remove: changeStatus('remove', null),
});
