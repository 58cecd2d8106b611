// How long this thread's event loop has stood still lately. A request that timed out while our own loop
// was stalled (a busy machine, a long synchronous task, several nodes in one process) says nothing about
// the peer: reqresp.ts does not count such a timeout against it. One monitor per thread, since every node
// in a thread shares its loop; its timer is started by the first request and never keeps the process
// alive.

/** How often the loop is sampled. */
const TICK_MS = 100;
/** A late tick by more than this counts as a stall. */
const MIN_STALL_MS = 50;
/** Stalls remembered (the oldest is forgotten first): at least a request deadline's worth. */
const KEEP = 512;

interface Stall {
  /** When the loop ran again. */
  end: number;
  ms: number;
}

export class StallMonitor {
  private readonly now: () => number;
  private readonly stalls: Stall[] = [];
  private last: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
    this.last = now();
  }

  /** Samples the loop from now on (idempotent). */
  start(): void {
    if (this.timer) return;
    this.last = this.now();
    this.timer = setInterval(() => this.tick(), TICK_MS).unref();
  }

  /** One sample: how late this tick is (exported for tests, which drive the clock). */
  tick(): void {
    const t = this.now();
    const late = t - this.last - TICK_MS;
    this.last = t;
    if (late <= MIN_STALL_MS) return;
    this.stalls.push({ end: t, ms: late });
    if (this.stalls.length > KEEP) this.stalls.shift();
  }

  /** Milliseconds the loop stood still after `since` (the monitor's clock: `now()`). */
  stalledSince(since: number): number {
    let total = 0;
    for (let i = this.stalls.length - 1; i >= 0; i--) {
      const s = this.stalls[i]!;
      if (s.end <= since) break;
      total += Math.min(s.ms, s.end - since);
    }
    return total;
  }

  get clock(): number {
    return this.now();
  }
}

/** This thread's monitor. */
export const threadStalls = new StallMonitor();
