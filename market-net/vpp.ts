// The VPP's side of a networked day-ahead market: listen, wait for the roster's prosumers to connect,
// run the weak market over the secure-sum session, and return the result — aggregates only unless the
// research mode asks the prosumers to reveal their schedules. The VPP never loads a prosumer's data:
// all it has is the roster file (tariffs, ids, public keys).
import type { PrivateKey } from '@libp2p/interface';
import type { ClearingOptions } from '../market/clearing.ts';
import { PoolSession } from '../market/pool/session.ts';
import type { DayAheadResult } from '../market/result.ts';
import type { VppRoster } from '../market/scenario.ts';
import { clearWeak } from '../market/weak.ts';
import { NetworkCoordinator } from './coordinator.ts';

/** Nobody to clear with: not a bug, a deployment problem to report plainly. */
export class NoProsumersError extends Error {
  override name = 'NoProsumersError';
}

export interface NetworkMarketOptions {
  roster: VppRoster;
  privateKey: PrivateKey;
  listen: string[];
  /** How long to wait for the roster's prosumers before clearing with those present. */
  waitMs: number;
  clearing?: Partial<ClearingOptions>;
  /** Research mode: ask for the prosumers' schedules (only those started with --allow-reveal send them). */
  reveal?: boolean;
  maskDegree?: number;
  setupDeadlineMs?: number;
  roundDeadlineMs?: number;
  onListening?: (addresses: string[]) => void;
  log?: (line: string) => void;
}

export async function clearOverNetwork(o: NetworkMarketOptions): Promise<DayAheadResult> {
  const { roster } = o;
  const coordinator = await NetworkCoordinator.start({
    privateKey: o.privateKey,
    listen: o.listen,
    roster: roster.members.map((m) => ({ id: m.id, identity: m.publicKey })),
    onChange: (served) => o.log?.(`${served} of ${roster.members.length} prosumers connected`),
    onBan: (peer, reason) => o.log?.(`banned host ${peer}: ${reason}`),
  });
  try {
    o.onListening?.(coordinator.multiaddrs);
    const present = await coordinator.waitForParties(o.waitMs);
    if (present === 0)
      throw new NoProsumersError(
        `no prosumer of the roster connected within ${Math.round(o.waitMs / 1000)} s`,
      );
    o.log?.(`clearing with ${present} of ${roster.members.length} prosumers`);
    const session = await PoolSession.open(coordinator, {
      tariffs: roster.tariffs,
      periodMinutes: roster.periodMinutes,
      method: o.clearing?.method ?? 'admm',
      roster: roster.members.map((m) => ({ id: m.id, identity: m.publicKey })),
      ...(o.maskDegree !== undefined ? { maskDegree: o.maskDegree } : {}),
      ...(o.setupDeadlineMs !== undefined ? { setupDeadlineMs: o.setupDeadlineMs } : {}),
      ...(o.roundDeadlineMs !== undefined ? { roundDeadlineMs: o.roundDeadlineMs } : {}),
    });
    const weak = await clearWeak(session, roster.tariffs, { ...o.clearing, reveal: o.reveal === true });
    return {
      scenario: {
        name: roster.name,
        currency: roster.currency,
        periods: roster.periods,
        periodMinutes: roster.periodMinutes,
        prosumers: roster.members.length,
        tariffSource: roster.tariffs.source,
      },
      frameworks: { weak },
      optimum: null,
      baseline: null,
    };
  } finally {
    await coordinator.close();
  }
}
