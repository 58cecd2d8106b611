// Noise frames at the cost of the frame, not more. Two costs per message of @chainsafe/libp2p-noise 17
// that are not encryption:
//  - Writes: it hands the transport each frame as two buffers, its 2-byte length and its ciphertext, and
//    @libp2p/tcp writes a buffer at a time: with Nagle's algorithm off (libp2p's default) that is two
//    write calls and two TCP segments per frame, the first 2 bytes long, and often two reads on the other
//    side. Here the two are joined first (a copy of the frame, at most 64 KiB): one write per frame.
//  - Reads: its length decoder throws a RangeError when fewer than 2 bytes are buffered, which is how the
//    frame loop learns it has read everything: one exception, with its stack trace, at the end of every
//    read (~4 us each here). Here the decoder answers "not yet" without throwing.
// In the 8-node propagation bench the length writes were half of all the write calls a node made per
// block, and the exceptions 4-6 % of a receiving node's main-thread samples in profiles (docs/performance.md, "Block
// propagation"). The bytes on the wire are the same.
//
// This wraps parts of the library that are not in its typed API: `noiseFrames` checks that what it
// relies on is there, and test/unit/p2p/noise-frames.test.ts fails if an upgrade changes it.
import { noise } from '@chainsafe/libp2p-noise';

type NoiseInit = Parameters<typeof noise>[0];
type NoiseFactory = ReturnType<typeof noise>;
type Noise = ReturnType<NoiseFactory>;

/** What encrypt returns, and what the length decoder is given: a list of buffers (Uint8ArrayList). */
interface BufferList {
  readonly byteLength: number;
  subarray(): Uint8Array;
  getUint16(offset: number): number;
}

interface EncryptedStreamInternals {
  encrypt(chunk: unknown): BufferList | Uint8Array;
  decoder: { lengthDecoder(buffered: BufferList): number };
}

/** Bytes of a noise frame's length prefix (big-endian). */
const LENGTH_BYTES = 2;

/**
 * The frame length at the head of `buffered`; with fewer than 2 bytes, 0, which the decoder's loop reads
 * as a frame of 2 + 0 bytes it does not have yet, so it waits for more, as after the library's exception.
 */
export function frameLength(buffered: BufferList): number {
  return buffered.byteLength < LENGTH_BYTES ? 0 : buffered.getUint16(0);
}

/** Makes one encrypted connection write each frame at once and read without exceptions (see above). */
export function cheaperFrames(connection: unknown): void {
  const c = connection as Partial<EncryptedStreamInternals>;
  if (typeof c.encrypt !== 'function' || typeof c.decoder?.lengthDecoder !== 'function')
    throw new Error('@chainsafe/libp2p-noise changed: the encrypted connection has no encrypt or decoder');
  const encrypt = c.encrypt.bind(c);
  c.encrypt = (chunk) => {
    const frames = encrypt(chunk);
    return frames instanceof Uint8Array ? frames : frames.subarray();
  };
  c.decoder.lengthDecoder = frameLength;
}

/** noise(init), whose connections have cheaperFrames. */
export function noiseFrames(init?: NoiseInit): NoiseFactory {
  const factoryOf = noise(init);
  return (components) => {
    const encrypter: Noise = factoryOf(components);
    const outbound = encrypter.secureOutbound.bind(encrypter);
    const inbound = encrypter.secureInbound.bind(encrypter);
    encrypter.secureOutbound = async (...args) => {
      const secured = await outbound(...args);
      cheaperFrames(secured.connection);
      return secured;
    };
    encrypter.secureInbound = async (...args) => {
      const secured = await inbound(...args);
      cheaperFrames(secured.connection);
      return secured;
    };
    return encrypter;
  };
}
