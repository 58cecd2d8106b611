// The node exports how often range sync stopped because a chain moved under it (p2p/sync.ts ChainMoved): an
// operator sees reorganisations racing the sync, which cost no peer anything, as a counter read at scrape.
import { afterEach, describe, expect, it } from 'vitest';
import { Mempool } from '../../../consensus/mempool.ts';
import { NodeMetrics } from '../../../node/metrics.ts';
import { openTestChain, type TestChain, testParams } from '../../helpers/builder.ts';

describe('vpp_sync_chain_moved_total', () => {
  let tc: TestChain | undefined;
  afterEach(() => tc?.close());

  it("reads the sync service's count at each scrape", async () => {
    const params = testParams();
    tc = await openTestChain(params);
    const pool = new Mempool({ params, headState: tc.chain.headState, verifier: tc.verifier });
    const idle = { peers: 0, peerId: null, syncing: false, mining: false, hashRate: 0 };
    let moves = 0;
    const metrics = new NodeMetrics({
      chain: tc.chain,
      mempool: pool,
      activity: () => idle,
      syncChainMoves: () => moves,
    });
    const scrape = async () => Number(/^vpp_sync_chain_moved_total (\d+)$/m.exec(await metrics.text())?.[1]);
    expect(await scrape()).toBe(0);
    moves = 3;
    expect(await scrape()).toBe(3);
  });
});
