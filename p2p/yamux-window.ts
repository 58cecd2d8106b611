// Yamux window updates when half the receive window is used, not after every frame. The yamux spec leaves
// to the receiver when to return credit; @chainsafe/libp2p-yamux 8 returns it after every data frame it
// receives, so every gossip message (a block, a transaction, an IDONTWANT) is answered by a 12-byte window
// update frame: one more encryption, socket write and wake-up of the sender's process, and one more read,
// decryption and frame on the other side. The other implementations wait until half the window is used
// (hashicorp/yamux, the Go reference: `delta < max/2 && flags == 0` sends nothing; rust-yamux since
// 0.9), which is what this does. In the 8-node propagation bench this was about half of all the frames a
// node sent and received per block (docs/performance.md, "Block propagation").
//
// Only a stream that is established and not paused is affected: the SYN and ACK the update carries while
// a stream opens, and the update on resuming, are sent as before. A sender is never stalled by it: its
// credit reaches zero only when our unreturned credit is the whole window, and the data frame that takes
// it past half already triggers the update.
//
// This wraps a method of the library that is not part of its typed API: `yamuxWithHalfWindowUpdates`
// checks that what it relies on is there, and test/unit/p2p/yamux-window.test.ts fails if an upgrade
// changes it.
import { yamux } from '@chainsafe/libp2p-yamux';
import { StreamState } from '@chainsafe/libp2p-yamux/stream';
import type { MessageStream, StreamMuxerFactory } from '@libp2p/interface';

type YamuxInit = Parameters<typeof yamux>[0];

interface YamuxStreamInternals {
  state: StreamState;
  recvWindow: number;
  recvWindowCapacity: number;
  sendWindowUpdate(): void;
}

interface YamuxMuxerInternals {
  _newStream(streamId: number, state: StreamState, direction: 'inbound' | 'outbound'): YamuxStreamInternals;
}

function streamInternals(stream: unknown): YamuxStreamInternals {
  const s = stream as Partial<YamuxStreamInternals>;
  if (
    typeof s.sendWindowUpdate !== 'function' ||
    typeof s.recvWindow !== 'number' ||
    typeof s.recvWindowCapacity !== 'number' ||
    typeof s.state !== 'number'
  )
    throw new Error('@chainsafe/libp2p-yamux changed: a stream has no sendWindowUpdate, recvWindow or state');
  return s as YamuxStreamInternals;
}

/** Makes one stream return receive credit once half its window is used (see above). */
export function halfWindowUpdates(stream: unknown): void {
  const s = streamInternals(stream);
  const send = s.sendWindowUpdate.bind(s);
  s.sendWindowUpdate = () => {
    if (s.state === StreamState.Established && s.recvWindowCapacity > s.recvWindow / 2) return;
    send();
  };
}

/** yamux(init), whose streams send window updates once half the receive window is used. */
export function yamuxWithHalfWindowUpdates(init?: YamuxInit): () => StreamMuxerFactory {
  const factoryOf = yamux(init);
  return () => {
    const factory = factoryOf();
    const create = factory.createStreamMuxer.bind(factory);
    factory.createStreamMuxer = (maConn: MessageStream) => {
      const muxer = create(maConn);
      const m = muxer as unknown as Partial<YamuxMuxerInternals>;
      if (typeof m._newStream !== 'function')
        throw new Error('@chainsafe/libp2p-yamux changed: the muxer has no _newStream');
      const newStream = m._newStream.bind(muxer);
      m._newStream = (id, state, direction) => {
        const stream = newStream(id, state, direction);
        halfWindowUpdates(stream);
        return stream;
      };
      return muxer;
    };
    return factory;
  };
}
