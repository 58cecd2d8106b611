// GET /healthz and GET /readyz over a node port whose readiness facts the test sets: healthy while the
// process answers; ready only with the ledger open, enough peers, a peer's head known and the head near
// it; not ready is a 503 NOT_READY in the one error shape, with every reason and the facts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeReadiness } from '../../../api/health.ts';
import type { NodePort, NodeReadiness } from '../../../api/port.ts';
import { createApiServer } from '../../../api/server.ts';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { VERSION } from '../../../node/version.ts';
import { errorOf } from '../../helpers/api-node.ts';
import { testParams } from '../../helpers/builder.ts';

const ready: NodeReadiness = {
  databaseOpen: true,
  height: 100,
  peers: 3,
  bestPeerHeight: 101,
  syncing: false,
};
const limits = { maxBehind: 2, minPeers: 1 };

describe('readiness verdict', () => {
  it('ready near the best peer, with peers and the ledger open', () => {
    expect(judgeReadiness(ready, limits)).toMatchObject({ ready: true, reasons: [], behind: 1 });
    expect(judgeReadiness({ ...ready, bestPeerHeight: 102 }, limits).ready).toBe(true);
    expect(judgeReadiness({ ...ready, bestPeerHeight: 90 }, limits)).toMatchObject({
      ready: true,
      behind: 0,
    });
  });

  it('not ready while syncing, without peers, before any peer told its head, or with the ledger closed', () => {
    expect(judgeReadiness({ ...ready, bestPeerHeight: 103, syncing: true }, limits).reasons).toEqual([
      "syncing: head 100 is 3 blocks below the best peer's 103 (at most 2 allowed)",
    ]);
    expect(judgeReadiness({ ...ready, peers: 0, bestPeerHeight: null }, limits).reasons).toEqual([
      '0 peers connected, 1 needed',
    ]);
    expect(judgeReadiness({ ...ready, bestPeerHeight: null }, limits).reasons).toEqual([
      'no peer has told its head yet',
    ]);
    const all = judgeReadiness(
      { databaseOpen: false, height: 0, peers: 0, bestPeerHeight: null, syncing: false },
      {
        maxBehind: 0,
        minPeers: 2,
      },
    );
    expect(all.ready).toBe(false);
    expect(all.reasons).toEqual(['the ledger database is not open', '0 peers connected, 2 needed']);
  });

  it('a node meant to run alone (min peers 0) is ready without peers', () => {
    const alone = judgeReadiness({ ...ready, peers: 0, bestPeerHeight: null }, { maxBehind: 2, minPeers: 0 });
    expect(alone).toMatchObject({ ready: true, reasons: [], behind: 0 });
  });
});

describe('GET /healthz and /readyz', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-health-'));
  let node: VppNode;
  let app: FastifyInstance;
  let facts: NodeReadiness = ready;

  beforeAll(async () => {
    await initDataDir(dir, testParams());
    node = await VppNode.open({ dataDir: dir, mine: false, verifierThreads: 1 });
    const port: NodePort = {
      version: node.version,
      params: node.params,
      chain: node.chain,
      mempool: node.mempool,
      events: node.events,
      metrics: node.metrics,
      activity: () => node.activity(),
      readiness: () => facts,
      submitTx: (env) => node.submitTx(env),
    };
    app = await createApiServer(port, {
      docs: false,
      rateLimit: false,
      readiness: { maxBehind: 5, minPeers: 2 },
    });
  });
  afterAll(async () => {
    await app.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('healthz: 200 with the version and the uptime', async () => {
    const r = await app.inject('/healthz');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok', version: VERSION, uptimeSeconds: expect.any(Number) });
    expect((await app.inject('/v1/status')).json().version).toBe(VERSION);
  });

  it("readyz: 200 with the facts when ready, 503 NOT_READY with the reasons otherwise, by the API's limits", async () => {
    facts = { databaseOpen: true, height: 50, peers: 2, bestPeerHeight: 55, syncing: false };
    const ok = await app.inject('/readyz');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({
      ready: true,
      reasons: [],
      databaseOpen: true,
      height: 50,
      peers: 2,
      bestPeerHeight: 55,
      behind: 5,
      syncing: false,
      maxBehind: 5,
      minPeers: 2,
    });
    facts = { databaseOpen: true, height: 50, peers: 1, bestPeerHeight: 80, syncing: true };
    const no = await app.inject('/readyz');
    expect(no.statusCode).toBe(503);
    const e = errorOf(no.body);
    expect(e.code).toBe('NOT_READY');
    expect(e.message).toBe(
      "not ready: 1 peer connected, 2 needed; syncing: head 50 is 30 blocks below the best peer's 80 (at most 5 allowed)",
    );
    expect(e.details).toMatchObject({ ready: false, behind: 30, syncing: true, peers: 1 });
  });

  it("a node's own readiness: its ledger, and no networking means no peers", async () => {
    expect(node.readiness()).toEqual({
      databaseOpen: true,
      height: 0,
      peers: 0,
      bestPeerHeight: null,
      syncing: false,
    });
  });
});
