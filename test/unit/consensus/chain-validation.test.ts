import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getAccount } from '../../../contracts-vm/accounts.ts';
import { type Block, headerHash } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { BlockError, BlockErrorCode, TxErrorCode } from '../../../protocol/errors.ts';
import type { ChainParams } from '../../../protocol/params.ts';
import { ChainBuilder, keys, openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

async function rejects(tc: TestChain, block: Block, code: string, txCode?: string): Promise<BlockError> {
  const before = tc.chain.tip.id;
  const err = await tc.chain.processBlock(block).then(
    () => {
      throw new Error(`block was accepted, expected ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BlockError);
  const be = err as BlockError;
  expect(be.code).toBe(code);
  if (txCode) expect(be.txError?.code).toBe(txCode);
  expect(tc.chain.tip.id).toBe(before);
  return be;
}

describe('block validation', () => {
  let params: ChainParams;
  let b: ChainBuilder;
  let tc: TestChain;

  beforeEach(async () => {
    params = testParams();
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
  });
  afterEach(() => tc.close());

  it('accepts a chain of valid blocks with transfers and moves balances and fees', async () => {
    const t1 = b.transfer(keys.vpp1, keys.vpp2, 1000n, 0n, 15n);
    const b1 = b.next(b.genesisId, { txs: [t1] });
    expect(await tc.chain.processBlock(b1)).toBe('head');
    expect(tc.chain.height).toBe(1);
    expect(tc.chain.account(keys.vpp1.address)).toEqual({
      nonce: 1n,
      balance: 1_000_000n - 1015n,
      locked: 0n,
    });
    expect(tc.chain.account(keys.vpp2.address).balance).toBe(1_001_000n);
    expect(tc.chain.account(keys.miner.address).balance).toBe(15n);
    expect(toHex(tc.chain.stateRoot())).toBe(toHex(b1.header.stateRoot));
  });

  it('rejects a header whose hash is above its target', async () => {
    const hard = testParams({ initialBits: 0x1f00ffff });
    const hb = new ChainBuilder(hard);
    const hc = await openTestChain(hard);
    try {
      const good = hb.next(hb.genesisId);
      const bad = { ...good, header: { ...good.header, nonce: (good.header.nonce + 1) >>> 0 } };
      await rejects(hc, bad, BlockErrorCode.POW_ABOVE_TARGET);
      expect(await hc.chain.processBlock(good)).toBe('head');
    } finally {
      await hc.close();
    }
  });

  it('rejects a block with the wrong difficulty', async () => {
    await rejects(tc, b.next(b.genesisId, { bits: 0x2000ffff }), BlockErrorCode.WRONG_DIFFICULTY);
  });

  it('rejects a body that does not match the Merkle root, and still accepts the real block with that hash', async () => {
    const txs = [
      b.transfer(keys.vpp1, keys.vpp2, 1n, 0n),
      b.transfer(keys.vpp2, keys.vpp3, 2n, 0n),
      b.transfer(keys.vpp3, keys.vpp1, 3n, 0n),
    ];
    const good = b.next(b.genesisId, { txs });
    // Bitcoin's CVE-2012-2459: duplicating the last transaction kept the root. Here the root differs.
    const mutated: Block = { ...good, txs: [...txs, txs[2]!] };
    await rejects(tc, mutated, BlockErrorCode.BAD_TX_ROOT);
    const reordered: Block = { ...good, txs: [txs[1]!, txs[0]!, txs[2]!] };
    await rejects(tc, reordered, BlockErrorCode.BAD_TX_ROOT);
    expect(toHex(headerHash(mutated.header))).toBe(toHex(headerHash(good.header)));
    expect(await tc.chain.processBlock(good)).toBe('head');
  });

  it('rejects a block whose header commits to a duplicated transaction', async () => {
    const t = b.transfer(keys.vpp1, keys.vpp2, 1n, 0n);
    await rejects(tc, b.next(b.genesisId, { txs: [t, t], skipExecution: true }), BlockErrorCode.DUPLICATE_TX);
  });

  it('rejects a double spend within a block (same nonce, and overdraft)', async () => {
    const a = b.transfer(keys.vpp1, keys.vpp2, 600_000n, 0n);
    const sameNonce = b.transfer(keys.vpp1, keys.vpp3, 600_000n, 0n);
    await rejects(
      tc,
      b.next(b.genesisId, { txs: [a, sameNonce], skipExecution: true }),
      BlockErrorCode.INVALID_TX,
      TxErrorCode.NONCE_TOO_LOW,
    );
    const overdraft = b.transfer(keys.vpp1, keys.vpp3, 600_000n, 1n);
    await rejects(
      tc,
      b.next(b.genesisId, { txs: [a, overdraft], skipExecution: true }),
      BlockErrorCode.INVALID_TX,
      TxErrorCode.INSUFFICIENT_FUNDS,
    );
  });

  it('rejects a double spend across blocks on a fork and keeps the chain it had', async () => {
    const pay = b.transfer(keys.vpp1, keys.vpp2, 900_000n, 0n);
    const a1 = b.next(b.genesisId, { txs: [pay], miner: keys.vpp1.address });
    expect(await tc.chain.processBlock(a1)).toBe('head');
    // The fork first spends the same funds elsewhere, then replays the main chain's payment.
    const elsewhere = b.transfer(keys.vpp1, keys.vpp3, 900_000n, 0n);
    const f1 = b.next(b.genesisId, { txs: [elsewhere], miner: keys.vpp3.address });
    expect(await tc.chain.processBlock(f1)).toBe('side-chain');
    const f2 = b.next(b.idOf(f1), { txs: [pay], miner: keys.vpp3.address, skipExecution: true });
    await rejects(tc, f2, BlockErrorCode.INVALID_TX, TxErrorCode.NONCE_TOO_LOW);
    const respend = b.transfer(keys.vpp1, keys.vpp2, 900_000n, 1n);
    const f2b = b.next(b.idOf(f1), { txs: [respend], miner: keys.vpp3.address, skipExecution: true });
    await rejects(tc, f2b, BlockErrorCode.INVALID_TX, TxErrorCode.INSUFFICIENT_FUNDS);
    expect(tc.chain.tip.id).toBe(b.idOf(a1));
    expect(tc.chain.account(keys.vpp2.address).balance).toBe(1_900_000n);
    expect(tc.chain.account(keys.vpp3.address).balance).toBe(1_000_000n);
  });

  it('rejects a bad signature and a transaction signed for another chain', async () => {
    const t = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const sig = t.tx.signature.slice();
    sig[10]! ^= 1;
    const { envelope } = await import('../../../protocol/tx.ts');
    const forged = envelope({ ...t.tx, signature: sig });
    await rejects(
      tc,
      b.next(b.genesisId, { txs: [forged] }),
      BlockErrorCode.INVALID_TX,
      TxErrorCode.BAD_SIGNATURE,
    );
    const otherChain = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n, 10n, {
      chainId: params.chainId + 1,
      genesisHash: b.domain.genesisHash,
    });
    await rejects(
      tc,
      b.next(b.genesisId, { txs: [otherChain] }),
      BlockErrorCode.INVALID_TX,
      TxErrorCode.BAD_SIGNATURE,
    );
    const otherGenesis = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n, 10n, {
      chainId: params.chainId,
      genesisHash: new Uint8Array(32),
    });
    await rejects(
      tc,
      b.next(b.genesisId, { txs: [otherGenesis] }),
      BlockErrorCode.INVALID_TX,
      TxErrorCode.BAD_SIGNATURE,
    );
    expect(await tc.chain.processBlock(b.next(b.genesisId, { txs: [t] }))).toBe('head');
  });

  it('rejects a bad nonce and a fee below the minimum', async () => {
    const ahead = b.transfer(keys.vpp1, keys.vpp2, 5n, 3n);
    await rejects(
      tc,
      b.next(b.genesisId, { txs: [ahead], skipExecution: true }),
      BlockErrorCode.INVALID_TX,
      TxErrorCode.NONCE_TOO_HIGH,
    );
    const cheap = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n, 9n);
    const tooCheap = await rejects(
      tc,
      b.next(b.genesisId, { txs: [cheap], skipExecution: true }),
      BlockErrorCode.INVALID_TX,
      TxErrorCode.FEE_TOO_LOW,
    );
    // Amounts in messages say their unit, and what it is worth.
    expect(tooCheap.message).toMatch(
      /fee 9 base units is below the minimum \d+ \(1 gas × \d+ base units; 1,000,000 base units = £1\)/,
    );
  });

  it('rejects a wrong state root and a wrong height', async () => {
    await rejects(
      tc,
      b.next(b.genesisId, { stateRoot: new Uint8Array(32).fill(7) }),
      BlockErrorCode.BAD_STATE_ROOT,
    );
    await rejects(tc, b.next(b.genesisId, { height: 2 }), BlockErrorCode.BAD_HEIGHT);
  });

  it('rejects a timestamp not above the median of the last 11 blocks', async () => {
    const chain = b.extend(b.genesisId, 12);
    for (const blk of chain) await tc.chain.processBlock(blk);
    const tipId = b.idOf(chain.at(-1)!);
    const mtp = tc.chain.medianTimePast(tc.chain.tip);
    const old = await rejects(tc, b.next(tipId, { timestamp: mtp }), BlockErrorCode.TIMESTAMP_TOO_OLD);
    // Times in messages are ISO 8601, not epoch milliseconds.
    const iso = new Date(mtp).toISOString();
    expect(old.message).toBe(
      `timestamp ${iso} is not after the median time past ${iso} (the median of the last 11 blocks' times)`,
    );
    expect(await tc.chain.processBlock(b.next(tipId, { timestamp: mtp + 1 }))).toBe('head');
  });

  it('holds a block too far in the future without marking it invalid, and accepts it later', async () => {
    const ts = tc.clock.now + params.maxFutureDriftMs + 1000;
    const early = b.next(b.genesisId, { timestamp: ts });
    const ahead = await rejects(tc, early, BlockErrorCode.TIMESTAMP_IN_FUTURE);
    expect(ahead.message).toBe(
      `timestamp ${new Date(ts).toISOString()} is ${(params.maxFutureDriftMs + 1000) / 1000} s ahead of our clock (${new Date(tc.clock.now).toISOString()}); at most ${params.maxFutureDriftMs / 1000} s allowed`,
    );
    tc.clock.now = ts - params.maxFutureDriftMs;
    expect(await tc.chain.retryFutureBlocks()).toBe(1);
    expect(tc.chain.tip.id).toBe(b.idOf(early));
  });

  it('rejects blocks over the transaction-count and byte limits', async () => {
    const small = testParams({ maxBlockTxs: 3, maxBlockBytes: 1024 });
    const sb = new ChainBuilder(small);
    const sc = await openTestChain(small);
    try {
      const four = [0n, 1n, 2n, 3n].map((n) => sb.transfer(keys.vpp1, keys.vpp2, 1n, n));
      await rejects(sc, sb.next(sb.genesisId, { txs: four }), BlockErrorCode.TOO_MANY_TXS);
      const big = testParams({ maxBlockBytes: 1024 });
      const bb = new ChainBuilder(big);
      const bc = await openTestChain(big);
      try {
        const many = Array.from({ length: 8 }, (_, i) => bb.transfer(keys.vpp1, keys.vpp2, 1n, BigInt(i)));
        await rejects(bc, bb.next(bb.genesisId, { txs: many }), BlockErrorCode.BLOCK_TOO_LARGE);
        expect(await bc.chain.processBlock(bb.next(bb.genesisId, { txs: many.slice(0, 5) }))).toBe('head');
      } finally {
        await bc.close();
      }
    } finally {
      await sc.close();
    }
  });

  it('holds orphans and connects them when the parent arrives', async () => {
    const [b1, b2, b3] = b.extend(b.genesisId, 3);
    await rejects(tc, b3!, BlockErrorCode.ORPHAN);
    await rejects(tc, b2!, BlockErrorCode.ORPHAN);
    expect(tc.chain.orphanCount).toBe(2);
    expect(await tc.chain.processBlock(b1!)).toBe('head');
    expect(tc.chain.height).toBe(3);
    expect(tc.chain.orphanCount).toBe(0);
  });

  it('rejects a known-invalid block and its descendants cheaply', async () => {
    const bad = b.next(b.genesisId, { stateRoot: new Uint8Array(32).fill(1) });
    await rejects(tc, bad, BlockErrorCode.BAD_STATE_ROOT);
    await rejects(tc, bad, BlockErrorCode.KNOWN_INVALID);
    const child = b.next(b.idOf(bad));
    await rejects(tc, child, BlockErrorCode.PARENT_INVALID);
  });

  it('keeps the valid prefix of a heavier fork whose middle block is invalid', async () => {
    const main = b.extend(b.genesisId, 3);
    for (const blk of main) await tc.chain.processBlock(blk);
    const fork = b.extend(b.genesisId, 5, keys.vpp3.address);
    const badParent = b.idOf(fork[4]!);
    const spend = b.transfer(keys.vpp1, keys.vpp2, 1n, 5n); // nonce from the future: invalid
    const invalid = b.next(badParent, { txs: [spend], skipExecution: true });
    const beyond = b.extend(b.idOf(invalid), 3);
    // Deliver the fork; it outweighs the main chain at height 4, still valid, then fails at height 6.
    for (const blk of fork) await tc.chain.processBlock(blk);
    expect(tc.chain.tip.id).toBe(b.idOf(fork[4]!));
    await rejects(tc, invalid, BlockErrorCode.INVALID_TX, TxErrorCode.NONCE_TOO_HIGH);
    for (const blk of beyond) await expect(tc.chain.processBlock(blk)).rejects.toBeInstanceOf(BlockError);
    expect(tc.chain.tip.id).toBe(b.idOf(fork[4]!));
    expect(toHex(tc.chain.stateRoot())).toBe(toHex(b.stateAfter(badParent).root()));
    expect(getAccount(tc.chain.headState, keys.vpp3.address).balance).toBe(1_000_000n);
  });

  it('keeps the valid prefix when an invalid block arrives inside a fork that only then outweighs the tip', async () => {
    const main = b.extend(b.genesisId, 4);
    for (const blk of main) await tc.chain.processBlock(blk);
    const fork = b.extend(b.genesisId, 6, keys.vpp2.address);
    const invalid = b.next(b.idOf(fork[5]!), { stateRoot: new Uint8Array(32) });
    const beyond = b.extend(b.idOf(invalid), 2);
    for (const blk of fork.slice(0, 4)) expect(await tc.chain.processBlock(blk)).toBe('side-chain');
    expect(await tc.chain.processBlock(fork[4]!)).toBe('head');
    expect(await tc.chain.processBlock(fork[5]!)).toBe('head');
    await rejects(tc, invalid, BlockErrorCode.BAD_STATE_ROOT);
    for (const blk of beyond)
      await expect(tc.chain.processBlock(blk)).rejects.toMatchObject({ code: BlockErrorCode.PARENT_INVALID });
    expect(tc.chain.height).toBe(6);
  });
});
