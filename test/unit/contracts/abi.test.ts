// The contract ABI against execution: for every method of every contract, a call the ABI builds decodes —
// through the ABI (clients) and through the executable registry (nodes) — to the arguments it was built
// from, and the ABI's gas is what the transition charges. Known calls keep their canonical bytes and gas.
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ArgsOf,
  type BidStep,
  CONTRACT_ABI,
  cancelBidCall,
  commitScheduleCall,
  MAX_METER_ENTRIES,
  MAX_POSITION_WH,
  MAX_SCHEDULE_INTERVALS,
  type MethodAbi,
  meterReportCall,
  placeBidCall,
  registerVppCall,
  registryCall,
  type Side,
  setPricesCall,
} from '../../../contracts-vm/abi/index.ts';
import type { Side as EngineSide, Step as EngineStep } from '../../../contracts-vm/auction/index.ts';
import { MAX_PRICE, MAX_STEP_QTY_WH, MAX_STEPS_PER_BID } from '../../../contracts-vm/auction/limits.ts';
import { CONTRACTS } from '../../../contracts-vm/contracts/index.ts';
import { checkTxStateless } from '../../../contracts-vm/transition.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../../protocol/errors.ts';
import { bytesToAddress } from '../../../protocol/keys.ts';
import type { CallPayload } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(bytesToAddress);
const interval = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const price = fc.integer({ min: 0, max: MAX_PRICE });
/** A (low, high) pair of prices: the contract requires buy ≤ sell and long ≤ short. */
const pricePair = fc.tuple(price, price).map(([a, b]) => (a <= b ? [a, b] : [b, a]));
const position = fc.bigInt({ min: -MAX_POSITION_WH, max: MAX_POSITION_WH });

/** Valid arguments of every method, by "contract.method"; a method missing here fails its test. */
const VALID_ARGS: Record<string, fc.Arbitrary<unknown>> = {
  'registry.register': fc.record({ address, name: fc.stringMatching(/^[\w .:-]{1,64}$/) }),
  'registry.suspend': fc.record({ address }),
  'registry.resume': fc.record({ address }),
  'registry.remove': fc.record({ address }),
  'auction.placeBid': fc.record({
    interval,
    side: fc.constantFrom('buy', 'sell'),
    steps: fc.array(fc.record({ qty: fc.integer({ min: 1, max: MAX_STEP_QTY_WH }), price }), {
      minLength: 1,
      maxLength: MAX_STEPS_PER_BID,
    }),
  }),
  'auction.cancelBid': fc.record({ interval }),
  'auction.setPrices': fc
    .tuple(interval, pricePair, pricePair)
    .map(([k, [gridBuyPrice, gridSellPrice], [imbalanceLongPrice, imbalanceShortPrice]]) => ({
      interval: k,
      gridSellPrice,
      gridBuyPrice,
      imbalanceShortPrice,
      imbalanceLongPrice,
    })),
  'metering.report': fc.record({
    interval,
    entries: fc.uniqueArray(fc.record({ vpp: address, meteredWh: position }), {
      minLength: 1,
      maxLength: MAX_METER_ENTRIES,
      selector: (e) => e.vpp,
    }),
  }),
  'metering.commitSchedule': fc
    .array(position, { minLength: 1, maxLength: MAX_SCHEDULE_INTERVALS })
    .chain((positionsWh) =>
      fc.record({
        // the last interval must be a u64 too
        firstInterval: fc.bigInt({ min: 0n, max: (1n << 64n) - BigInt(positionsWh.length) }),
        positionsWh: fc.constant(positionsWh),
      }),
    ),
};

const params = testParams();
const builder = new ChainBuilder(params);
const signed = (payload: CallPayload, fee: bigint) => builder.call(keys.grid, payload, 0n, fee);

/** The outcome of decoding, comparable across the two registries. */
function outcome(decode: () => { method: { name: string }; args: unknown }): unknown {
  try {
    const { method, args } = decode();
    return { method: method.name, args };
  } catch (err) {
    if (err instanceof TxError) return { code: err.code, message: err.message };
    throw err;
  }
}

describe('contract ABI', () => {
  it('execution implements exactly the ABI, with its decoders and gas', () => {
    const shape = (
      cs: readonly { id: number; name: string; byId: readonly { id: number; name: string }[] }[],
    ) => cs.map((c) => ({ id: c.id, name: c.name, methods: c.byId.map((m) => [m.id, m.name]) }));
    expect(shape(CONTRACTS.all)).toEqual(shape(CONTRACT_ABI.all));
    expect(shape(CONTRACT_ABI.all)).toEqual([
      {
        id: 1,
        name: 'registry',
        methods: [
          [0, 'register'],
          [1, 'suspend'],
          [2, 'resume'],
          [3, 'remove'],
        ],
      },
      {
        id: 2,
        name: 'auction',
        methods: [
          [0, 'placeBid'],
          [1, 'cancelBid'],
          [2, 'setPrices'],
        ],
      },
      {
        id: 3,
        name: 'metering',
        methods: [
          [0, 'report'],
          [1, 'commitSchedule'],
        ],
      },
    ]);
    CONTRACTS.all.forEach((c, i) => {
      c.byId.forEach((m, j) => {
        const abi = CONTRACT_ABI.all[i]!.byId[j]!;
        expect(m.decode).toBe(abi.decode); // the same code, not a copy
        expect(m.gas).toBe(abi.gas);
      });
    });
  });

  for (const contract of CONTRACT_ABI.all) {
    for (const method of contract.byId as readonly MethodAbi<unknown>[]) {
      const name = `${contract.name}.${method.name}`;

      it(`${name}: encode → decode round-trips on client and node; the ABI's gas is what the transition charges`, () => {
        const valid = VALID_ARGS[name];
        expect(valid, `an argument generator for ${name}`).toBeDefined();
        fc.assert(
          fc.property(valid!, (args) => {
            const payload = method.call(args as ArgsOf<typeof method>);
            expect([payload.contract, payload.method]).toEqual([contract.id, method.id]);
            const client = CONTRACT_ABI.decode(payload);
            const node = CONTRACTS.decode(payload);
            expect(client.args).toEqual(args);
            expect(node.args).toEqual(args);
            expect(node.method.name).toBe(method.name);
            const gas = CONTRACT_ABI.gas(payload);
            expect(node.method.gas(node.args)).toBe(gas);
            const minFee = params.minTxFee * BigInt(gas);
            expect(checkTxStateless(signed(payload, minFee), params)?.args).toEqual(args);
            expect(() => checkTxStateless(signed(payload, minFee - 1n), params)).toThrow(
              expect.objectContaining({ code: TxErrorCode.FEE_TOO_LOW }),
            );
          }),
          { numRuns: 25 },
        );
      });

      it(`${name}: client and node give the same verdict on arbitrary argument bytes`, () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
            const payload: CallPayload = {
              kind: 'call',
              contract: contract.id,
              method: method.id,
              args: bytes,
            };
            expect(outcome(() => CONTRACTS.decode(payload))).toEqual(
              outcome(() => CONTRACT_ABI.decode(payload)),
            );
          }),
          { numRuns: 200 },
        );
      });
    }
  }

  it("speaks the clearing engine's bid vocabulary (the ABI re-exports the engine's Side and Step)", () => {
    expectTypeOf<Side>().toEqualTypeOf<EngineSide>(); // checked by tsc
    expectTypeOf<BidStep>().toEqualTypeOf<EngineStep>();
    const side: EngineSide = 'sell';
    expect(CONTRACT_ABI.decode(placeBidCall(0n, side, [{ qty: 1, price: 0 }])).args).toMatchObject({ side });
  });

  it('refuses unknown contracts and methods, on client and node alike', () => {
    for (const [contract, method, message] of [
      [9, 0, 'no contract with id 9'],
      [2, 3, 'auction has no method 3'],
    ] as const) {
      const payload: CallPayload = { kind: 'call', contract, method, args: new Uint8Array() };
      for (const registry of [CONTRACT_ABI, CONTRACTS])
        expect(() => registry.decode(payload)).toThrow(
          expect.objectContaining({ code: TxErrorCode.UNKNOWN_CONTRACT, message }),
        );
    }
  });

  it('keeps the canonical bytes and gas of known calls', () => {
    const a = '0x00112233445566778899aabbccddeeff00112233';
    const b = '0xffeeddccbbaa99887766554433221100ffeeddcc';
    const known: [CallPayload, string, number][] = [
      [
        placeBidCall(7n, 'sell', [
          { qty: 1500, price: 250_000 },
          { qty: 1_000_000_000, price: 1_000_000_000 },
        ]),
        '2/0/00000000000000070102000005dc0003d0903b9aca003b9aca00',
        2,
      ],
      [
        placeBidCall((1n << 64n) - 1n, 'buy', [{ qty: 1, price: 0 }]),
        '2/0/ffffffffffffffff00010000000100000000',
        2,
      ],
      [cancelBidCall(42n), '2/1/000000000000002a', 1],
      [
        setPricesCall(9n, {
          gridSellPrice: 300_000,
          gridBuyPrice: 40_000,
          imbalanceShortPrice: 450_000,
          imbalanceLongPrice: 20_000,
        }),
        '2/2/0000000000000009000493e000009c400006ddd000004e20',
        1,
      ],
      [
        // Since the schedules (task 12-C) the i64 is the metered net position (+ export / - import), no
        // longer a deviation the grid computed: same bytes, the contract subtracts the committed position.
        meterReportCall(3n, [
          { vpp: a, meteredWh: -2000n },
          { vpp: b, meteredWh: 1_000_000_000_000n },
        ]),
        `3/0/00000000000000030002${a.slice(2)}fffffffffffff830${b.slice(2)}000000e8d4a51000`,
        2,
      ],
      [
        commitScheduleCall(5n, [-1500n, 0n, 2000n]),
        '3/1/00000000000000050003fffffffffffffa24000000000000000000000000000007d0',
        2,
      ],
      [registerVppCall(a, 'vpp 9'), `1/0/${a.slice(2)}000000057670702039`, 1],
      [registryCall('suspend', b), `1/1/${b.slice(2)}`, 1],
      [registryCall('resume', b), `1/2/${b.slice(2)}`, 1],
      [registryCall('remove', a), `1/3/${a.slice(2)}`, 1],
    ];
    for (const [payload, wire, gas] of known) {
      expect(`${payload.contract}/${payload.method}/${toHex(payload.args)}`).toBe(wire);
      expect(CONTRACT_ABI.gas(payload)).toBe(gas);
    }
    // gas grows by one per started group of 8 steps or entries
    const steps = (n: number) => Array.from({ length: n }, () => ({ qty: 1, price: 1 }));
    expect([1, 8, 9, 16, 17, 32].map((n) => CONTRACT_ABI.gas(placeBidCall(0n, 'buy', steps(n))))).toEqual([
      2, 2, 3, 3, 4, 5,
    ]);
    const entries = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        vpp: bytesToAddress(new Uint8Array(20).fill(i)),
        meteredWh: 1n,
      }));
    expect([1, 8, 9, 256].map((n) => CONTRACT_ABI.gas(meterReportCall(0n, entries(n))))).toEqual([
      2, 2, 3, 33,
    ]);
    const positions = (n: number) => Array.from({ length: n }, () => -1n);
    expect([1, 8, 9, 288, 1000].map((n) => CONTRACT_ABI.gas(commitScheduleCall(0n, positions(n))))).toEqual([
      2, 2, 3, 37, 126,
    ]);
  });

  it('bounds a schedule commitment: 1..1,000 positions, |Wh| ≤ 10^12, intervals within u64', () => {
    const badArgs = (payload: CallPayload, field: RegExp) => {
      for (const registry of [CONTRACT_ABI, CONTRACTS])
        expect(() => registry.decode(payload)).toThrow(
          expect.objectContaining({ code: TxErrorCode.BAD_ARGS, message: expect.stringMatching(field) }),
        );
    };
    const raw = (first: bigint, n: number, positions: bigint[]): CallPayload => {
      const args = new Uint8Array(10 + 8 * positions.length);
      const v = new DataView(args.buffer);
      v.setBigUint64(0, first);
      v.setUint16(8, n);
      for (const [i, p] of positions.entries()) v.setBigInt64(10 + 8 * i, p);
      return { kind: 'call', contract: 3, method: 1, args };
    };
    badArgs(raw(0n, 0, []), /positions: 1\.\.1000 required, got 0/);
    badArgs(raw(0n, 1001, new Array<bigint>(1001).fill(0n)), /positions: 1\.\.1000 required, got 1001/);
    badArgs(raw(0n, 2, [0n, MAX_POSITION_WH + 1n]), /positionsWh\[1\] out of range/);
    badArgs(raw(0n, 1, [-MAX_POSITION_WH - 1n]), /positionsWh\[0\] out of range/);
    badArgs(raw((1n << 64n) - 1n, 2, [0n, 0n]), /run past the last interval/);
    badArgs(raw(0n, 2, [0n]), /positionsWh\[1\]/); // truncated
    expect(CONTRACT_ABI.decode(raw((1n << 64n) - 2n, 2, [MAX_POSITION_WH, -MAX_POSITION_WH])).args).toEqual({
      firstInterval: (1n << 64n) - 2n,
      positionsWh: [MAX_POSITION_WH, -MAX_POSITION_WH],
    });
    const metered = meterReportCall(0n, [{ vpp: bytesToAddress(new Uint8Array(20)), meteredWh: 0n }]);
    metered.args.set(new Uint8Array(8).fill(0x7f), 30); // i64 max
    badArgs(metered, /entries\[0\]\.meteredWh out of range/);
  });
});
