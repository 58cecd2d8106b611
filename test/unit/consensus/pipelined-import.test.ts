// Import with signatures verified on worker threads while the block executes, and ahead of their turn for
// queued blocks (chain.ts prefetchSignatures, connect.ts, sigverify.ts): the verdicts are those of
// verifying first, each signature is verified once, and only blocks with the chain's proof of work are
// verified ahead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Chain } from '../../../consensus/chain.ts';
import { genesisBlock } from '../../../consensus/genesis.ts';
import { packBatch, SignatureVerifier, unpackBatch } from '../../../consensus/sigverify.ts';
import type { Block } from '../../../protocol/block.ts';
import { BlockError, BlockErrorCode, TxErrorCode } from '../../../protocol/errors.ts';
import type { ChainParams } from '../../../protocol/params.ts';
import { envelope, type TxEnvelope } from '../../../protocol/tx.ts';
import { ChainBuilder, GENESIS_TIME, keys, testParams } from '../../helpers/builder.ts';

const forge = (t: TxEnvelope): TxEnvelope => {
  const sig = t.tx.signature.slice();
  sig[7]! ^= 2;
  return envelope({ ...t.tx, signature: sig });
};

describe('pipelined block import (signatures on the worker pool)', () => {
  let params: ChainParams;
  let b: ChainBuilder;
  let dir: string;
  let verifier: SignatureVerifier;
  let chain: Chain;

  beforeEach(async () => {
    params = testParams({ maxBlockTxs: 100 });
    b = new ChainBuilder(params);
    dir = mkdtempSync(join(tmpdir(), 'vppchain-pipelined-'));
    verifier = new SignatureVerifier({ chainId: params.chainId, genesisHash: genesisBlock(params).hash }, 2);
    chain = await Chain.open(dir, params, { verifier, now: () => GENESIS_TIME + 365 * 86_400_000 });
  });
  afterEach(async () => {
    await chain.close();
    await verifier.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('accepted');
      },
      (e: unknown) => e as BlockError,
    );

  it('a bad signature is the verdict even when execution or the state root fails too', async () => {
    const good = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const tooHigh = b.transfer(keys.vpp1, keys.vpp2, 5n, 7n);
    // tx 0 fails execution (nonce), tx 1 carries a bad signature: the signature is the verdict, as before.
    const both = b.next(b.genesisId, { txs: [tooHigh, forge(good)], skipExecution: true });
    let err = await refusal(chain.processBlock(both));
    expect(err.code).toBe(BlockErrorCode.INVALID_TX);
    expect(err.txError?.code).toBe(TxErrorCode.BAD_SIGNATURE);
    expect(err.message).toContain('tx 1');
    // A wrong state root and a bad signature: the signature.
    const rooted = b.next(b.genesisId, { txs: [forge(good)], stateRoot: new Uint8Array(32) });
    err = await refusal(chain.processBlock(rooted));
    expect(err.txError?.code).toBe(TxErrorCode.BAD_SIGNATURE);
    // Valid signatures: execution's verdict.
    const nonce = b.next(b.genesisId, { txs: [tooHigh], skipExecution: true });
    err = await refusal(chain.processBlock(nonce));
    expect(err.txError?.code).toBe(TxErrorCode.NONCE_TOO_HIGH);
    expect(await chain.processBlock(b.next(b.genesisId, { txs: [good] }))).toBe('head');
  });

  it('a batch queued at once imports in order and verifies each signature once', async () => {
    const blocks = b.transferChain(b.genesisId, 12, 8);
    const outcomes = await Promise.all(blocks.map((blk) => chain.processBlock(blk)));
    expect(outcomes).toEqual(Array(12).fill('head'));
    expect(chain.height).toBe(12);
    expect(verifier.stats.verified).toBe(96);
  });

  it('a queued block with a bad signature is refused and its descendants with it; earlier blocks stay', async () => {
    const first = b.next(b.genesisId, { txs: [b.transfer(keys.vpp1, keys.vpp2, 1n, 0n)] });
    const bad = b.next(b.idOf(first), { txs: [forge(b.transfer(keys.vpp1, keys.vpp2, 1n, 1n))] });
    const after = b.next(b.idOf(bad), {
      txs: [b.transfer(keys.vpp1, keys.vpp2, 1n, 1n)],
      skipExecution: true,
    });
    const [a, e1, e2] = await Promise.allSettled([first, bad, after].map((blk) => chain.processBlock(blk)));
    expect(a).toEqual({ status: 'fulfilled', value: 'head' });
    expect((e1 as PromiseRejectedResult).reason.txError?.code).toBe(TxErrorCode.BAD_SIGNATURE);
    expect((e2 as PromiseRejectedResult).reason).toBeInstanceOf(BlockError);
    expect(chain.tip.id).toBe(b.idOf(first));
  });

  it('asks for each signature once across the prefetch and the connection, prefetched or not', async () => {
    const asked: string[] = [];
    const counting = {
      verifyTxs: (txs: readonly TxEnvelope[]) => {
        asked.push(...txs.map((t) => t.id));
        return verifier.verifyTxs(txs);
      },
    };
    const dir2 = mkdtempSync(join(tmpdir(), 'vppchain-pipelined-'));
    const counted = await Chain.open(dir2, params, {
      verifier: counting,
      now: () => GENESIS_TIME + 365 * 86_400_000,
    });
    try {
      const blocks = b.transferChain(b.genesisId, 10, 4);
      // A run (range sync), blocks one by one, and a child that arrives before its parent: an orphan is not
      // prefetched, so its signatures are asked for when it connects, and then only.
      const run = await counted.processBlocks(blocks.slice(0, 6));
      expect(run.map((o) => o.status)).toEqual(Array(6).fill('fulfilled'));
      expect(await counted.processBlock(blocks[6]!)).toBe('head');
      await refusal(counted.processBlock(blocks[8]!));
      expect(await counted.processBlock(blocks[7]!)).toBe('head');
      expect(await counted.processBlock(blocks[9]!)).toBe('head');
      expect(counted.height).toBe(10);
      const all = blocks.flatMap((blk) => blk.txs.map((t) => t.id));
      expect([...asked].sort()).toEqual([...all].sort());
    } finally {
      await counted.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('a body mutated in transit never lends its verdicts to the real block with the same header', async () => {
    const real = b.next(b.genesisId, { txs: [b.transfer(keys.vpp1, keys.vpp2, 1n, 0n)] });
    const mutated: Block = { ...real, txs: [forge(real.txs[0]!)] };
    // Both prefetched (same header, known parent); the real one imports first, with its own verdicts.
    const [first, second] = await Promise.allSettled([chain.processBlock(real), chain.processBlock(mutated)]);
    expect(first).toEqual({ status: 'fulfilled', value: 'head' });
    expect((second as PromiseRejectedResult).reason.code).toBe(BlockErrorCode.ALREADY_KNOWN);
    // The other order: the mutated body is refused by its Merkle root, the real one still imports.
    const next = b.next(b.idOf(real), { txs: [b.transfer(keys.vpp1, keys.vpp2, 1n, 1n)] });
    const bad: Block = { ...next, txs: [forge(next.txs[0]!)] };
    const [m, r] = await Promise.allSettled([chain.processBlock(bad), chain.processBlock(next)]);
    expect((m as PromiseRejectedResult).reason.code).toBe(BlockErrorCode.BAD_TX_ROOT);
    expect(r).toEqual({ status: 'fulfilled', value: 'head' });
  });

  it('verifies ahead only blocks with the required difficulty on a known parent', async () => {
    const txs = [b.transfer(keys.vpp1, keys.vpp2, 1n, 0n)];
    // An orphan (unknown parent) and a block with the wrong bits are not verified ahead, nor at import.
    const orphanParent = b.next(b.genesisId, {});
    const orphan = b.next(b.idOf(orphanParent), { txs });
    await refusal(chain.processBlock(orphan));
    const wrongBits = b.next(b.genesisId, { txs, bits: 0x2000ffff });
    expect((await refusal(chain.processBlock(wrongBits))).code).toBe(BlockErrorCode.WRONG_DIFFICULTY);
    expect(verifier.stats.verified).toBe(0);
  });

  it('while the workers are busy, what is asked for waits and goes in one batch', async () => {
    const one = new SignatureVerifier(b.domain, 1);
    try {
      const txs = Array.from({ length: 260 }, (_, i) => b.transfer(keys.vpp1, keys.vpp2, 1n, BigInt(i)));
      const first = one.verifyTxs(txs.slice(0, 200)); // one batch, ~200 verifications in flight
      const later: Promise<boolean[]>[] = [];
      for (let turn = 0; turn < 6; turn++) {
        await new Promise((r) => setImmediate(r));
        later.push(one.verifyTxs(txs.slice(200 + 10 * turn, 210 + 10 * turn)));
      }
      const verdicts = [...(await first), ...(await Promise.all(later)).flat()];
      expect(verdicts).toEqual(Array(260).fill(true));
      // One message per turn would be 7 batches; the six later turns arrive while the first is verified.
      expect(one.stats.batches).toBeLessThan(7);
      expect(one.stats.verified).toBe(260);
    } finally {
      await one.close();
    }
  });

  it('packs a batch into one buffer and unpacks the same bytes', () => {
    const txs = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([9])];
    const packed = packBatch(4, txs);
    expect(packed.id).toBe(4);
    expect(unpackBatch(packed).map((t) => [...t])).toEqual([[1, 2, 3], [], [9]]);
  });
});
