// Chain interval k -> a slice of the simulated day. A devnet's delivery interval lasts seconds (20 s in
// genesis.json), a day-ahead period 30 minutes; each chain interval stands for `minutesPerInterval` minutes
// of the day, starting at `startMinute` for k = 0 and wrapping round midnight (the day-ahead plan repeats
// every day). An interval never straddles two day-ahead periods: minutesPerInterval must divide the period.
import type { Scenario } from '../market/types.ts';

export interface IntervalMapping {
  /** Simulated minutes of the day per chain interval (divides the day-ahead period length). */
  minutesPerInterval: number;
  /** Minute of the day where chain interval 0 starts (a multiple of minutesPerInterval). */
  startMinute: number;
}

export const DEFAULT_MAPPING: IntervalMapping = { minutesPerInterval: 5, startMinute: 0 };

export interface Slice {
  interval: bigint;
  /** Day number since interval 0's day (0, 1, ...). */
  day: number;
  /** First minute of the day in the slice, and its length. */
  startMinute: number;
  minutes: number;
  /** Day-ahead period containing the slice. */
  period: number;
  /** Share of that period covered by the slice (minutes / periodMinutes). */
  fraction: number;
}

export function checkMapping(m: IntervalMapping, periodMinutes: number): void {
  const { minutesPerInterval: n, startMinute } = m;
  if (!Number.isInteger(n) || n < 1 || periodMinutes % n !== 0)
    throw new RangeError(
      `minutesPerInterval must be a whole divisor of the ${periodMinutes}-minute period (got ${n})`,
    );
  if (!Number.isInteger(startMinute) || startMinute < 0 || startMinute >= 1440 || startMinute % n !== 0)
    throw new RangeError(`startMinute must be a multiple of ${n} in [0, 1440) (got ${startMinute})`);
}

/** The slice of the day simulated by chain interval k (k >= 0). */
export function sliceOf(k: bigint, m: IntervalMapping, scenario: Pick<Scenario, 'periodMinutes'>): Slice {
  checkMapping(m, scenario.periodMinutes);
  if (k < 0n) throw new RangeError(`interval must be >= 0 (got ${k})`);
  const perDay = BigInt(1440 / m.minutesPerInterval);
  const offset = BigInt(m.startMinute / m.minutesPerInterval) + k;
  const day = Number(offset / perDay);
  const startMinute = Number(offset % perDay) * m.minutesPerInterval;
  return {
    interval: k,
    day,
    startMinute,
    minutes: m.minutesPerInterval,
    period: Math.floor(startMinute / scenario.periodMinutes),
    fraction: m.minutesPerInterval / scenario.periodMinutes,
  };
}

/** The slice just before `s` (same length; before midnight of day 0 it is the end of day -1). */
export function previousSlice(s: Slice, periodMinutes: number): Slice {
  const wraps = s.startMinute === 0;
  const startMinute = wraps ? 1440 - s.minutes : s.startMinute - s.minutes;
  return {
    interval: s.interval - 1n,
    day: wraps ? s.day - 1 : s.day,
    startMinute,
    minutes: s.minutes,
    period: Math.floor(startMinute / periodMinutes),
    fraction: s.fraction,
  };
}
