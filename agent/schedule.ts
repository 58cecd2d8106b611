// The VPP's day-ahead schedule as it commits it on chain (metering.commitSchedule): per chain interval the
// net position of its day-ahead plan, + export / - import, in integer Wh. The market's net position is a
// consumption (+ import, kWh per period); a chain interval takes its share of the period (timing.ts).
// Metering measures the VPP's real-time deviation against what was committed, so the real-time agent uses
// the same integers: its actual net position is this planned position plus its prosumers' deviations.
import { MAX_SCHEDULE_INTERVALS } from '../contracts-vm/abi/index.ts';
import type { FrameworkResult } from '../market/result.ts';
import { vppNetPosition } from '../market/result.ts';
import type { Scenario } from '../market/types.ts';
import { type IntervalMapping, sliceOf } from './timing.ts';
import { kwhToWh } from './units.ts';

/** What the plan needs: the day-ahead result, the scenario's period length, the interval mapping. */
export interface SchedulePlan {
  dayAhead: Pick<FrameworkResult, 'netPositionKwh'>;
  scenario: Pick<Scenario, 'periodMinutes'>;
  mapping: IntervalMapping;
}

/** The planned net position of chain interval k: - (net consumption of its period × the slice's share), Wh. */
export function plannedPositionWh(plan: SchedulePlan, k: bigint): number {
  const slice = sliceOf(k, plan.mapping, plan.scenario);
  const netImportKwh = vppNetPosition(plan.dayAhead)[slice.period]! * slice.fraction;
  return kwhToWh(-netImportKwh); // rounding is symmetric, and -0 never appears
}

/** One commitSchedule call: positions of intervals first, first + 1, … */
export interface ScheduleCommitment {
  firstInterval: bigint;
  positionsWh: bigint[];
}

/** The planned positions of intervals [first, first + count) as calls of at most `max` intervals each. */
export function scheduleCommitments(
  plan: SchedulePlan,
  first: bigint,
  count: number,
  max = MAX_SCHEDULE_INTERVALS,
): ScheduleCommitment[] {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`count must be at least 1 (got ${count})`);
  const out: ScheduleCommitment[] = [];
  for (let i = 0; i < count; i += max) {
    const firstInterval = first + BigInt(i);
    const n = Math.min(max, count - i);
    const positionsWh = Array.from({ length: n }, (_, j) =>
      BigInt(plannedPositionWh(plan, firstInterval + BigInt(j))),
    );
    out.push({ firstInterval, positionsWh });
  }
  return out;
}

/** Chain intervals in one simulated day under a mapping (a day of 5-minute intervals: 288). */
export const intervalsPerDay = (mapping: IntervalMapping): number => 1440 / mapping.minutesPerInterval;
