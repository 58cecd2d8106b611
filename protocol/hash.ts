import { sha256 } from '@noble/hashes/sha2.js';

export { sha256 };

export const sha256d = (data: Uint8Array): Uint8Array => sha256(sha256(data));

export const ZERO_HASH = new Uint8Array(32);
