// The account codec and key spelling used on the import path (contracts-vm/accounts.ts) give exactly the
// bytes, keys and refusals of the generic Writer/Reader and toHex(accountKey(...)) they replaced.
import { describe, expect, it } from 'vitest';
import { accountKey, accountKeyHex, decodeAccount, encodeAccount } from '../../../contracts-vm/accounts.ts';
import { Overlay, StateStore } from '../../../contracts-vm/state.ts';
import { Reader, toHex, Writer } from '../../../protocol/bytes.ts';

const U64_MAX = (1n << 64n) - 1n;
const viaWriter = (n: bigint, b: bigint, l: bigint): Uint8Array => new Writer().u64(n).u64(b).u64(l).finish();
function viaReader(bytes: Uint8Array): [bigint, bigint, bigint] {
  const r = new Reader(bytes);
  const out: [bigint, bigint, bigint] = [r.u64(), r.u64(), r.u64()];
  r.end('account');
  return out;
}
const thrown = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
  return 'no error';
};

// A deterministic spread of u64 values: the edges, each power of two and its neighbours, and a walk.
const values: bigint[] = [0n, 1n, U64_MAX, U64_MAX - 1n, 0xffffffffn, 0x100000000n];
for (let i = 0n; i < 64n; i++) values.push(1n << i, (1n << i) - 1n, (1n << i) + 1n);
let x = 0x9e3779b97f4a7c15n;
for (let i = 0; i < 200; i++) {
  x = (x * 6364136223846793005n + 1442695040888963407n) & U64_MAX;
  values.push(x, x >> BigInt(i % 64));
}

describe('account codec', () => {
  it('encodes and decodes as the Writer and Reader do', () => {
    for (let i = 0; i < values.length; i++) {
      const [n, b, l] = [
        values[i]!,
        values[(i * 7 + 3) % values.length]!,
        values[(i * 13 + 5) % values.length]!,
      ];
      const bytes = encodeAccount({ nonce: n, balance: b, locked: l });
      expect(bytes).toEqual(viaWriter(n, b, l));
      expect(decodeAccount(bytes)).toEqual({ nonce: n, balance: b, locked: l });
      expect(viaReader(bytes)).toEqual([n, b, l]);
    }
  });

  it('returns a fresh array each time (records stored in the state are never shared)', () => {
    const a = encodeAccount({ nonce: 1n, balance: 2n, locked: 3n });
    const b = encodeAccount({ nonce: 4n, balance: 5n, locked: 6n });
    expect(a).toEqual(viaWriter(1n, 2n, 3n));
    expect(b).toEqual(viaWriter(4n, 5n, 6n));
  });

  it('refuses what the Writer and Reader refuse, with the same errors', () => {
    for (const bad of [-1n, U64_MAX + 1n]) {
      expect(thrown(() => encodeAccount({ nonce: 0n, balance: bad, locked: 0n }))).toBe(
        thrown(() => viaWriter(0n, bad, 0n)),
      );
    }
    for (const len of [0, 7, 8, 23, 25, 32]) {
      const bytes = new Uint8Array(len).fill(1);
      const expected = thrown(() => viaReader(bytes));
      expect(expected).not.toBe('no error');
      expect(thrown(() => decodeAccount(bytes))).toBe(expected);
    }
  });

  it('spells account keys as toHex(accountKey(address)) for any spelling of an address', () => {
    const lower = '0x00a1b2c3d4e5f60718293a4b5c6d7e8f90abcdef';
    for (const a of [
      lower,
      lower.toUpperCase().replace('0X', '0x'),
      lower.slice(2),
      '0x00A1b2C3d4e5f60718293a4b5c6d7e8f90abcdef',
    ])
      expect(accountKeyHex(a)).toBe(toHex(accountKey(a)));
    expect(accountKeyHex(lower)).toBe(`61${lower.slice(2)}`);
    for (const bad of ['0x12', '0xzz a1b2c3d4e5f60718293a4b5c6d7e8f90abcdef', ''])
      expect(thrown(() => accountKeyHex(bad))).toBe(thrown(() => accountKey(bad)));
  });

  it('reads and writes the same entries through hex keys as through byte keys', () => {
    const store = new StateStore();
    const key = accountKey('0x00a1b2c3d4e5f60718293a4b5c6d7e8f90abcdef');
    store.apply(new Map([[toHex(key), viaWriter(1n, 2n, 3n)]]));
    const outer = new Overlay(store);
    const inner = new Overlay(outer);
    expect(inner.getHex(toHex(key))).toEqual(inner.get(key));
    inner.setHex(toHex(key), viaWriter(4n, 5n, 6n));
    expect(inner.get(key)).toEqual(viaWriter(4n, 5n, 6n));
    expect(inner.undo()).toEqual(new Map([[toHex(key), viaWriter(1n, 2n, 3n)]]));
    inner.commitTo(outer);
    expect(outer.changes).toEqual(new Map([[toHex(key), viaWriter(4n, 5n, 6n)]]));
    expect(store.get(key)).toEqual(viaWriter(1n, 2n, 3n));
  });
});
