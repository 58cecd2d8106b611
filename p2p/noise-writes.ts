// One socket write per encrypted frame. @chainsafe/libp2p-noise 17 hands the transport each frame as two
// buffers, its 2-byte length and its ciphertext, and @libp2p/tcp writes a buffer at a time: with Nagle's
// algorithm off (libp2p's default) that is two write calls and two TCP segments per frame, the first of
// them 2 bytes long, and on the receiving side often two reads. Here the two are joined first (a copy of
// the frame, at most 64 KiB), so every frame is one write. In the 8-node propagation bench the length
// writes were half of all the write calls a node made per block (docs/performance.md, "Block
// propagation"). The bytes on the wire are the same.
//
// This wraps a method of the library that is not part of its typed API: `noiseWithOneWritePerFrame`
// checks that what it relies on is there, and test/unit/p2p/noise-writes.test.ts fails if an upgrade
// changes it.
import { noise } from '@chainsafe/libp2p-noise';

type NoiseInit = Parameters<typeof noise>[0];
type NoiseFactory = ReturnType<typeof noise>;
type Noise = ReturnType<NoiseFactory>;

/** What encrypt returns: a list of buffers (Uint8ArrayList). */
interface BufferList {
  readonly byteLength: number;
  subarray(): Uint8Array;
}

interface EncryptedStreamInternals {
  encrypt(chunk: unknown): BufferList | Uint8Array;
}

/** Makes one encrypted connection hand the transport each frame as one buffer. */
export function oneWritePerFrame(connection: unknown): void {
  const c = connection as Partial<EncryptedStreamInternals>;
  if (typeof c.encrypt !== 'function')
    throw new Error('@chainsafe/libp2p-noise changed: the encrypted connection has no encrypt');
  const encrypt = c.encrypt.bind(c);
  c.encrypt = (chunk) => {
    const frames = encrypt(chunk);
    return frames instanceof Uint8Array ? frames : frames.subarray();
  };
}

/** noise(init), whose connections write each encrypted frame at once (see above). */
export function noiseWithOneWritePerFrame(init?: NoiseInit): NoiseFactory {
  const factoryOf = noise(init);
  return (components) => {
    const encrypter: Noise = factoryOf(components);
    const outbound = encrypter.secureOutbound.bind(encrypter);
    const inbound = encrypter.secureInbound.bind(encrypter);
    encrypter.secureOutbound = async (...args) => {
      const secured = await outbound(...args);
      oneWritePerFrame(secured.connection);
      return secured;
    };
    encrypter.secureInbound = async (...args) => {
      const secured = await inbound(...args);
      oneWritePerFrame(secured.connection);
      return secured;
    };
    return encrypter;
  };
}
