// GET /v1/vpps/exports/:file: the run's CSVs beside the published file, for the dashboard's downloads;
// only the three known names, 404 before they are written.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server.ts';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { testParams } from '../../helpers/builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'vppchain-exports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GET /v1/vpps/exports/:file', () => {
  it('serves the CSVs as downloads, 404 before they exist, 400 for any other name; the dashboard loads its charting library locally', async () => {
    await initDataDir(join(dir, 'node'), testParams());
    const node = await VppNode.open({ dataDir: join(dir, 'node'), mine: false, verifierThreads: 0 });
    const app = await createApiServer(node, { docs: false, vppFile: join(dir, 'vpps.json') });
    try {
      expect((await app.inject('/v1/vpps/exports/bills.csv')).statusCode).toBe(404);
      mkdirSync(join(dir, 'exports'));
      const csv = 'level,vpp,paid_gbp\nvpp,"north, A",-0.000320\n';
      writeFileSync(join(dir, 'exports', 'bills.csv'), csv);
      const r = await app.inject('/v1/vpps/exports/bills.csv');
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toContain('text/csv');
      expect(r.headers['content-disposition']).toBe('attachment; filename="bills.csv"');
      expect(r.body).toBe(csv);
      const bad = await app.inject('/v1/vpps/exports/..%2Fvpps.json');
      expect(bad.statusCode).toBe(400);
      for (const f of ['vendor/vega.min.js', 'vendor/vega-lite.min.js', 'charts.js', 'panels.js']) {
        const js = await app.inject(`/dashboard/${f}`);
        expect(js.statusCode, f).toBe(200);
        expect(js.headers['content-type'], f).toContain('javascript');
      }
      expect((await app.inject('/dashboard')).body).toContain('/dashboard/vendor/vega.min.js');
    } finally {
      await app.close();
      await node.stop();
    }
  });
});
