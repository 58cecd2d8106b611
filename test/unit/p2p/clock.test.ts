// The clock check: each peer's fresh blocks give one vote (the median of its samples), the estimate is the
// median of the votes, and the node is skewed when that is further off than the drift rule.
import { describe, expect, it } from 'vitest';
import {
  CLOCK_SAMPLE_WINDOW_MS,
  ClockEstimator,
  describeClock,
  MIN_CLOCK_SAMPLES,
  median,
} from '../../../p2p/clock.ts';

const LIMIT = 15_000;

function estimator(start = 1_000_000) {
  const clock = { now: start };
  return { clock, est: new ClockEstimator(LIMIT, () => clock.now) };
}

describe('ClockEstimator', () => {
  it('no estimate before enough samples; blocks a second or two old are no warning', () => {
    const { clock, est } = estimator();
    for (let i = 0; i < MIN_CLOCK_SAMPLES - 1; i++) est.sample('a', clock.now - 1_200);
    expect(est.report()).toMatchObject({ offsetMs: null, skewed: false, samples: MIN_CLOCK_SAMPLES - 1 });
    est.sample('b', clock.now - 800);
    expect(est.report()).toEqual({ offsetMs: 1_000, samples: 5, peers: 2, limitMs: LIMIT, skewed: false });
  });

  it('our clock 30 s behind the peers (their blocks look 30 s early): skewed, negative offset', () => {
    const { clock, est } = estimator();
    for (const peer of ['a', 'b', 'c'])
      for (let i = 0; i < 3; i++) est.sample(peer, clock.now + 30_000 - 500);
    const r = est.report();
    expect(r.offsetMs).toBe(-29_500);
    expect(r.skewed).toBe(true);
    expect(describeClock(r)).toMatch(/29\.5 s behind its peers' block times/);
  });

  it('our clock 30 s ahead: skewed, positive offset; one wrong peer among three does not move it', () => {
    const ahead = estimator();
    for (const peer of ['a', 'b'])
      for (let i = 0; i < 3; i++) ahead.est.sample(peer, ahead.clock.now - 31_000);
    expect(ahead.est.report()).toMatchObject({ offsetMs: 31_000, skewed: true });
    expect(describeClock(ahead.est.report())).toMatch(/ahead of .*peers hold the blocks this node mines/);

    const { clock, est } = estimator();
    for (let i = 0; i < 4; i++) {
      est.sample('good-1', clock.now - 700);
      est.sample('good-2', clock.now - 900);
      est.sample('wrong', clock.now + 60_000);
    }
    expect(est.report()).toMatchObject({ offsetMs: 700, peers: 3, skewed: false });
  });

  it('forgets samples older than the window: a clock that was fixed is no longer reported', () => {
    const { clock, est } = estimator();
    for (let i = 0; i < 6; i++) est.sample('a', clock.now - 40_000);
    expect(est.report().skewed).toBe(true);
    clock.now += CLOCK_SAMPLE_WINDOW_MS + 1;
    expect(est.report()).toMatchObject({ offsetMs: null, samples: 0, skewed: false });
    for (let i = 0; i < 6; i++) est.sample('a', clock.now - 500);
    expect(est.report()).toMatchObject({ offsetMs: 500, skewed: false });
  });

  it('keeps a bounded number of samples per peer (the newest)', () => {
    const { clock, est } = estimator();
    for (let i = 0; i < 100; i++) est.sample('a', clock.now - 50_000);
    for (let i = 0; i < 8; i++) est.sample('a', clock.now - 100);
    expect(est.report()).toMatchObject({ offsetMs: 100, samples: 8, skewed: false });
  });

  it('median: middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
