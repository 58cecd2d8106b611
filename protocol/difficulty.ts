// Targets, work and the aserti3-2d difficulty rule (Bitcoin Cash, 2020), integer-only.
// Parameters come from genesis: ideal block time T and half-life H, both in milliseconds.
// Anchor: the genesis block, whose "parent time" is genesis.timestamp - T.

export const MAX_U256 = (1n << 256n) - 1n;

/** Compact "bits" to a 256-bit target (Bitcoin's nBits; negative and overflowing encodings are invalid). */
export function bitsToTarget(bits: number): bigint | null {
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if (bits & 0x00800000) return null; // sign bit: negative targets are invalid
  if (mantissa === 0) return null;
  const target =
    exponent <= 3
      ? BigInt(mantissa >>> (8 * (3 - exponent)))
      : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target === 0n || target > MAX_U256) return null;
  return target;
}

/** Difficulty as the easiest allowed target divided by the block's target (1 = easiest). */
export function difficulty(bits: number, powLimitBits: number): number {
  const t = bitsToTarget(bits)!;
  const limit = bitsToTarget(powLimitBits)!;
  return Number((limit * 1000n) / t) / 1000;
}

/** The canonical compact encoding (rounds the target down to 23 bits of mantissa). */
export function targetToBits(target: bigint): number {
  if (target <= 0n) throw new RangeError('target must be positive');
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let mantissa =
    size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  if (mantissa & 0x00800000) {
    mantissa >>>= 8;
    size++;
  }
  return ((size << 24) | mantissa) >>> 0;
}

/** Expected number of hashes to find a block: floor(2^256 / (target + 1)). */
export const workForTarget = (target: bigint): bigint => (1n << 256n) / (target + 1n);

export interface AsertParams {
  anchorBits: number; // genesis bits
  anchorHeight: number; // 0
  anchorParentTime: number; // genesis.timestamp - blockTimeMs
  blockTimeMs: number;
  halfLifeMs: number;
  powLimitBits: number; // the easiest allowed target
}

const RADIX = 65536n;

/**
 * Bits required of the block after `parent`:
 *   exponent = trunc((Δt − T·(Δh + 1)) · 2^16 / H)  (truncated toward zero, as the C++ reference), Δt = parent.time − anchorParentTime, Δh = parent.height − anchorHeight
 *   target   = anchorTarget · 2^(exponent/2^16), the fractional power by BCH's cubic approximation,
 * clamped to [1, powLimit]. Every step is integer arithmetic on bigint.
 */
export function nextBits(p: AsertParams, parentHeight: number, parentTime: number): number {
  const anchorTarget = bitsToTarget(p.anchorBits)!;
  const powLimit = bitsToTarget(p.powLimitBits)!;
  const timeDelta = BigInt(parentTime - p.anchorParentTime);
  const heightDelta = BigInt(parentHeight - p.anchorHeight);
  // bigint division truncates toward zero, like the int64 division of the reference implementation.
  let exponent = ((timeDelta - BigInt(p.blockTimeMs) * (heightDelta + 1n)) * RADIX) / BigInt(p.halfLifeMs);
  const shifts = exponent >> 16n; // arithmetic shift: floor
  // Far outside the representable range the result is a clamp anyway; avoid building huge integers.
  if (shifts > 300n) return p.powLimitBits;
  if (shifts < -300n) return targetToBits(1n);
  exponent -= shifts * RADIX; // now in [0, 65535]
  const factor =
    ((195766423245049n * exponent + 971821376n * exponent ** 2n + 5127n * exponent ** 3n + (1n << 47n)) >>
      48n) +
    RADIX;
  let next = anchorTarget * factor;
  next = shifts < 0n ? next >> -shifts : next << shifts;
  next >>= 16n;
  if (next === 0n) return targetToBits(1n);
  if (next > powLimit) return p.powLimitBits;
  return targetToBits(next);
}
