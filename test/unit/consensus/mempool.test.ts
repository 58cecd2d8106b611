import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import { TxError, TxErrorCode } from '../../../protocol/errors.ts';
import { envelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

describe('mempool', () => {
  const params = testParams();
  let b: ChainBuilder;
  let tc: TestChain;
  let pool: Mempool;

  beforeEach(async () => {
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
    pool = new Mempool(
      { params, headState: tc.chain.headState, verifier: tc.verifier },
      { maxSize: 5, maxPerSender: 4, maxNonceGap: 8 },
    );
    tc.chain.on('head', (c) => void pool.onHeadChange(c));
  });
  afterEach(() => tc.close());

  const code = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(TxError);
    return (e as TxError).code;
  };

  it('admits valid transactions and refuses duplicates, stale nonces, bad signatures, low fees, overdrafts', async () => {
    const t0 = b.transfer(keys.vpp1, keys.vpp2, 100n, 0n);
    await pool.add(t0);
    expect(await code(pool.add(t0))).toBe(TxErrorCode.ALREADY_KNOWN);
    await tc.chain.processBlock(b.next(b.genesisId, { txs: [t0] }));
    expect(pool.size).toBe(0);
    expect(pool.dropped(t0.id)).toBeUndefined(); // included, not dropped
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp3, 1n, 0n)))).toBe(TxErrorCode.NONCE_TOO_LOW);
    // The window: up to maxNonceGap (8) past the pending nonce (1).
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp3, 1n, 10n)))).toBe(TxErrorCode.NONCE_TOO_HIGH);
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp3, 1n, 1n, 9n)))).toBe(TxErrorCode.FEE_TOO_LOW);
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp3, 0n, 1n)))).toBe(TxErrorCode.ZERO_AMOUNT);
    const good = b.transfer(keys.vpp1, keys.vpp3, 1n, 1n);
    const sig = good.tx.signature.slice();
    sig[40]! ^= 0x80;
    expect(await code(pool.add(envelope({ ...good.tx, signature: sig })))).toBe(TxErrorCode.BAD_SIGNATURE);
    await pool.add(b.transfer(keys.vpp1, keys.vpp3, 500_000n, 1n));
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp3, 500_000n, 2n)))).toBe(
      TxErrorCode.INSUFFICIENT_FUNDS,
    );
  });

  it('checks the nonce window first, then the replacement and per-sender rules, and the funds last', async () => {
    for (let i = 0n; i < 4n; i++) await pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, i, 30n));
    // At its sender limit, a nonce outside the window (pending nonce 4 + 8) is refused for the nonce.
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, 13n, 30n)))).toBe(
      TxErrorCode.NONCE_TOO_HIGH,
    );
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, 7n, 30n)))).toBe(
      TxErrorCode.SENDER_LIMIT,
    );
    // An underpriced replacement that could not be paid for either is refused as underpriced.
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp2, 2_000_000n, 1n, 30n)))).toBe(
      TxErrorCode.REPLACEMENT_UNDERPRICED,
    );
    // A replacement is checked for funds without the transaction it replaces.
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp2, 999_877n, 1n, 31n)))).toBe(
      TxErrorCode.INSUFFICIENT_FUNDS,
    );
    await pool.add(b.transfer(keys.vpp1, keys.vpp2, 999_876n, 1n, 31n));
  });

  it('orders a block template by account nonce, then fee, and skips nonce gaps', async () => {
    const a0 = b.transfer(keys.vpp1, keys.vpp2, 1n, 0n, 10n);
    const a1 = b.transfer(keys.vpp1, keys.vpp2, 1n, 1n, 50n);
    const c0 = b.transfer(keys.vpp2, keys.vpp1, 1n, 0n, 20n);
    const gap = b.transfer(keys.vpp3, keys.vpp1, 1n, 1n, 99n);
    for (const t of [a1, gap, c0, a0]) await pool.add(t);
    expect(pool.select(tc.chain.headState, 10, 100_000).map((t) => t.id)).toEqual([c0.id, a0.id, a1.id]);
    expect(pool.select(tc.chain.headState, 2, 100_000).map((t) => t.id)).toEqual([c0.id, a0.id]);
  });

  it('replaces a pending transaction only for a higher fee', async () => {
    await pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, 0n, 20n));
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp3, 1n, 0n, 20n)))).toBe(
      TxErrorCode.REPLACEMENT_UNDERPRICED,
    );
    const better = b.transfer(keys.vpp1, keys.vpp3, 1n, 0n, 21n);
    await pool.add(better);
    expect(pool.size).toBe(1);
    expect(pool.has(better.id)).toBe(true);
  });

  it('is bounded: evicts the cheapest tail transaction for a better one, else refuses', async () => {
    for (let i = 0n; i < 4n; i++) await pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, i, 30n));
    expect(await code(pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, 4n, 30n)))).toBe(
      TxErrorCode.SENDER_LIMIT,
    );
    await pool.add(b.transfer(keys.vpp2, keys.vpp1, 1n, 0n, 30n));
    expect(pool.size).toBe(5);
    expect(await code(pool.add(b.transfer(keys.vpp3, keys.vpp1, 1n, 0n, 30n)))).toBe(
      TxErrorCode.MEMPOOL_FULL,
    );
    const rich = b.transfer(keys.vpp3, keys.vpp1, 1n, 0n, 31n);
    await pool.add(rich);
    expect(pool.size).toBe(5);
    expect(pool.has(rich.id)).toBe(true);
    expect(pool.pendingOf(keys.vpp1.address).length + pool.pendingOf(keys.vpp2.address).length).toBe(4);
  });
});
