// Configured peers are redialled on the reconnect timer; one that keeps closing our connections at once
// (it banned us) is redialled less and less often, up to once a minute, the operator is told once, and a
// connection that lasts ends the back-off. A close of ours (we banned the peer) is no refusal.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { beforeAll, describe, expect, it } from 'vitest';
import { PeerAdmission } from '../../../p2p/admission.ts';
import {
  ConfiguredPeers,
  MAX_REDIAL_HOLD_MS,
  REDIAL_HOLD_BASE_MS,
  REFUSALS_REPORTED,
  REFUSED_WITHIN_MS,
} from '../../../p2p/configured-peers.ts';
import { PeerAction, PeerScores } from '../../../p2p/peers.ts';

let banning: PeerId;
let friendly: PeerId;
beforeAll(async () => {
  [banning, friendly] = await Promise.all(
    [0, 1].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))),
  );
});

function setup() {
  const clock = { t: 1_000_000 };
  const dials: string[] = [];
  const reports: [string, number, number][] = [];
  const scores = new PeerScores();
  const admission = new PeerAdmission({ scores, connections: () => [] });
  const addrs = [banning, friendly].map((p) => `/ip4/10.0.0.1/tcp/30300/p2p/${p}`);
  const peers = new ConfiguredPeers(
    {
      libp2p: {
        dial: async (ma) => {
          dials.push(ma.toString());
          return undefined as never;
        },
        getConnections: () => [],
      },
      admission,
      direct: new Set(),
      stopped: () => false,
      now: () => clock.t,
      refusing: (peer, inRow, holdMs) => reports.push([peer, inRow, holdMs]),
    },
    [],
  );
  for (const a of addrs) peers.add(a);
  /** Reconnect-timer ticks every 3 s over `ms`; returns the dials of `peer` they made. */
  const tick = async (ms: number, peer: PeerId) => {
    const before = dials.length;
    for (let end = clock.t + ms; clock.t < end; clock.t += 3000) peers.dialAll();
    await new Promise((r) => setImmediate(r));
    return dials.slice(before).filter((d) => d.endsWith(peer.toString())).length;
  };
  return { clock, dials, reports, peers, scores, tick };
}

describe('ConfiguredPeers', () => {
  it('a peer that closes our connections at once is redialled less often, up to once a minute, and reported once', async () => {
    const { clock, reports, peers, tick } = setup();
    // Every connection to `banning` is closed 100 ms after it opens, as a gater that banned us does.
    const refuse = () => {
      peers.connected(banning.toString());
      clock.t += 100;
      peers.disconnected(banning.toString());
    };
    const holds: number[] = [];
    for (let i = 1; i <= 7; i++) {
      refuse();
      holds.push(Math.min(REDIAL_HOLD_BASE_MS * 2 ** (i - 1), MAX_REDIAL_HOLD_MS));
      // No redial while held; one at the first tick after the hold.
      expect(await tick(holds.at(-1)! - 200, banning)).toBe(0);
      expect(await tick(3000, banning)).toBeGreaterThan(0);
    }
    expect(holds).toEqual([3000, 6000, 12_000, 24_000, 48_000, 60_000, 60_000]);
    expect(reports).toEqual([[banning.toString(), REFUSALS_REPORTED, 12_000]]);
    // The friendly peer, dialled on every tick all along (nothing held it), is untouched.
    expect(await tick(9000, friendly)).toBe(3);
  });

  it('a connection that lasts ends the back-off; closes of ours and unconfigured peers are not counted', async () => {
    const { clock, peers, reports, scores, tick } = setup();
    for (let i = 0; i < 4; i++) {
      peers.connected(banning.toString());
      clock.t += 100;
      peers.disconnected(banning.toString());
    }
    expect(await tick(20_000, banning)).toBe(0); // held 24 s
    peers.connected(banning.toString());
    clock.t += REFUSED_WITHIN_MS;
    peers.disconnected(banning.toString()); // lasted: redialled at once again
    expect(await tick(9000, banning)).toBe(3);
    // A short connection of a peer nobody configured changes nothing (and keeps nothing in memory).
    const stranger = 'not-configured';
    peers.connected(stranger);
    peers.disconnected(stranger);
    expect(await tick(9000, friendly)).toBe(3);
    // A peer we banned: its connections end at once because we close them, which is no refusal of theirs.
    scores.penalise(friendly.toString(), PeerAction.Fatal);
    for (let i = 0; i < REFUSALS_REPORTED + 1; i++) {
      peers.connected(friendly.toString());
      clock.t += 100;
      peers.disconnected(friendly.toString());
    }
    expect(reports.map(([peer]) => peer)).toEqual([banning.toString()]); // the four closes above
  });
});
