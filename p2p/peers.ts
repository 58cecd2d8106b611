// Peer reputation, as Lodestar's peer actions: each offence costs points, scores decay back towards
// zero, a peer below the disconnect threshold is dropped, and below the ban threshold it is refused by
// the connection gater until the ban expires. Bans apply to the peer id, and to its IP address unless
// that address is a loopback one (several honest local nodes share 127.0.0.1).

export const PeerAction = {
  /** Proof of misbehaviour: invalid block or transaction, undecodable data. */
  Fatal: -100,
  /** Seriously wrong but possibly a bug: oversize or malformed response. */
  LowTolerance: -20,
  /** Annoying: request rate limit exceeded, timeouts. */
  MidTolerance: -5,
  /** Trivial: an unhelpful response. */
  HighTolerance: -1,
} as const;
export type PeerAction = (typeof PeerAction)[keyof typeof PeerAction];

export const DISCONNECT_SCORE = -20;
export const BAN_SCORE = -50;
export const BAN_MS = 10 * 60_000;
const HALF_LIFE_MS = 10 * 60_000;

interface Entry {
  score: number;
  updated: number;
  bannedUntil: number;
  ip?: string;
}

export const isLoopback = (ip: string | undefined): boolean =>
  ip !== undefined && (ip.startsWith('127.') || ip === '::1' || ip === '0:0:0:0:0:0:0:1');

export interface PenaltyOutcome {
  score: number;
  disconnect: boolean;
  banned: boolean;
}

export class PeerScores {
  private readonly peers = new Map<string, Entry>();
  private readonly bannedIps = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  private entry(peer: string): Entry {
    let e = this.peers.get(peer);
    if (!e) this.peers.set(peer, (e = { score: 0, updated: this.now(), bannedUntil: 0 }));
    // Exponential decay towards zero: old offences are forgiven.
    const t = this.now();
    e.score *= 0.5 ** ((t - e.updated) / HALF_LIFE_MS);
    e.updated = t;
    return e;
  }

  noteAddress(peer: string, ip: string | undefined): void {
    if (ip) this.entry(peer).ip = ip;
  }

  score(peer: string): number {
    return this.entry(peer).score;
  }

  penalise(peer: string, action: PeerAction): PenaltyOutcome {
    const e = this.entry(peer);
    e.score += action;
    const banned = e.score <= BAN_SCORE;
    if (banned) {
      e.bannedUntil = this.now() + BAN_MS;
      if (e.ip && !isLoopback(e.ip)) this.bannedIps.set(e.ip, e.bannedUntil);
    }
    return { score: e.score, disconnect: e.score <= DISCONNECT_SCORE, banned };
  }

  isBanned(peer: string): boolean {
    const e = this.peers.get(peer);
    return e !== undefined && e.bannedUntil > this.now();
  }

  isIpBanned(ip: string | undefined): boolean {
    if (!ip || isLoopback(ip)) return false;
    const until = this.bannedIps.get(ip);
    return until !== undefined && until > this.now();
  }

  /** The address a peer's ban also covers: its last address, unless loopback (or not banned). */
  bannedAddressOf(peer: string): string | undefined {
    const ip = this.peers.get(peer)?.ip;
    return this.isIpBanned(ip) ? ip : undefined;
  }

  bannedPeers(): string[] {
    return [...this.peers.entries()].filter(([, e]) => e.bannedUntil > this.now()).map(([p]) => p);
  }
}

/** Token bucket per (peer, protocol): `capacity` requests, refilled at `perSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;
  private readonly perSecond: number;
  private readonly now: () => number;

  constructor(capacity: number, perSecond: number, now: () => number = Date.now) {
    this.capacity = capacity;
    this.perSecond = perSecond;
    this.now = now;
  }

  allow(key: string, cost = 1): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    b.tokens = Math.min(this.capacity, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    const ok = b.tokens >= cost;
    if (ok) b.tokens -= cost;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value!);
    return ok;
  }
}
