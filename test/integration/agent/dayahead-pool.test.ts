// The day-ahead worker pool: every VPP's market on worker threads gives what the same market gives in
// this thread (same iterations, costs and net positions: the secure sums are exact, so fresh keys do not
// change a result), in input order whatever order the workers finish in, with progress for every VPP.
import { describe, expect, it } from 'vitest';
import { runVppDayAheads } from '../../../agent/dayahead-pool.ts';
import { buildDemoVpps, runVppDayAhead } from '../../../agent/scenarios.ts';
import { scaled } from '../../helpers/time.ts';

describe('day-ahead worker pool', () => {
  it('clears every VPP on workers as in this thread, in input order', {
    timeout: scaled(120_000),
  }, async () => {
    const vpps = buildDemoVpps({ vpps: 3, prosumersPerVpp: 6 });
    const started: number[] = [];
    const done: number[] = [];
    const iterated = new Set<number>();
    const pooled = await runVppDayAheads(
      vpps.map((v) => v.scenario),
      'weak',
      {
        workers: 2,
        onStart: (i) => started.push(i),
        onIteration: (i) => iterated.add(i),
        onDone: (i, _r, seconds) => {
          expect(seconds).toBeGreaterThan(0);
          done.push(i);
        },
      },
    );
    expect([...started].sort()).toEqual([0, 1, 2]);
    expect([...done].sort()).toEqual([0, 1, 2]);
    expect([...iterated].sort()).toEqual([0, 1, 2]);
    for (const [i, v] of vpps.entries()) {
      const alone = await runVppDayAhead(v.scenario, 'weak', 0);
      const p = pooled[i]!;
      expect(p.result.framework).toBe('weak');
      expect(p.result.iterations).toBe(alone.result.iterations);
      expect(p.result.totalCost).toBeCloseTo(alone.result.totalCost, 9);
      expect(p.traditional.totalCost).toBeCloseTo(alone.traditional.totalCost, 9);
      p.result.netPositionKwh.forEach((x, t) => {
        expect(x).toBeCloseTo(alone.result.netPositionKwh[t]!, 9);
      });
    }
  });

  it('stops when aborted, and a VPP that fails names itself', { timeout: scaled(60_000) }, async () => {
    const vpps = buildDemoVpps({ vpps: 2, prosumersPerVpp: 4 });
    const stop = new AbortController();
    stop.abort();
    await expect(
      runVppDayAheads([vpps[0]!.scenario], 'weak', { workers: 1, signal: stop.signal }),
    ).rejects.toThrow(/stopped/);
    const broken = { ...vpps[1]!.scenario, tariffs: { ...vpps[1]!.scenario.tariffs, retail: [] } };
    await expect(runVppDayAheads([vpps[0]!.scenario, broken], 'weak', { workers: 2 })).rejects.toThrow(
      /VPP 2/,
    );
  });
});
