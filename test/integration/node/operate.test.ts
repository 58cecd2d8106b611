// Operating a node as a person or a service manager would: the version everywhere (--version, -V,
// `version --json`, GET /v1/status and /healthz), configuration from a TOML file, VPPCHAIN_* variables and
// flags in that order (--print-config shows where each value came from; a bad value names its source),
// a real node logging JSON lines to a file (every line a record with level, ISO time and component, from
// start to clean stop), ready when alone if told so, and the API commands finding the node by
// VPPCHAIN_NODE or the devnet plan in the working directory, with amounts in GBP and times in ISO 8601.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CLI, runCli } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-operate-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** The environment without any vppchain configuration of the machine running the tests. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^VPPCHAIN_(?!TEST_)/.test(k))),
  ...extra,
});
const run = (args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) =>
  runCli(args, { entry: BIN, env: cleanEnv(opts.env), cwd: opts.cwd });

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('operating a node', () => {
  it('--version, -V and version --json say the version and the runtime', async () => {
    const [long, short, json, help] = await Promise.all([
      run(['--version']),
      run(['-V']),
      run(['version', '--json']),
      run(['--help']),
    ]);
    expect(long.code).toBe(0);
    expect(long.out.trim()).toMatch(
      new RegExp(`^vppchain ${VERSION.replace(/\./g, '\\.')} \\(node v24\\.\\d+\\.\\d+, \\w+ \\w+\\)$`),
    );
    expect(short.out).toBe(long.out);
    expect(JSON.parse(json.out)).toMatchObject({ version: VERSION, node: expect.stringMatching(/^v24\./) });
    expect(help.out).toMatch(/^ {2}version {4}/m);
  });

  it('configuration: flag over VPPCHAIN_* over the config file over the default, shown by --print-config', async () => {
    const file = join(tmp, 'vppchain.toml');
    writeFileSync(
      file,
      [
        '# one file for node and devnet',
        'log-level = "debug"',
        '[node]',
        'datadir = "data"',
        'api-port = 9001',
        'p2p-port = 9101',
        'rate-limit = 7',
        '[devnet]',
        'nodes = 3',
        '[demo]',
        'vpps = 2',
        'intervals = 9',
        'framework = "central"',
        'out = "results"',
        '',
      ].join('\n'),
    );
    const env = { VPPCHAIN_CONFIG: file, VPPCHAIN_API_PORT: '9002', VPPCHAIN_P2P_PORT: '9102' };
    const demoEnv = { ...env, VPPCHAIN_INTERVALS: '7', VPPCHAIN_FRAMEWORK: 'decentralized' };
    const [node, devnet, demo, demoScenario, badEnv, badFile] = await Promise.all([
      run(['node', '--print-config', '--api-port', '9003'], { env }),
      run(['devnet', '--print-config'], { env }),
      run(['demo', '--print-config', '--framework', 'weak', '--log-format', 'json'], { env: demoEnv }),
      // The file's vpps, for the built-in demo only, meets a scenario of the user's own: refused, with where.
      run(['demo', '--scenario', join(tmp, 'system.json')], { env }),
      run(['node', '--print-config'], { env: { ...env, VPPCHAIN_RATE_LIMIT: 'many' } }),
      run(['node', '--config', join(tmp, 'missing.toml')]),
    ]);
    expect(node.code, node.err).toBe(0);
    expect(node.out).toMatch(/^api-port = 9003 +# from --api-port$/m);
    expect(node.out).toMatch(/^p2p-port = 9102 +# from environment VPPCHAIN_P2P_PORT$/m);
    expect(node.out).toMatch(/^rate-limit = 7 +# from .*vppchain\.toml: \[node\] rate-limit$/m);
    expect(node.out).toMatch(/^log-level = "debug" +# from .*vppchain\.toml: log-level$/m);
    expect(node.out).toContain(`datadir = "${join(tmp, 'data')}"`); // relative to the file
    expect(node.out).toMatch(/^api-host = "127\.0\.0\.1" +# default$/m);
    expect(devnet.code).toBe(0);
    expect(devnet.out).toMatch(/^nodes = 3 +# from /m);
    expect(devnet.out).toMatch(/^api-base-port = 8600 +# default$/m);
    expect(demo.code, demo.err).toBe(0);
    expect(demo.out).toMatch(/^\[demo\]$/m);
    expect(demo.out).toMatch(/^framework = "weak" +# from --framework$/m);
    expect(demo.out).toMatch(/^intervals = 7 +# from environment VPPCHAIN_INTERVALS$/m);
    expect(demo.out).toMatch(/^vpps = 2 +# from .*vppchain\.toml: \[demo\] vpps$/m);
    expect(demo.out).toContain(`out = "${join(tmp, 'results')}"`);
    expect(demo.out).toMatch(/^log-level = "debug" +# from .*vppchain\.toml: log-level$/m);
    expect(demo.out).toMatch(/^log-format = "json" +# from --log-format$/m);
    expect(demo.out).toMatch(/^api-base-port = 8600 +# default$/m);
    expect(demo.out).toMatch(/^# prosumers = +# not set: 10$/m);
    expect(demoScenario.code).toBe(2);
    expect(demoScenario.err.trim()).toMatch(
      /^vppchain: .*vppchain\.toml: \[demo\] vpps applies to the built-in demo only: set the VPPs in the scenario file$/,
    );
    expect(badEnv.code).toBe(2);
    expect(badEnv.err.trim()).toBe(
      "vppchain: VPPCHAIN_RATE_LIMIT must be a whole number from 0 to 1000000, got 'many'",
    );
    expect(badFile.code).toBe(2);
    expect(badFile.err).toContain('missing.toml does not exist');
  });

  it('a node logs JSON lines to its file from start to stop; the API commands find it and speak GBP and ISO times', {
    timeout: scaled(180_000),
  }, async () => {
    const dir = join(tmp, 'node');
    const init = await run(['init', '--datadir', dir]);
    expect(init.code, init.err).toBe(0);
    const logFile = join(tmp, 'logs', 'node.log');
    const child = spawn(
      process.execPath,
      [CLI, 'node', '--datadir', dir, '--api-port', '0', '--p2p-port', '0', '--log-file', logFile],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: cleanEnv({
          VPPCHAIN_LOG_FORMAT: 'json',
          VPPCHAIN_READY_MIN_PEERS: '0',
          VPPCHAIN_API_LOG: 'info',
        }),
      },
    );
    started.push(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const records = () =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
    let url = '';
    await waitFor('the node to log its API address', () => {
      const api = records().find((r) => typeof r.msg === 'string' && r.msg.startsWith('api http'));
      url = api ? /^api (http:\/\/[\d.:]+)\//.exec(api.msg as string)![1]! : '';
      return url !== '';
    });

    const status = (await (await fetch(`${url}/v1/status`)).json()) as { version: string };
    expect(status.version).toBe(VERSION);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200); // alone, and told that no peers are needed
    const badAddress = (await (await fetch(`${url}/v1/accounts/0xnothex`)).json()) as {
      error: { message: string };
    };
    expect(badAddress.error.message).toBe('params/address must be an address: 0x and 40 hex digits');

    // The API commands: VPPCHAIN_NODE, else node 0 of ./devnet/devnet.json.
    const cwd = join(tmp, 'workdir');
    mkdirSync(join(cwd, 'devnet'), { recursive: true });
    writeFileSync(join(cwd, 'devnet', 'devnet.json'), JSON.stringify({ nodes: [{ api: url }] }));
    const [fromPlan, unreachable, account] = await Promise.all([
      run(['status'], { cwd }),
      run(['status'], { cwd, env: { VPPCHAIN_NODE: 'http://127.0.0.1:9' } }),
      run(['account', '--address', '0x5b2b5afbac0a5f24f8126284be4e990d31ad9e93'], { cwd }),
    ]);
    expect(fromPlan.code, fromPlan.err).toBe(0);
    expect(fromPlan.out).toMatch(new RegExp(`^node version +${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    expect(fromPlan.out).toMatch(/^head time +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
    expect(fromPlan.out).toMatch(/^minimum fee +0\.000010 GBP$/m);
    expect(fromPlan.out).toContain('1 token = £1 = 1,000,000 base units');
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(
      /^vppchain: UNREACHABLE: .*http:\/\/127\.0\.0\.1:9.* \(the node URL is VPPCHAIN_NODE; choose one with --node URL or VPPCHAIN_NODE\)$/m,
    );
    expect(account.code, account.err).toBe(0);
    expect(account.out).toMatch(/^balance +100000\.000000 GBP$/m);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toBe(''); // everything went to the log file
    const all = records();
    for (const r of all) {
      expect(typeof r.level).toBe('string');
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof r.component).toBe('string');
      expect(typeof r.msg).toBe('string');
    }
    const messages = all.map((r) => `${r.component} ${r.msg}`);
    expect(messages[0]).toMatch(/^node vppchain \d+\.\d+\.\d+ \(node v24/);
    expect(messages).toContain('node stopping (SIGTERM)…');
    expect(messages.at(-1)).toBe('node stopped');
    // The API's request log (--api-log info from VPPCHAIN_API_LOG) is in the same file, component "api".
    expect(all.some((r) => r.component === 'api' && typeof r.reqId === 'string')).toBe(true);
  });
});
