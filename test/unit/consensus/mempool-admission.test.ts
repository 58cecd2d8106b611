// Admission refuses at submission what cannot be mined, each with its code and a message in human terms:
// an invalid sender key (before any state check), a bid or cancel whose gate is closed for the next block
// whatever its nonce position, an interval beyond the horizon, a nonce beyond the window.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import { cancelBidCall, placeBidCall } from '../../../contracts-vm/abi/calls.ts';
import { fromHex } from '../../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../../protocol/errors.ts';
import { isValidPublicKey } from '../../../protocol/keys.ts';
import { envelope, type TxEnvelope } from '../../../protocol/tx.ts';
import {
  ChainBuilder,
  GENESIS_TIME,
  keys,
  openTestChain,
  type TestChain,
  testParams,
} from '../../helpers/builder.ts';

const params = testParams(); // 10 s intervals, bids up to 4 intervals ahead
const steps = [{ qty: 1000, price: 250_000 }];

describe('mempool admission', () => {
  let b: ChainBuilder;
  let tc: TestChain;
  let pool: Mempool;
  const clock = { now: 0 };

  beforeEach(async () => {
    b = new ChainBuilder(params);
    tc = await openTestChain(params);
    clock.now = GENESIS_TIME + 25_000; // interval 2 is in delivery: its gate closed 5 s ago
    pool = new Mempool({
      params,
      headState: tc.chain.headState,
      verifier: tc.verifier,
      now: () => clock.now,
      nextBlockContext: () => ({
        height: tc.chain.height + 1,
        timestamp: Math.max(clock.now, tc.chain.medianTimePast(tc.chain.tip) + 1),
        miner: keys.miner.address,
        params,
      }),
    });
  });
  afterEach(() => tc.close());

  const refusal = async (env: TxEnvelope): Promise<TxError> => {
    const e = await pool.add(env).then(
      () => undefined,
      (x: unknown) => x,
    );
    if (!(e instanceof TxError)) throw new Error(`expected a TxError, got ${String(e)}`);
    return e;
  };

  it('refuses a bid for a closed interval queued behind a pending transfer, as at the next nonce', async () => {
    await pool.add(b.transfer(keys.vpp1, keys.vpp2, 5n, 0n));
    const queued = await refusal(b.call(keys.vpp1, placeBidCall(2n, 'buy', steps), 1n));
    expect(queued.code).toBe(TxErrorCode.GATE_CLOSED);
    expect(queued.message).toBe(
      'the gate of interval 2 closed at 2026-01-01T00:00:20.000Z, 5 s ago: bids, cancellations and prices for it are no longer accepted',
    );
    const next = await refusal(b.call(keys.vpp2, placeBidCall(2n, 'sell', steps), 0n));
    expect(next.code).toBe(TxErrorCode.GATE_CLOSED);
    // a cancellation and a nonce gap change nothing: the rule needs no state
    const cancel = await refusal(b.call(keys.vpp1, cancelBidCall(1n), 3n));
    expect(cancel.code).toBe(TxErrorCode.GATE_CLOSED);
    expect(cancel.message).toContain('interval 1 closed at 2026-01-01T00:00:10.000Z, 15 s ago');
    // an open interval behind the same transfer is admitted
    await pool.add(b.call(keys.vpp1, placeBidCall(3n, 'buy', steps), 1n));
    expect(pool.size).toBe(2);
  });

  it('uses the earliest time of the next block: a gate that the median time past has passed is closed', async () => {
    clock.now = GENESIS_TIME; // a clock behind the chain does not reopen a gate
    let parent = b.genesisId;
    for (const blk of b.extend(parent, 12)) {
      await tc.chain.processBlock(blk);
      parent = b.idOf(blk);
    }
    // median time past of 12 blocks a second apart: 7 s; the next block is at 7.001 s at the earliest
    const e = await refusal(b.call(keys.vpp1, placeBidCall(0n, 'buy', steps), 0n));
    expect(e.code).toBe(TxErrorCode.GATE_CLOSED);
    expect(e.message).toContain('the gate of interval 0 closed at 2026-01-01T00:00:00.000Z, 7 s ago');
  });

  it('refuses an interval beyond the horizon at any nonce position, saying when it opens', async () => {
    const e = await refusal(b.call(keys.vpp1, placeBidCall(52n, 'buy', steps), 4n));
    expect(e.code).toBe(TxErrorCode.INTERVAL_TOO_FAR);
    expect(e.message).toBe(
      'interval 52 is more than 4 intervals ahead of interval 2 (in delivery at 2026-01-01T00:00:25.000Z); it opens at 2026-01-01T00:08:00.000Z',
    );
    // A timing race like a closed gate: the peer that forwarded it may have a clock a little ahead.
    expect(e.verdict).toBe('ignore');
  });

  it('checks the sender key before any state: a prefix-04 key or a point off the curve is BAD_PUBKEY, not INSUFFICIENT_FUNDS', async () => {
    const good = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
    const off = fromHex(`02${'00'.repeat(31)}05`); // x = 5: x³ + 7 is not a square mod p
    const prefix04 = Uint8Array.from(keys.vpp1.publicKey);
    prefix04[0] = 4;
    expect(isValidPublicKey(off)).toBe(false);
    for (const senderPubKey of [off, prefix04]) {
      const e = await refusal(envelope({ ...good.tx, senderPubKey }));
      expect(e.code).toBe(TxErrorCode.BAD_PUBKEY);
      expect(e.message).toMatch(/is not a compressed secp256k1 point \(prefix 02 or 03, on the curve\)$/);
      expect(e.verdict).toBe('reject');
    }
    // cheapest first: a bad key wins over a closed gate, a closed gate over a nonce and funds
    const closedBadKey = b.call(keys.vpp1, placeBidCall(1n, 'buy', steps), 0n);
    expect((await refusal(envelope({ ...closedBadKey.tx, senderPubKey: off }))).code).toBe(
      TxErrorCode.BAD_PUBKEY,
    );
    const closedFarBroke = b.call(keys.miner, placeBidCall(1n, 'buy', steps), 99n);
    expect((await refusal(closedFarBroke)).code).toBe(TxErrorCode.GATE_CLOSED);
  });

  it('admits nonces up to 16 past the pending nonce and refuses beyond, naming the nonce to send first', async () => {
    await pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, 0n));
    await pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, 1n));
    const far = await refusal(b.transfer(keys.vpp1, keys.vpp2, 1n, 19n));
    expect(far.code).toBe(TxErrorCode.NONCE_TOO_HIGH);
    expect(far.message).toBe(
      "nonce 19 is more than 16 ahead of the sender's pending nonce 2 (account nonce 0, 2 pending after it): send nonce 2 first",
    );
    await pool.add(b.transfer(keys.vpp1, keys.vpp2, 1n, 18n));
    // the window follows the pending nonce, not the gap's far end
    expect((await refusal(b.transfer(keys.vpp1, keys.vpp2, 1n, 19n))).code).toBe(TxErrorCode.NONCE_TOO_HIGH);
    expect(pool.size).toBe(3);
  });
});
