// p2p/noise-frames.ts: every encrypted frame reaches the transport as one buffer (one socket write), the
// other side decrypts the same bytes, also when they arrive a byte at a time (the length decoder's "not
// yet", which the library signalled with an exception). Two real noise handshakes over an in-memory
// connection pair; what the encrypting side hands its transport is recorded.
import { noise } from '@chainsafe/libp2p-noise';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { ComponentLogger, Logger, MultiaddrConnection, PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddrConnectionPair } from '@libp2p/utils';
import { describe, expect, it } from 'vitest';
import { cheaperFrames, frameLength, noiseFrames } from '../../../p2p/noise-frames.ts';

const silent: Logger = Object.assign(() => {}, {
  enabled: false,
  error: () => {},
  trace: () => {},
  newScope: () => silent,
});
const logger: ComponentLogger = { forComponent: () => silent };

function components(privateKey: PrivateKey) {
  return { privateKey, logger, upgrader: { getStreamMuxers: () => new Map() } } as unknown as Parameters<
    ReturnType<typeof noise>
  >[0];
}

/** What the transport is handed (a Uint8ArrayList): its buffers, or all of it as one. */
type BufferList = Iterable<Uint8Array> & { subarray(): Uint8Array };

/** A list of buffers as the length decoder sees it (Uint8ArrayList's byteLength and getUint16). */
function buffered(...parts: number[][]) {
  const bytes = Uint8Array.from(parts.flat());
  return {
    byteLength: bytes.byteLength,
    subarray: () => bytes,
    getUint16: (offset: number) => new DataView(bytes.buffer).getUint16(offset),
  };
}

/** Buffers per call of the transport's sendData: each buffer is one socket write on TCP. */
function recordWrites(conn: MultiaddrConnection): number[] {
  const buffersPerSend: number[] = [];
  const c = conn as unknown as { sendData(data: BufferList): unknown };
  const sendData = c.sendData.bind(c);
  c.sendData = (data) => {
    buffersPerSend.push([...data].length);
    return sendData(data);
  };
  return buffersPerSend;
}

/** Makes `conn` take what arrives one byte at a time, as if each byte were a read of its own. */
function readByteByByte(conn: MultiaddrConnection): void {
  const c = conn as unknown as { onData(data: BufferList | Uint8Array): void };
  const onData = c.onData.bind(c);
  c.onData = (data) => {
    const bytes = data instanceof Uint8Array ? data : data.subarray();
    for (const byte of bytes) onData(Uint8Array.of(byte));
  };
}

/** Sends `messages` over a fresh noise session; returns the buffers per write and what arrived. */
async function session(encrypterOf: typeof noise, messages: Uint8Array[], byteByByte = false) {
  const [keyA, keyB] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')]);
  const [outbound, inbound] = multiaddrConnectionPair();
  const [a, b] = await Promise.all([
    encrypterOf()(components(keyA)).secureOutbound(outbound, {
      remotePeer: peerIdFromPrivateKey(keyB),
      skipStreamMuxerNegotiation: true,
    }),
    encrypterOf()(components(keyB)).secureInbound(inbound, { skipStreamMuxerNegotiation: true }),
  ]);
  const writes = recordWrites(outbound);
  if (byteByByte) readByteByByte(inbound);
  const total = messages.reduce((n, m) => n + m.byteLength, 0);
  const received: Uint8Array[] = [];
  const arrived = new Promise<void>((resolve) => {
    let got = 0;
    b.connection.addEventListener('message', (e) => {
      const bytes = e.data.subarray();
      received.push(bytes);
      got += bytes.byteLength;
      if (got >= total) resolve();
    });
  });
  for (const m of messages) a.connection.send(m);
  await arrived;
  await Promise.all([a.connection.close(), b.connection.close()]);
  return { writes, received: Buffer.concat(received) };
}

describe('noise: one write per encrypted frame, no exception per read', () => {
  const messages = [
    new Uint8Array(12).fill(1),
    new Uint8Array(3000).fill(2),
    new Uint8Array(100_000).fill(3),
  ];
  const sent = Buffer.concat(messages);

  it('every frame is handed to the transport as one buffer, and arrives decrypted as sent', async () => {
    const { writes, received } = await session(noiseFrames, messages);
    expect(writes.length).toBeGreaterThanOrEqual(messages.length);
    expect(writes.every((buffers) => buffers === 1)).toBe(true);
    expect(received.equals(sent)).toBe(true);
  });

  it('without it, the library hands over the length and the ciphertext separately', async () => {
    const { writes, received } = await session(noise, messages);
    expect(writes.some((buffers) => buffers >= 2)).toBe(true);
    expect(received.equals(sent)).toBe(true);
  });

  it('frames arriving a byte at a time are decrypted as sent', async () => {
    const { received } = await session(noiseFrames, messages.slice(0, 2), true);
    expect(received.equals(Buffer.concat(messages.slice(0, 2)))).toBe(true);
  });

  it('the length decoder says "not yet" (0) below 2 bytes instead of throwing', () => {
    expect(frameLength(buffered())).toBe(0);
    expect(frameLength(buffered([0x12]))).toBe(0);
    expect(frameLength(buffered([0x12], [0x34, 9]))).toBe(0x1234);
  });

  it('refuses a connection whose internals it relies on are missing', () => {
    expect(() => cheaperFrames({})).toThrow(/noise changed/);
    expect(() => cheaperFrames({ encrypt: () => new Uint8Array() })).toThrow(/noise changed/);
  });
});
