// What the network benches share: a chain of signed transfers and a raw import of it into a fresh ledger
// (the reference every network figure is compared with), and the figure formatting.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain } from '../consensus/chain.ts';
import { SignatureVerifier } from '../consensus/sigverify.ts';
import type { VppNode } from '../node/node.ts';
import type { Block } from '../protocol/block.ts';
import { ChainBuilder, GENESIS_TIME, testParams } from '../test/helpers/builder.ts';

export const params = testParams({ maxBlockTxs: 2000, maxBlockBytes: 1024 * 1024 });
export const builder = new ChainBuilder(params);

export const fmt = (n: number, d = 1) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });

export const load = () =>
  loadavg()
    .map((x) => fmt(x, 2))
    .join(' ');

/** `n` blocks of `txsPerBlock` transfers each, every one signed afresh (no signature is cached anywhere). */
export function makeChain(n: number, txsPerBlock: number): Block[] {
  return builder.transferChain(builder.genesisId, n, txsPerBlock);
}

/** Imports `blocks` into a fresh ledger one by one (as a node does), `threads` signature workers. */
export async function rawImport(blocks: Block[], threads: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-'));
  const verifier = new SignatureVerifier(builder.domain, threads);
  const chain = await Chain.open(dir, params, { verifier, now: () => GENESIS_TIME + 86_400_000 * 365 });
  const times: number[] = [];
  for (const blk of blocks) {
    const t0 = performance.now();
    await chain.processBlock(blk);
    times.push(performance.now() - t0);
  }
  await chain.close();
  await verifier.close();
  rmSync(dir, { recursive: true, force: true });
  return times;
}

/** Gives a serving node the bench's chain, in runs of 64 blocks as range sync hands them to the chain. */
export async function importInRuns(chain: Chain, blocks: Block[]): Promise<void> {
  for (let i = 0; i < blocks.length; i += 64) await chain.processBlocks(blocks.slice(i, i + 64));
}

/**
 * How many peers `node` sends the blocks topic to: its mesh and its direct peers. Nodes configured as each
 * other's peers are gossipsub direct peers (sent every message, never in the mesh), so the mesh alone
 * would stay empty; a subscribed peer that is neither direct nor grafted only hears of a block by IHAVE.
 */
export function blocksGossipPeers(node: VppNode): number {
  const ps = node.network!.libp2p.services.pubsub as unknown as {
    getMeshPeers(t: string): string[];
    getSubscribers(t: string): { toString(): string }[];
    direct: Set<string>;
  };
  const topic = node.network!.names.blocksTopic;
  const sendTo = new Set(ps.getMeshPeers(topic));
  for (const p of ps.getSubscribers(topic)) if (ps.direct.has(p.toString())) sendTo.add(p.toString());
  return sendTo.size;
}
