// One tick's peer messages from one group of peers to another, packed so that crossing a thread costs
// one transfer instead of a structured clone per message: a header of (from, to, kind, offset, length)
// per message and the payloads back to back. Both arrays are transferred, so the network that forwards
// a packet moves two buffers and never reads them; the receiving group unpacks it (agent-group.ts).
import type { PeerKind, PeerMessage } from './messages.ts';

export interface Packet {
  header: Int32Array;
  payload: Float64Array;
}

const FIELDS = 5;

export function pack(messages: readonly PeerMessage[]): Packet {
  let numbers = 0;
  for (const m of messages) numbers += m.data.length;
  const header = new Int32Array(FIELDS * messages.length);
  const payload = new Float64Array(numbers);
  let offset = 0;
  messages.forEach((m, i) => {
    const h = FIELDS * i;
    header[h] = m.from;
    header[h + 1] = m.to;
    header[h + 2] = m.kind;
    header[h + 3] = offset;
    header[h + 4] = m.data.length;
    payload.set(m.data, offset);
    offset += m.data.length;
  });
  return { header, payload };
}

/** The messages in the order they were packed; each payload is a view into the packet's buffer. */
export function* unpack(packet: Packet): Generator<PeerMessage> {
  const { header, payload } = packet;
  for (let h = 0; h < header.length; h += FIELDS) {
    const offset = header[h + 3]!;
    yield {
      from: header[h]!,
      to: header[h + 1]!,
      kind: header[h + 2]! as PeerKind,
      data: payload.subarray(offset, offset + header[h + 4]!),
    };
  }
}

/** The buffers to hand over with `postMessage` (they are unusable in the sender afterwards). */
export function transferList(packets: readonly (Packet | null)[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const p of packets) if (p) out.push(p.header.buffer as ArrayBuffer, p.payload.buffer as ArrayBuffer);
  return out;
}
