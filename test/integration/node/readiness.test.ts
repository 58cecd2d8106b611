// Readiness of real nodes over libp2p and HTTP: a node that joins a network whose chain is ahead answers
// GET /readyz 503 NOT_READY ("syncing") while it catches up — its block imports are held at a gate, so the
// test sees the sync in progress however fast the machine is — and 200 once it is at the best peer's head;
// alone it is not ready for want of peers; /healthz answers throughout. The node ahead is ready at once.
import { afterAll, describe, expect, it } from 'vitest';
import type { ReadinessJson } from '../../../client/types.ts';
import type { Block } from '../../../protocol/block.ts';
import { ChainBuilder, testParams } from '../../helpers/builder.ts';
import { startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const CHAIN = 40;
let net: TestNet | undefined;
afterAll(() => net?.close());

async function readyz(url: string): Promise<{ status: number; facts: ReadinessJson; message?: string }> {
  const r = await fetch(`${url}/readyz`);
  const body = (await r.json()) as ReadinessJson & { error?: { message: string; details: ReadinessJson } };
  return r.ok
    ? { status: r.status, facts: body }
    : { status: r.status, facts: body.error!.details, message: body.error!.message };
}

describe('readiness', () => {
  // Four waits of up to a minute each (scaled): the test's own deadline is theirs, not vitest's default.
  it('a node is not ready while it syncs a chain that is ahead, and ready once at the head', {
    timeout: scaled(240_000),
  }, async () => {
    // The easiest difficulty, a genesis minutes old: the chain ahead is built at once, in the past.
    const params = testParams({ timestamp: Date.now() - 10 * 60_000 });
    net = await startNet(params, [{ api: true }, { api: true }], { mesh: false });
    const [ahead, joiner] = net.nodes as [(typeof net.nodes)[0], (typeof net.nodes)[0]];
    const b = new ChainBuilder(params);
    for (const block of b.extend(b.genesisId, CHAIN)) await ahead.chain.processBlock(block);
    expect(ahead.chain.height).toBe(CHAIN);

    // Alone: healthy, not ready (no peers).
    const health = await fetch(`${joiner.apiUrl}/healthz`);
    expect(health.status).toBe(200);
    const alone = await readyz(joiner.apiUrl!);
    expect(alone.status).toBe(503);
    expect(alone.message).toBe('not ready: 0 peers connected, 1 needed');

    // Its imports wait at a gate: the range sync from the node ahead stays in progress until it opens.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const importBlock = joiner.chain.processBlock.bind(joiner.chain);
    joiner.chain.processBlock = async (block: Block, from?: string) => {
      await gate;
      return importBlock(block, from);
    };
    const importBlocks = joiner.chain.processBlocks.bind(joiner.chain);
    joiner.chain.processBlocks = async (blocks: readonly Block[], from?: string) => {
      await gate;
      return importBlocks(blocks, from);
    };
    net.link(1, 0);
    let syncing: Awaited<ReturnType<typeof readyz>> | undefined;
    await waitFor('the joiner to report that it is syncing', async () => {
      syncing = await readyz(joiner.apiUrl!);
      return syncing.facts.syncing && syncing.facts.bestPeerHeight === CHAIN;
    });
    expect(syncing!.status).toBe(503);
    expect(syncing!.message).toBe(
      `not ready: syncing: head 0 is ${CHAIN} blocks below the best peer's ${CHAIN} (at most 2 allowed)`,
    );
    expect(syncing!.facts).toMatchObject({ ready: false, height: 0, peers: 1, behind: CHAIN });
    expect((await fetch(`${joiner.apiUrl}/healthz`)).status).toBe(200); // up all along

    // The node ahead has a peer, which is not ahead of it: ready.
    await waitFor('the node ahead to be ready', async () => (await readyz(ahead.apiUrl!)).status === 200);
    expect((await readyz(ahead.apiUrl!)).facts).toMatchObject({ ready: true, height: CHAIN, behind: 0 });

    open();
    await waitFor(
      'the joiner to be ready at the head',
      async () => (await readyz(joiner.apiUrl!)).status === 200,
    );
    const done = await readyz(joiner.apiUrl!);
    expect(done.facts).toMatchObject({
      ready: true,
      height: CHAIN,
      bestPeerHeight: CHAIN,
      behind: 0,
      peers: 1,
    });
    expect(joiner.chain.tip.id).toBe(ahead.chain.tip.id);
  });
});
