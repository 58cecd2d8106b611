import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server.ts';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { keys, testParams } from '../../helpers/builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'vppchain-vpps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GET /v1/vpps and the dashboard files', () => {
  it('serves the agents\u2019 published file when well formed, 404 when absent, 503 when malformed', async () => {
    const params = testParams();
    await initDataDir(join(dir, 'node'), params);
    const node = await VppNode.open({ dataDir: join(dir, 'node'), mine: false, verifierThreads: 0 });
    const file = join(dir, 'vpps.json');
    const app = await createApiServer(node, { docs: false, vppFile: file });
    try {
      expect((await app.inject('/v1/vpps')).statusCode).toBe(404);
      writeFileSync(
        file,
        JSON.stringify({
          updated: 1,
          vpps: [
            {
              name: 'vpp-1',
              address: keys.vpp1.address,
              prosumers: 10,
              savings: 1.25,
              prices: [0.1, null],
              secret: 'dropped',
            },
          ],
        }),
      );
      const ok = await app.inject('/v1/vpps');
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({
        updated: 1,
        vpps: [
          { name: 'vpp-1', address: keys.vpp1.address, prosumers: 10, savings: 1.25, prices: [0.1, null] },
        ],
      });
      writeFileSync(file, JSON.stringify({ vpps: [{ name: 'x', address: 'nope' }] }));
      expect((await app.inject('/v1/vpps')).json().error.code).toBe('UNAVAILABLE');
      writeFileSync(file, '{ not json');
      expect((await app.inject('/v1/vpps')).statusCode).toBe(404);
      const page = await app.inject('/dashboard');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect((await app.inject('/dashboard/app.js')).headers['content-type']).toContain('javascript');
      expect((await app.inject('/')).statusCode).toBe(302);
    } finally {
      await app.close();
      await node.stop();
    }
  });
});
