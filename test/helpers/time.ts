// How much slower than a quiet machine the suite may run. Deadlines (vitest's test and hook timeouts, and
// every deadline a test sets for its own waits: waitFor, child processes, browser waits, bounds on how long
// something may take) go through scaled(), which stretches them by the larger of
//   - VPPCHAIN_TEST_TIME_FACTOR (a number >= 1, default 1: `VPPCHAIN_TEST_TIME_FACTOR=3 npm test`), and
//   - the machine's load when the deadline is set: the 1-minute load average per core, from 1 to 6.
// The second is why the suite passes on a shared machine that someone else loads: a deadline only says when
// a test gives up waiting for a condition, so it must not measure the neighbours. Durations that shape a
// test's scenario (interval lengths) use stretched(), the explicit factor only, so that a busy moment does
// not make a test longer.
import { availableParallelism, loadavg } from 'node:os';

function readFactor(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const f = Number(raw);
  if (!Number.isFinite(f) || f < 1 || f > 100)
    throw new Error(`VPPCHAIN_TEST_TIME_FACTOR must be a number from 1 to 100, got '${raw}'`);
  return f;
}

export const TIME_FACTOR = readFactor(process.env.VPPCHAIN_TEST_TIME_FACTOR);

/** The largest stretch the load may add: past it, a deadline that still passes is a hang. */
export const MAX_LOAD_FACTOR = 6;

/** Runnable threads per core over the last minute, between 1 and MAX_LOAD_FACTOR. */
export function loadFactor(): number {
  const perCore = loadavg()[0]! / availableParallelism();
  return Math.min(MAX_LOAD_FACTOR, Math.max(1, perCore));
}

/** A deadline in ms for a quiet machine, stretched by the suite's time factor or the machine's load. */
export const scaled = (ms: number): number => Math.round(ms * Math.max(TIME_FACTOR, loadFactor()));

/** A duration that shapes a test's scenario, stretched by VPPCHAIN_TEST_TIME_FACTOR only. */
export const stretched = (ms: number): number => Math.round(ms * TIME_FACTOR);

/**
 * How far ahead to put a gate that submissions must beat: `fixedMs` (stretched), plus `perLoadMs` for each
 * unit of the load factor when the test starts (scaled: submitting slows down with the load), at most
 * `maxMs` (stretched).
 */
export const gateLead = (o: { fixedMs: number; perLoadMs: number; maxMs: number }): number =>
  Math.min(stretched(o.maxMs), stretched(o.fixedMs) + scaled(o.perLoadMs));
