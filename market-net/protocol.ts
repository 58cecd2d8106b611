// The market's libp2p protocols (docs/market.md, "Protocol"). Separate from the chain's protocols: a
// VPP's market runs between its coordinator and its prosumers, who need not run a chain node.
//   /vppchain/market/announce/1  prosumer host → coordinator, once per connection: u16 count, then the
//                                 identities (33-byte secp256k1 keys) of the prosumers it hosts; answer:
//                                 u16 count, then each one's u32 roster index (NOT_ON_ROSTER if none);
//   /vppchain/market/pool/1      coordinator → prosumer host, once per round: a batch of requests for
//                                 its prosumers (market/pool/transport.ts), answered by a batch of replies.
// Every frame is length-prefixed (unsigned varint) with a hard limit; every exchange has a deadline.
export const ANNOUNCE_PROTOCOL = '/vppchain/market/announce/1';
export const POOL_PROTOCOL = '/vppchain/market/pool/1';

/** Most prosumers one host may announce (a `vppchain prosumer` process with several data dirs). */
export const MAX_HOSTED = 4096;
/** Limits of one frame: a round's batch for a host, and its reply (a revealed report is ~0.1 kB·T). */
export const MAX_BATCH_FRAME_BYTES = 64 << 20;
export const ANNOUNCE_DEADLINE_MS = 10_000;
/** Announce answer for an identity the roster does not list (or that another host already serves). */
export const NOT_ON_ROSTER = 0xffff_ffff;
/** Offences (malformed or unexpected replies) after which a host is disconnected and banned. */
export const BAN_AFTER_OFFENCES = 3;
