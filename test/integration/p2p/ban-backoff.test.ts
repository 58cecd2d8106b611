// A node banned by a configured peer is refused at every connection; instead of redialling it every 3 s
// for the whole ban (a connect and a disconnect logged each time, on both sides), it spaces its redials
// out and says so once (configured-peers.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { REDIAL_HOLD_BASE_MS, REFUSALS_REPORTED } from '../../../p2p/configured-peers.ts';
import { PeerAction } from '../../../p2p/peers.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

describe('a node banned by a configured peer', () => {
  let net: TestNet | undefined;
  afterEach(async () => {
    await net?.close();
    net = undefined;
  });

  it(
    'is told once, and redials no sooner than the growing hold',
    async () => {
      net = await startNet(netParams(), [{}, {}]);
      const [a, b] = net.nodes.map((n) => n.network!);
      await waitFor('connected', () => a!.peerCount === 1 && b!.peerCount === 1);
      const connects: number[] = [];
      const reports: [string, number, number][] = [];
      let reportedAt = 0; // in the listener: the hold starts in the same call
      a!.on('peer:connect', () => connects.push(Date.now()));
      a!.on('refusing', (peer: string, inRow: number, holdMs: number) => {
        reports.push([peer, inRow, holdMs]);
        reportedAt = Date.now();
      });
      b!.penalise(a!.peerId, PeerAction.Fatal, 'banned by the test');

      await waitFor('the refusals reported', () => reports.length > 0, 60_000);
      const hold = REDIAL_HOLD_BASE_MS * 2 ** (REFUSALS_REPORTED - 1);
      expect(reports).toEqual([[b!.peerId, REFUSALS_REPORTED, hold]]);
      const before = connects.length;
      // The next redial waits out the hold (a lower bound: a busy machine only makes the wait longer).
      await waitFor('the next redial', () => connects.length > before, 60_000 + hold);
      expect(connects[before]! - reportedAt).toBeGreaterThanOrEqual(hold - 50);
      expect(reports).toHaveLength(1);
    },
    scaled(150_000),
  );
});
