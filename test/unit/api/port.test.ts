// The API is served from its port (api/port.ts), not from VppNode: a port whose activity and submission
// are not the node's own shows that the routes read and call only through it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeActivity, NodePort } from '../../../api/port.ts';
import { createApiServer } from '../../../api/server.ts';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../../protocol/errors.ts';
import type { TxEnvelope } from '../../../protocol/tx.ts';
import { ChainBuilder, keys, testParams } from '../../helpers/builder.ts';

const params = testParams();
const b = new ChainBuilder(params);
let dir: string;
let node: VppNode;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vppchain-api-port-'));
  await initDataDir(dir, params);
  node = await VppNode.open({ dataDir: dir, mine: false, verifierThreads: 0 });
});
afterAll(async () => {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the API over a NodePort', () => {
  it('reports the port’s activity and submits through the port', async () => {
    const activity: NodeActivity = {
      peers: 3,
      peerId: '12D3KooWPortTest',
      syncing: true,
      mining: true,
      hashRate: 1234.5,
    };
    const submitted: TxEnvelope[] = [];
    const port: NodePort = {
      params: node.params,
      chain: node.chain,
      mempool: node.mempool,
      events: node.events,
      metrics: node.metrics,
      activity: () => activity,
      version: node.version,
      readiness: () => node.readiness(),
      submitTx: async (env) => {
        if (env.tx.nonce === 0n) throw new TxError(TxErrorCode.NONCE_TOO_LOW, 'refused by the port');
        submitted.push(env);
      },
    };
    const app = await createApiServer(port, { docs: false, rateLimit: false });
    try {
      const status = (await app.inject('/v1/status')).json();
      expect(status).toMatchObject({ ...activity, height: 0, mempoolSize: 0 });
      expect(node.activity()).toEqual({ peers: 0, peerId: null, syncing: false, mining: false, hashRate: 0 });

      const submit = (env: TxEnvelope) =>
        app.inject({ method: 'POST', url: '/v1/transactions', payload: { hex: toHex(env.bytes) } });
      const env = b.transfer(keys.vpp1, keys.vpp2, 5n, 1n);
      expect((await submit(env)).statusCode).toBe(202);
      expect(submitted.map((e) => e.id)).toEqual([env.id]);
      expect(node.mempool.size).toBe(0);

      const refused = b.transfer(keys.vpp1, keys.vpp2, 5n, 0n);
      const r = await submit(refused);
      expect(r.statusCode).toBe(400);
      expect(r.json()).toEqual({
        error: { code: 'NONCE_TOO_LOW', message: 'refused by the port', details: { hash: refused.id } },
      });
    } finally {
      await app.close();
    }
  });
});
