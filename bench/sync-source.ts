// The serving peer of the range-sync bench (bench/network-sync.bench.ts) in its own process, as a real peer
// is another machine: its event loop (reading, noise, yamux) no longer shares the syncing node's. Driven
// over IPC (advanced serialisation): given the chain's blocks, it imports them, listens, and answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir, VppNode } from '../node/node.ts';
import { decodeBlock } from '../protocol/block.ts';
import { importInRuns, params } from './chain-fixtures.ts';

export type ToSource = { kind: 'serve'; blocks: Uint8Array[] } | { kind: 'cpu' } | { kind: 'stop' };
export type FromSource =
  | { kind: 'ready'; addr: string; height: number }
  /** CPU time of the whole process (all its threads) so far, ms. */
  | { kind: 'cpu'; ms: number }
  | { kind: 'failed'; error: string };

const send = (m: FromSource) => process.send!(m);
const dir = mkdtempSync(join(tmpdir(), 'vppchain-sync-source-'));
let node: VppNode | undefined;

process.on('message', (m: ToSource) => {
  void (async () => {
    if (m.kind === 'serve') {
      await initDataDir(dir, params);
      node = await VppNode.open({
        dataDir: dir,
        mine: false,
        verifierThreads: 1,
        p2p: { port: 0, bootstrap: [] },
      });
      await node.start();
      await importInRuns(
        node.chain,
        m.blocks.map((b) => decodeBlock(b, params)),
      );
      send({ kind: 'ready', addr: node.network!.multiaddrs[0]!.toString(), height: node.chain.height });
    } else if (m.kind === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ kind: 'cpu', ms: (user + system) / 1000 });
    } else {
      await node?.stop();
      rmSync(dir, { recursive: true, force: true });
      process.disconnect();
    }
  })().catch((err: unknown) =>
    send({ kind: 'failed', error: String(err instanceof Error ? err.stack : err) }),
  );
});
