// Public API of the real-time auction clearing engine (pure: no I/O, no clock, no randomness).
export { clearAuction } from './clear.ts';
export {
  ID_PATTERN,
  MAX_BIDS,
  MAX_ID_LENGTH,
  MAX_PRICE,
  MAX_STEP_QTY_WH,
  MAX_STEPS_PER_BID,
  MILLI_PER_UNIT,
} from './limits.ts';
export { paidByParticipant, paidToParticipant } from './rounding.ts';
export type { AuctionInput, Bid, ClearingResult, ParticipantResult, Side, Step } from './types.ts';
export { AuctionInputError, validateAuctionInput, validateBid } from './validate.ts';
