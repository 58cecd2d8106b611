// How far our clock is from our peers', estimated from the blocks they gossip (docs/protocol.md, "Clock
// check"). A fresh block arrives shortly after its timestamp: miners stamp a template with their clock and
// rebuild it at least every 2 s, and gossip takes well under a second. So for each fresh gossip block,
// (arrival time on our clock − block timestamp) is about our clock minus the miner's, plus a second or two.
// Blocks are costly to make (proof of work at the current difficulty), so these samples cannot be faked
// cheaply. Each peer gets one vote (the median of its recent samples) and the estimate is the median of the
// votes, so one peer with a wrong clock does not move it. When the estimate is further off than the drift
// rule (maxFutureDriftMs) the node is told loudly: peers hold the blocks it mines as future, or it holds
// theirs. Not consensus: only a warning (log, metric, /v1/status); the clock is never adjusted.

/** Samples kept per peer, and peers kept (the least recently heard is dropped first). */
const SAMPLES_PER_PEER = 8;
const MAX_PEERS = 64;
/** Samples older than this are forgotten: a clock that was fixed stops being reported. */
export const CLOCK_SAMPLE_WINDOW_MS = 10 * 60_000;
/** No estimate before this many samples (over all peers). */
export const MIN_CLOCK_SAMPLES = 5;

export interface ClockReport {
  /** Our clock minus our peers' block times, in ms (positive: ours is ahead); null before enough samples. */
  offsetMs: number | null;
  /** Samples and peers the estimate rests on. */
  samples: number;
  peers: number;
  /** The drift rule: maxFutureDriftMs. */
  limitMs: number;
  /** |offsetMs| is over the limit. */
  skewed: boolean;
}

interface Sample {
  at: number;
  offsetMs: number;
}

/** Median of a non-empty list; the mean of the two middle values for an even count. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export class ClockEstimator {
  readonly limitMs: number;
  private readonly now: () => number;
  private readonly byPeer = new Map<string, Sample[]>();

  constructor(limitMs: number, now: () => number = Date.now) {
    this.limitMs = limitMs;
    this.now = now;
  }

  /** A fresh block from `peer` stamped `timestamp` arrived at `arrivedAt` (our clock). */
  sample(peer: string, timestamp: number, arrivedAt = this.now()): void {
    const list = this.byPeer.get(peer) ?? [];
    this.byPeer.delete(peer); // re-inserted last: the map's order is least recently heard first
    list.push({ at: arrivedAt, offsetMs: arrivedAt - timestamp });
    if (list.length > SAMPLES_PER_PEER) list.shift();
    this.byPeer.set(peer, list);
    if (this.byPeer.size > MAX_PEERS) this.byPeer.delete(this.byPeer.keys().next().value!);
  }

  report(): ClockReport {
    const since = this.now() - CLOCK_SAMPLE_WINDOW_MS;
    const votes: number[] = [];
    let samples = 0;
    for (const list of this.byPeer.values()) {
      const recent = list.filter((s) => s.at >= since).map((s) => s.offsetMs);
      if (recent.length === 0) continue;
      samples += recent.length;
      votes.push(median(recent));
    }
    const offsetMs = samples >= MIN_CLOCK_SAMPLES ? Math.round(median(votes)) : null;
    return {
      offsetMs,
      samples,
      peers: votes.length,
      limitMs: this.limitMs,
      skewed: offsetMs !== null && Math.abs(offsetMs) > this.limitMs,
    };
  }
}

/** One line for the node's log. */
export function describeClock(r: ClockReport): string {
  if (!r.skewed || r.offsetMs === null)
    return `clock: back within ${r.limitMs} ms of the peers' block times (offset ${r.offsetMs ?? '?'} ms, ${r.samples} blocks from ${r.peers} peers)`;
  const s = (Math.abs(r.offsetMs) / 1000).toFixed(1);
  const consequence =
    r.offsetMs > 0
      ? 'peers hold the blocks this node mines as too far in the future'
      : "this node holds the peers' blocks as too far in the future";
  return `clock: WARNING this node's clock is ${s} s ${r.offsetMs > 0 ? 'ahead of' : 'behind'} its peers' block times (${r.samples} blocks from ${r.peers} peers; the drift rule allows ${r.limitMs} ms): ${consequence}; check the system clock (NTP)`;
}
