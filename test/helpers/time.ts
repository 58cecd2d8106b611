// How much slower than a quiet machine the suite may run: VPPCHAIN_TEST_TIME_FACTOR (a number >= 1,
// default 1) multiplies vitest's test and hook timeouts (vitest.config.ts) and every deadline a test sets
// for its own waits (waitFor, child processes, browser waits) through scaled(). On a loaded machine:
// `VPPCHAIN_TEST_TIME_FACTOR=3 npm test`. Tests wait for conditions; this only moves when they give up.

function readFactor(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const f = Number(raw);
  if (!Number.isFinite(f) || f < 1 || f > 100)
    throw new Error(`VPPCHAIN_TEST_TIME_FACTOR must be a number from 1 to 100, got '${raw}'`);
  return f;
}

export const TIME_FACTOR = readFactor(process.env.VPPCHAIN_TEST_TIME_FACTOR);

/** A deadline in ms for a quiet machine, stretched by the suite's time factor. */
export const scaled = (ms: number): number => Math.round(ms * TIME_FACTOR);
