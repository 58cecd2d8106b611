// The registry contract's interface (id 1): the grid account registers VPPs and suspends, resumes or
// removes them. Arguments: an address (20 bytes), and for `register` a name (u32 length + UTF-8).
import type { Address } from '../../protocol/keys.ts';
import { badArgs, defineContractAbi, type MethodSpec, readAddress, writeAddress } from './define.ts';

export const REGISTRY_ID = 1;

const NAME_RE = /^[\w .:-]{1,64}$/;

export interface RegisterArgs {
  address: Address;
  name: string;
}

export interface AddressArgs {
  address: Address;
}

const register: MethodSpec<RegisterArgs> = {
  id: 0,
  encode: (w, a) => writeAddress(w, a.address).string(a.name),
  decode(r) {
    const address = readAddress(r, 'address');
    const name = r.string(64, 'name');
    if (!NAME_RE.test(name)) throw badArgs('name must be 1..64 letters, digits, spaces or . _ : -');
    return { address, name };
  },
  gas: () => 1,
};

const addressOnly = (id: number): MethodSpec<AddressArgs> => ({
  id,
  encode: (w, a) => writeAddress(w, a.address),
  decode: (r) => ({ address: readAddress(r, 'address') }),
  gas: () => 1,
});

export const REGISTRY_ABI = defineContractAbi(REGISTRY_ID, 'registry', {
  register,
  suspend: addressOnly(1),
  resume: addressOnly(2),
  remove: addressOnly(3),
});

/** The registry methods that change a VPP's status. */
export type StatusChange = 'suspend' | 'resume' | 'remove';
