// Money is computed exactly in milli base units (Wh x base units per kWh) and rounded once per transfer,
// always in the participant's favour: what a participant pays is rounded down, what it receives is rounded
// up. Rounding therefore never breaks individual rationality; the operator absorbs less than one base unit
// per transfer, and since every token amount is then an integer, conservation is exact by construction.
import { MILLI_PER_UNIT } from './limits.ts';

/** Base units a participant pays for an exact milli amount (>= 0): rounded down. */
export function paidByParticipant(milli: bigint): bigint {
  return milli / MILLI_PER_UNIT;
}

/** Base units a participant receives for an exact milli amount (>= 0): rounded up. */
export function paidToParticipant(milli: bigint): bigint {
  return (milli + MILLI_PER_UNIT - 1n) / MILLI_PER_UNIT;
}
