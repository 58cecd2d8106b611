// A busy port is one line naming the port, what it is for and the flag that moves it, and exit code 1:
// for `vppchain node` (p2p and API), `devnet` and `demo`, which refuse before they prepare anything. The
// same line when another process takes the port after the probe: the errors libp2p and fastify raise
// for a busy port are recognised, and a node whose start failed stops what it had started.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initDataDir, VppNode } from '../../../node/node.ts';
import { type PortClaim, portInUse } from '../../../node/ports.ts';
import { genesisToJson } from '../../../protocol/params.ts';
import { testParams } from '../../helpers/builder.ts';
import { runCli } from '../../helpers/cli.ts';
import { freePortRange, netParams } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-ports-'));
let blocker: Server;
// base .. base + 7 were free; base + 1 is held by this test for the whole file.
let base: number;
let busy: number;

beforeAll(async () => {
  base = await freePortRange(8);
  busy = base + 1;
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((r) => blocker.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

const run = (...args: string[]) => runCli(args);

describe('a port in use', () => {
  // Three and two CLI runs in a row, each with a 60 s deadline.
  it('vppchain node: one line naming the p2p or API port and its flag, exit code 1', {
    timeout: scaled(200_000),
  }, async () => {
    const dir = join(tmp, 'node');
    await initDataDir(dir, testParams());
    const free = base + 3;
    const p2p = await run('node', '--datadir', dir, '--p2p-port', String(busy), '--api-port', String(free));
    expect(p2p.code).toBe(1);
    expect(p2p.err).toBe(`vppchain: port ${busy} is in use (p2p); choose another with --p2p-port\n`);
    const api = await run('node', '--datadir', dir, '--p2p-port', String(free), '--api-port', String(busy));
    expect(api.code).toBe(1);
    expect(api.err).toBe(`vppchain: port ${busy} is in use (api); choose another with --api-port\n`);
    const same = await run('node', '--datadir', dir, '--p2p-port', String(free), '--api-port', String(free));
    expect(same.code).toBe(2);
    expect(same.err).toContain('need a port each');
  });

  it('vppchain devnet and demo: one line naming the node, the port and the base-port flag, exit 1, nothing prepared', {
    timeout: scaled(150_000),
  }, async () => {
    const genesis = join(tmp, 'genesis.json');
    writeFileSync(genesis, JSON.stringify(genesisToJson(netParams())));
    const devnetDir = join(tmp, 'devnet');
    // API ports busy, busy + 1: node-0's API port is the busy one.
    const devnet = await run(
      'devnet',
      '--nodes',
      '2',
      '--dir',
      devnetDir,
      '--fresh',
      '--genesis',
      genesis,
      '--p2p-base-port',
      String(base + 4),
      '--api-base-port',
      String(busy),
    );
    expect(devnet.code).toBe(1);
    expect(devnet.err).toBe(
      `vppchain: port ${busy} is in use (api of node-0); choose another with --api-base-port\n`,
    );
    expect(existsSync(devnetDir)).toBe(false);

    const demoDir = join(tmp, 'demo');
    // p2p ports base .. base + 2 for a grid and 2 VPPs: node-1's p2p port is the busy one.
    const demo = await run(
      'demo',
      '--vpps',
      '2',
      '--intervals',
      '1',
      '--dir',
      demoDir,
      '--p2p-base-port',
      String(base),
      '--api-base-port',
      String(base + 4),
    );
    expect(demo.code).toBe(1);
    expect(demo.err).toBe(
      `vppchain: port ${busy} is in use (p2p of node-1); choose another with --p2p-base-port\n`,
    );
    expect(existsSync(demoDir)).toBe(false);
  });

  it('taken after the probe: the errors of libp2p and of the API are recognised, and the half-started node stops', async () => {
    const claims = (p2p: number, api: number): PortClaim[] => [
      { port: p2p, host: '127.0.0.1', what: 'p2p', flag: '--p2p-port' },
      { port: api, host: '127.0.0.1', what: 'api', flag: '--api-port' },
    ];
    const free = base + 3;
    for (const which of ['p2p', 'api'] as const) {
      const dir = join(tmp, `race-${which}`);
      await initDataDir(dir, testParams());
      const p2pPort = which === 'p2p' ? busy : 0;
      const apiPort = which === 'api' ? busy : free;
      let node: VppNode | undefined;
      let failure: unknown;
      try {
        node = await VppNode.open({
          dataDir: dir,
          mine: false,
          verifierThreads: 1,
          p2p: { port: p2pPort, bootstrap: [] },
          api: { port: apiPort, rateLimit: false },
        });
        await node.start();
      } catch (err) {
        failure = err;
      }
      expect(failure, which).toBeDefined();
      const said = portInUse(failure, claims(p2pPort, apiPort));
      expect(said?.message).toBe(`port ${busy} is in use (${which}); choose another with --${which}-port`);
      await node?.stop(); // what had started stops (the command does this before it exits)
    }
    expect(portInUse(new Error('something else'), claims(busy, free))).toBeUndefined();
  });
});
