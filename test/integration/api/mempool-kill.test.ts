// The mempool survives SIGKILL (test/helpers/mempool-kill.ts): 300 bids from 75 VPPs, the accepting node
// process killed after every 100th 202 and restarted; no block is mined until the last restart, so every
// bid must come back from the node's disk. All 300 must end confirmed (none dropped, none missing) and be
// found in their auctions in the ledger. The 1,000-bid run (ten kills) is `npm run bench mempool-kill`.
import { describe, expect, it } from 'vitest';
import { runKillScenario } from '../../helpers/mempool-kill.ts';
import { scaled } from '../../helpers/time.ts';

describe('the mempool survives SIGKILL', () => {
  it(
    '300 bids, the accepting node killed after every 100th 202: all in their auctions, none dropped',
    async () => {
      const r = await runKillScenario({ vpps: 75, intervals: 4, killEvery: 100, clients: 12 });
      console.log(
        `mempool kill: ${r.bids} bids, ${r.kills} SIGKILLs, ${r.resent} requests resent after a kill (${r.resentAlreadyKnown} already stored), found ${r.found}, lost ${r.bids - r.found}`,
      );
      expect(r.acknowledged).toBe(300);
      expect(r.kills).toBe(3);
      expect(r.pendingAfterLastRestart).toBe(300);
      expect(r.statuses).toEqual({ confirmed: 300 });
      expect(r.found).toBe(300);
    },
    scaled(180_000),
  );
});
