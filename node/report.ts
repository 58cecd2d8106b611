// One-line console reports of the node process: hash rates and mined or imported blocks.
import type { Block } from '../protocol/block.ts';
import { headerHash } from '../protocol/block.ts';
import { toHex } from '../protocol/bytes.ts';
import { difficulty } from '../protocol/difficulty.ts';

export function formatHashRate(hps: number): string {
  if (hps >= 1e6) return `${(hps / 1e6).toFixed(2)} MH/s`;
  if (hps >= 1e3) return `${(hps / 1e3).toFixed(1)} kH/s`;
  return `${hps.toFixed(0)} H/s`;
}

export function blockLine(b: Block, powLimitBits: number, hashRate: number, label = 'block'): string {
  const hash = toHex(headerHash(b.header));
  return `${label} ${String(b.header.height).padStart(6)}  ${hash.slice(0, 16)}…  difficulty ${difficulty(b.header.bits, powLimitBits).toFixed(1).padStart(10)}  txs ${String(b.txs.length).padStart(4)}  ${formatHashRate(hashRate)}`;
}
