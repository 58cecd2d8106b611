// Genesis account names are stored by the registry as at most 64 bytes of UTF-8; the genesis check counts
// bytes too, so a name it accepts always reads back (a 64-character non-ASCII name used to pass the check
// and then fail to decode on the first registry read).
import { describe, expect, it } from 'vitest';
import { genesisBlock, parseChainParams } from '../../../consensus/genesis.ts';
import { getRegistration } from '../../../contracts-vm/contracts/registry.ts';
import { StateStore } from '../../../contracts-vm/state.ts';
import { genesisToJson } from '../../../protocol/params.ts';
import { testParams } from '../../helpers/builder.ts';

function withVppName(name: string) {
  const json = genesisToJson(testParams()) as { accounts: { name: string; role: string }[] };
  const vpp = json.accounts.find((a) => a.role === 'vpp')!;
  vpp.name = name;
  return json;
}

describe('genesis account names', () => {
  it('refuses a name over 64 bytes of UTF-8 even when under 64 characters', () => {
    const name = 'ü'.repeat(40); // 40 characters, 80 bytes
    expect(() => parseChainParams(withVppName(name))).toThrow(/1\.\.64 bytes in UTF-8/);
  });

  it('accepts 64 bytes of UTF-8 and the registry reads the name back', () => {
    const name = `${'ü'.repeat(31)}ab`; // 33 characters, 64 bytes
    const params = parseChainParams(withVppName(name));
    const vpp = params.accounts.find((a) => a.name === name)!;
    const { state } = genesisBlock(params);
    const store = new StateStore();
    store.apply(state);
    expect(getRegistration(store, vpp.address)?.name).toBe(name);
  });
});
