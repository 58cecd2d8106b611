import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devKeyPair } from '../../../protocol/keys.ts';

const cli = new URL('../../../bin/vppchain.js', import.meta.url).pathname;
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), 'vppchain-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vppchain CLI', () => {
  it('lists commands, shows help per command, and refuses unknown commands and flags', () => {
    const top = run('--help');
    expect(top.code).toBe(0);
    for (const c of ['keygen', 'init', 'node', 'devnet', 'demo', 'bid', 'bills', 'auction', 'dayahead'])
      expect(top.out).toContain(c);
    expect(run('init', '--help').out).toContain('--datadir');
    const bad = run('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown command 'frobnicate'");
    const flag = run('keygen', '--nope');
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/Unknown option '--nope'/);
  });

  it('keygen writes a private key file and derives dev keys', () => {
    const file = join(tmp, 'k.json');
    const r = run('keygen', '--out', file, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.address).toBe(out.address);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(run('keygen', '--out', file).code).toBe(2); // no silent overwrite
    expect(JSON.parse(run('keygen', '--dev', 'vpp-1', '--json').out).address).toBe(
      devKeyPair('vpp-1').address,
    );
  });

  it('init creates a data directory and rejects bad genesis files with the field named', () => {
    const dir = join(tmp, 'data');
    const r = run('init', '--datadir', dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/genesis [0-9a-f]{64}/);
    expect(run('init', '--datadir', dir).code).toBe(2);
    const g = JSON.parse(readFileSync(new URL('../../../genesis.json', import.meta.url), 'utf8'));
    g.accounts[1].balance = '-5';
    const badFile = join(tmp, 'bad-genesis.json');
    writeFileSync(badFile, JSON.stringify(g));
    const bad = run('init', '--datadir', join(tmp, 'd2'), '--genesis', badFile);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('balance must be a decimal string');
    expect(run('init', '--datadir', join(tmp, 'd3'), '--timestamp', 'yesterday').code).toBe(2);
  });

  it('node refuses a directory that was never initialised', () => {
    const r = run('node', '--datadir', join(tmp, 'nothing'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a vppchain data directory');
  });
});
