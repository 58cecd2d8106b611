// The one block executor (contracts-vm/transition.ts): what a failing transaction means in each mode, and
// that an error which is not a transaction's verdict is never swallowed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountKey, getAccount } from '../../../contracts-vm/accounts.ts';
import { CONTRACTS } from '../../../contracts-vm/contracts/index.ts';
import { Overlay, type StateReader } from '../../../contracts-vm/state.ts';
import { blockContext, executeBlock, type TxFailureRule } from '../../../contracts-vm/transition.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { BlockError, BlockErrorCode, TxErrorCode } from '../../../protocol/errors.ts';
import { ChainBuilder, GENESIS_TIME, keys, testParams } from '../../helpers/builder.ts';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('block executor', () => {
  const params = testParams();
  const b = new ChainBuilder(params);
  const genesis = b.stateAfter(b.genesisId);
  // The context the builder gives the first block on genesis, so results can be compared with it.
  const ctx = blockContext(
    { height: 1, timestamp: GENESIS_TIME + params.blockTimeMs },
    keys.miner.address,
    params,
  );
  const first = b.transfer(keys.vpp1, keys.vpp2, 100n, 0n);
  const ahead = b.transfer(keys.vpp1, keys.vpp3, 100n, 5n); // nonce from the future: a TxError
  const other = b.transfer(keys.vpp2, keys.vpp3, 50n, 0n);

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('skips a failing transaction in template mode and leaves no trace of it', () => {
    const view = new Overlay(genesis);
    const { txs, receipts } = executeBlock(view, ctx, [first, ahead, other], 'skip-tx');
    expect(txs.map((t) => t.id)).toEqual([first.id, other.id]);
    expect(receipts.txs).toHaveLength(2);
    expect(getAccount(view, keys.vpp1.address).nonce).toBe(1n);
    expect(getAccount(view, keys.vpp3.address).balance).toBe(1_000_050n);
    // The template's state is exactly that of a valid block holding the transactions it kept.
    const valid = b.next(b.genesisId, { txs: [first, other] });
    expect(toHex(genesis.rootWith(view.changes))).toBe(toHex(valid.header.stateRoot));
  });

  it('turns the first failing transaction into BlockError(INVALID_TX) in validation mode', () => {
    const err = thrownBy(() =>
      executeBlock(new Overlay(genesis), ctx, [first, ahead, other], 'invalidates-block'),
    );
    expect(err).toBeInstanceOf(BlockError);
    expect(err).toMatchObject({ code: BlockErrorCode.INVALID_TX, txIndex: 1 });
    expect((err as BlockError).txError?.code).toBe(TxErrorCode.NONCE_TOO_HIGH);
  });

  it.each<TxFailureRule>(['skip-tx', 'invalidates-block'])(
    'lets an error that is not a transaction verdict escape in %s mode',
    (mode) => {
      const broken = new Error('state read failed');
      const vpp2 = toHex(accountKey(keys.vpp2.address));
      const failing: StateReader = {
        get: (key) => {
          if (toHex(key) === vpp2) throw broken;
          return genesis.get(key);
        },
      };
      expect(() => executeBlock(new Overlay(failing), ctx, [first, other], mode)).toThrow(broken);
    },
  );

  it('reports a failing end-of-block hook as BlockError(HOOK_FAILED) in template mode too', () => {
    const hooked = CONTRACTS.all.find((c) => c.endBlock);
    expect(hooked).toBeDefined();
    vi.spyOn(hooked!, 'endBlock').mockImplementation(() => {
      throw new Error('clearing bug');
    });
    const err = thrownBy(() => executeBlock(new Overlay(genesis), ctx, [first], 'skip-tx'));
    expect(err).toBeInstanceOf(BlockError);
    expect(err).toMatchObject({
      code: BlockErrorCode.HOOK_FAILED,
      message: expect.stringMatching(/clearing bug/),
    });
  });
});
