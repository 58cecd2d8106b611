// The configuration of node, devnet and demo from one schema: precedence flag > environment > config file
// > default, every bad value named with its source, unknown keys refused (with the likely key), paths in
// the file relative to it, --print-config giving a file that reproduces the configuration, and the tables
// of docs/operations.md being the schema's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../node/commands/command.ts';
import { envName } from '../../../node/config.ts';
import { docsTable } from '../../../node/config-output.ts';
import { CONFIG_SCHEMAS, configFor, printConfigOf } from '../../../node/config-schema.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const usageError = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no error');
};

describe('configuration', () => {
  it('takes a flag over the environment over the file over the default, key by key', () => {
    const cfg = file(
      'precedence.toml',
      'datadir = "/from/file"\napi-port = 9001\np2p-port = 9101\nrate-limit = 5\n[node]\nthreads = 3\n',
    );
    const env = { VPPCHAIN_API_PORT: '9002', VPPCHAIN_P2P_PORT: '9102', VPPCHAIN_CONFIG: cfg };
    const r = configFor('node', ['--api-port', '9003'], env);
    expect(r.values['api-port']).toBe(9003); // flag
    expect(r.values['p2p-port']).toBe(9102); // environment
    expect(r.values['rate-limit']).toBe(5); // file, top level
    expect(r.values.threads).toBe(3); // file, [node] table
    expect(r.values.datadir).toBe('/from/file');
    expect(r.values['api-host']).toBe('127.0.0.1'); // default
    expect(r.values.bootstrap).toBeUndefined();
    expect(r.sources['api-port']).toEqual({ kind: 'flag', name: 'api-port' });
    expect(r.sources['p2p-port']).toEqual({ kind: 'env', name: 'VPPCHAIN_P2P_PORT' });
    expect(r.sources.threads).toEqual({ kind: 'file', file: cfg, key: '[node] threads' });
    expect(r.sources['api-host']).toEqual({ kind: 'default' });
    // --config beats VPPCHAIN_CONFIG; a switch given as --no-x beats the environment's true.
    const other = file('other.toml', 'datadir = "/other"\nmine = true\n');
    const o = configFor('node', ['--config', other, '--no-mine'], {
      VPPCHAIN_CONFIG: cfg,
      VPPCHAIN_MINE: 'yes',
    });
    expect(o.values.datadir).toBe('/other');
    expect(o.values.mine).toBe(false);
    expect(configFor('node', ['--datadir', 'd'], { VPPCHAIN_MINE: 'yes' }).values.mine).toBe(true);
  });

  it('a [devnet] table does not reach node, and top-level keys reach every command that has them', () => {
    const cfg = file(
      'shared.toml',
      'log-level = "debug"\ndatadir = "/d"\n[devnet]\nnodes = 6\nlog-format = "json"\n',
    );
    const node = configFor('node', ['--config', cfg]);
    const devnet = configFor('devnet', ['--config', cfg]);
    expect(node.values['log-level']).toBe('debug');
    expect(node.values['log-format']).toBe('pretty');
    expect(devnet.values['log-level']).toBe('debug');
    expect(devnet.values['log-format']).toBe('json');
    expect(devnet.values.nodes).toBe(6);
    // A switch of the node's is a choice of nodes for the devnet: true means all of them.
    const mine = file('mine.toml', 'mine = true\ndatadir = "/d"\n');
    expect(configFor('node', ['--config', mine]).values.mine).toBe(true);
    expect(configFor('devnet', ['--config', mine]).values.mine).toBe('all');
    expect(configFor('devnet', [], { VPPCHAIN_MINE: 'no' }).values.mine).toBe('none');
    expect(usageError(() => configFor('devnet', ['--mine', 'some']))).toBe(
      "--mine must be all, none or node indices like 0,2, got 'some'",
    );
  });

  it('names the source of a bad value and what was expected', () => {
    expect(usageError(() => configFor('node', ['--datadir', 'd', '--api-port', '70000']))).toBe(
      "--api-port must be a whole number from 0 to 65535, got '70000'",
    );
    expect(usageError(() => configFor('node', ['--datadir', 'd'], { VPPCHAIN_RATE_LIMIT: 'lots' }))).toBe(
      "VPPCHAIN_RATE_LIMIT must be a whole number from 0 to 1000000, got 'lots'",
    );
    const cfg = file('bad.toml', 'datadir = "d"\n[node]\napi-port = "8545"\n');
    expect(usageError(() => configFor('node', ['--config', cfg]))).toBe(
      `config file ${cfg}: [node] api-port must be a whole number from 0 to 65535, got "8545" (a string: numbers and true/false are written without quotes)`,
    );
    expect(usageError(() => configFor('node', ['--datadir', 'd', '--api-host', 'example.org']))).toContain(
      '--api-host must be an IP address to listen on',
    );
    expect(usageError(() => configFor('node', ['--datadir', 'd', '--log-level', 'loud']))).toBe(
      "--log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'",
    );
    expect(usageError(() => configFor('node', []))).toBe(
      '--datadir is required (or VPPCHAIN_DATADIR, or datadir in a config file)',
    );
    expect(usageError(() => configFor('node', ['--datadir', 'd', '--api-prot', '1']))).toContain(
      "Unknown option '--api-prot'",
    );
  });

  it('refuses unknown keys and tables in the file, suggesting the likely key, and says where bad TOML is', () => {
    const typo = file('typo.toml', 'api-prot = 8545\n');
    expect(usageError(() => configFor('node', ['--config', typo]))).toBe(
      `config file ${typo}: unknown key api-prot (did you mean api-port?)`,
    );
    const inTable = file('table.toml', '[devnet]\ndatadir = "x"\n');
    expect(usageError(() => configFor('node', ['--config', inTable, '--datadir', 'd']))).toBe(
      `config file ${inTable}: unknown key [devnet] datadir`,
    );
    const broken = file('broken.toml', 'api-port = \n');
    expect(usageError(() => configFor('node', ['--config', broken]))).toBe(
      `config file ${broken} is not valid TOML: line 1, column 12: invalid value`,
    );
    expect(usageError(() => configFor('node', ['--config', join(tmp, 'none.toml')]))).toBe(
      `config file ${join(tmp, 'none.toml')} does not exist`,
    );
  });

  it('resolves relative paths in the file against its directory, and lists from arrays or commas', () => {
    const cfg = file(
      'paths.toml',
      'datadir = "data/n0"\nbootstrap = ["/ip4/10.0.0.1/tcp/30300/p2p/a", "/ip4/10.0.0.2/tcp/30300/p2p/b"]\n',
    );
    const r = configFor('node', ['--config', cfg]);
    expect(r.values.datadir).toBe(join(tmp, 'data/n0'));
    expect(r.values.bootstrap).toHaveLength(2);
    expect(configFor('node', ['--datadir', 'rel', '--bootstrap', 'x, y']).values).toMatchObject({
      datadir: join(process.cwd(), 'rel'),
      bootstrap: ['x', 'y'],
    });
  });

  it('--print-config prints a file that reproduces the effective configuration', () => {
    const cfg = file(
      'print.toml',
      'datadir = "/srv/vppchain"\n[node]\nmine = true\ncors = ["https://a.example"]\n',
    );
    const r = configFor('node', ['--config', cfg, '--print-config', '--api-port', '9545'], {
      VPPCHAIN_LOG_FORMAT: 'json',
    });
    expect(r.printConfig).toBe(true);
    const text = printConfigOf('node', r);
    expect(text).toMatch(/^api-port = 9545 +# from --api-port$/m);
    expect(text).toMatch(/^log-format = "json" +# from environment VPPCHAIN_LOG_FORMAT$/m);
    expect(text).toMatch(/^mine = true +# from .*print\.toml: \[node\] mine$/m);
    expect(text).toMatch(/^rate-limit = 1200 +# default$/m);
    expect(text).toMatch(/^# threads = +# not set: cores - 1, at least 1$/m);
    const again = configFor('node', ['--config', file('printed.toml', text)], {});
    expect(again.values).toEqual(r.values);
    // Without the required data directory, --print-config still prints, and says it is missing.
    const missing = configFor('node', ['--print-config'], {});
    expect(printConfigOf('node', missing)).toMatch(/^# datadir = +# required, not set$/m);
  });

  it("docs/operations.md's tables are the schema's", () => {
    const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
    for (const [command, schema] of Object.entries(CONFIG_SCHEMAS)) {
      const m = new RegExp(`<!-- config:${command} -->\\n([\\s\\S]*?)\\n<!-- /config:${command} -->`).exec(
        doc,
      );
      expect(m, `docs/operations.md has no table for ${command}`).not.toBeNull();
      expect(m![1], `regenerate with: npx node node/config-docs.ts`).toBe(docsTable(schema));
    }
    expect(envName('api-base-port')).toBe('VPPCHAIN_API_BASE_PORT');
  });
});
