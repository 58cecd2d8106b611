// What the demo records of each completed interval and of the whole run (node/system-demo.ts): printed by
// console.ts, published for the dashboard by publish.ts, written as CSV by exports.ts and as report.html by
// report.ts, and returned to the caller (`--json-out`).
import type { AuctionView } from '../../client/index.ts';

export interface IntervalReport {
  /** 1, 2, ... from the run's start. */
  n: number;
  /** The chain's interval number. */
  interval: string;
  /** Minute of the simulated day where it starts (from 00:00 of the run's first day; may pass 1440). */
  minute: number;
  /** Simulated minutes it stands for. */
  minutes: number;
  /** Real time of its delivery window (ms since the epoch). */
  deliveryStart: number;
  vpps: {
    name: string;
    address: string;
    /** The deviation the bid was built on, Wh: + surplus, - shortfall. */
    deviationWh: number;
    bid: { side: string; steps: number; wh: number } | null;
    /** What the VPP's own batteries covered of the bid (Wh), at their cost below the grid's price. */
    ownWh: number;
    /** The net position the grid metered, Wh (+ export / - import). */
    meteredWh: number;
  }[];
  auction: AuctionView | null;
  /** Timestamps of the clearing block and of its parent: the clearing is the first block at or past the gate. */
  clearingBlockTime: number | null;
  clearingParentTime: number | null;
  bills: {
    name: string;
    /** Base units, + received / - paid, as the chain reports it. */
    total: string;
    lines: { kind: string; wh: string; amount: string }[];
    clearingHeight: number;
    meteringHeight: number;
  }[];
}

export interface DemoSummary {
  intervals: number;
  blocks: number;
  reorgs: number;
  /** Sum of the balances of every genesis account (miners are genesis accounts too) at start and end. */
  supply: { start: string; end: string | null };
  vpps: {
    name: string;
    address: string;
    prosumers: number;
    traditionalGbp: number;
    p2pGbp: number;
    savingGbp: number;
    /** Σ of the prosumers' real-time shares, base units (+ paid). */
    realtimeUnits: string;
    /** Sum of the VPP's bill totals over the reported intervals, read from its node at the end (null if
     *  the nodes were already gone); independent of the per-interval reports it should agree with. */
    billTotalUnits: string | null;
  }[];
}

/** How a run maps onto the simulated day, and how it is labelled. */
export interface RunInfo {
  name: string;
  /** The scenario file, if the run came from one. */
  file?: string;
  framework: string;
  startMinute: number;
  minutesPerInterval: number;
  intervalMs: number;
  blockTimeMs: number;
  minConfirmations: number;
  /** Intervals asked for (0: until stopped). */
  intervals: number;
}

/** "HH:MM" of a minute count (wrapping at midnight). */
export const clock = (minute: number): string => {
  const m = ((minute % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};
