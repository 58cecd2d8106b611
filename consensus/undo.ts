// Undo record of a connected block: the previous value of every state key the block changed,
// as u32 count, then per key (in key order): bytes key, u8 present, [bytes value].

import type { Changes } from '../contracts-vm/state.ts';
import { fromHex, Reader, toHex, Writer } from '../protocol/bytes.ts';

export function encodeUndo(undo: Changes): Uint8Array {
  const w = new Writer().u32(undo.size);
  for (const k of [...undo.keys()].sort()) {
    const v = undo.get(k)!;
    w.bytes(fromHex(k));
    if (v === null) w.u8(0);
    else w.u8(1).bytes(v);
  }
  return w.finish();
}

export function decodeUndo(b: Uint8Array): Changes {
  const r = new Reader(b);
  const n = r.u32();
  const out: Changes = new Map();
  for (let i = 0; i < n; i++) {
    const k = toHex(r.bytes(1 << 16, 'undo key'));
    out.set(k, r.u8() === 1 ? r.bytes(1 << 24, 'undo value') : null);
  }
  r.end('undo record');
  return out;
}
