// A node whose network cannot start (its p2p port is taken) fails to open without leaving its ledger
// locked or its verifier threads running: the same data directory opens again at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { testParams } from '../../helpers/builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'vppchain-open-failure-'));
let blocker: Server | undefined;
afterAll(async () => {
  await new Promise((r) => (blocker ? blocker.close(r) : r(null)));
  rmSync(dir, { recursive: true, force: true });
});

describe('VppNode.open when the network cannot start', () => {
  it('closes what it opened and throws, so the data directory opens again', async () => {
    await initDataDir(dir, testParams());
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const failed = await VppNode.open({
      dataDir: dir,
      mine: false,
      verifierThreads: 1,
      p2p: { host: '127.0.0.1', port, bootstrap: [] },
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    // The ledger's LevelDB lock was released: a second open of the same directory succeeds.
    const again = await VppNode.open({ dataDir: dir, mine: false, verifierThreads: 1 });
    expect(again.chain.height).toBe(0);
    await again.stop();
  });
});
