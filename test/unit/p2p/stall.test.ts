// A request that timed out while our own event loop stood still is not the peer's timeout: the stall
// monitor measures how long the loop stood still after a moment, and such a timeout becomes a failure of
// ours, which no one is penalised for.
import { describe, expect, it } from 'vitest';
import { excuseOwnStall, ResponseError, STALL_EXCUSE_MS } from '../../../p2p/reqresp.ts';
import { StallMonitor } from '../../../p2p/stall.ts';

describe('StallMonitor', () => {
  it('sums the stalls after a moment, counting only their part after it', () => {
    const clock = { t: 0 };
    const m = new StallMonitor(() => clock.t);
    for (const t of [100, 200, 330]) {
      clock.t = t;
      m.tick(); // 30 ms late at 330: jitter, not a stall
    }
    expect(m.stalledSince(0)).toBe(0);
    clock.t = 3330; // the loop stood still for 2.9 s
    m.tick();
    clock.t = 3430;
    m.tick();
    expect(m.stalledSince(0)).toBe(2900);
    expect(m.stalledSince(3130)).toBe(200);
    expect(m.stalledSince(3330)).toBe(0);
  });

  it('sees a loop blocked by synchronous work', async () => {
    const m = new StallMonitor();
    m.start();
    const before = m.clock;
    const until = Date.now() + 400;
    while (Date.now() < until); // blocks the loop
    await new Promise((r) => setTimeout(r, 250)); // a tick runs, late
    expect(m.stalledSince(before)).toBeGreaterThanOrEqual(300);
  });
});

describe('excuseOwnStall', () => {
  const timeout = new ResponseError('timeout', 'The operation was aborted due to timeout');

  it('turns a timeout during a long stall of ours into a failure of ours, and nothing else', () => {
    const excused = excuseOwnStall(timeout, STALL_EXCUSE_MS + 500);
    expect(excused.kind).toBe('failed');
    expect(excused.message).toBe(
      `The operation was aborted due to timeout; this node's event loop stood still for ${((STALL_EXCUSE_MS + 500) / 1000).toFixed(1)} s meanwhile: not the peer's timeout`,
    );
    expect(excuseOwnStall(timeout, STALL_EXCUSE_MS - 1)).toBe(timeout);
    const invalid = new ResponseError('invalid', 'oversize');
    expect(excuseOwnStall(invalid, 10 * STALL_EXCUSE_MS)).toBe(invalid);
  });
});
