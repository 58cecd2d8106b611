// The vppchain CLI as a person runs it (through bin/vppchain.js): help, unknown commands and flags,
// keygen, init and its refusals, a node on a directory that was never initialised. Each case is its own
// test and every process runs asynchronously with a scaled deadline (test/helpers/cli.ts), so a loaded
// machine makes the suite slower, not red.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devKeyPair } from '../../../protocol/keys.ts';
import { BIN, runCli } from '../../helpers/cli.ts';
import { scaled } from '../../helpers/time.ts';

const run = (...args: string[]) => runCli(args, { entry: BIN });
const tmp = mkdtempSync(join(tmpdir(), 'vppchain-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vppchain CLI', () => {
  it('lists commands and shows help per command', async () => {
    const [top, init] = await Promise.all([run('--help'), run('init', '--help')]);
    expect(top.code).toBe(0);
    for (const c of ['keygen', 'init', 'node', 'devnet', 'demo', 'bid', 'bills', 'auction', 'dayahead'])
      expect(top.out).toContain(c);
    expect(init.out).toContain('--datadir');
  });

  it('refuses unknown commands and flags with exit code 2', async () => {
    const [bad, flag] = await Promise.all([run('frobnicate'), run('keygen', '--nope')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown command 'frobnicate'");
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/Unknown option '--nope'/);
  });

  // Tests with two CLI runs in a row (each with a 60 s deadline) have the time for both.
  it('keygen writes a private key file and derives dev keys', { timeout: scaled(150_000) }, async () => {
    const file = join(tmp, 'k.json');
    const r = await run('keygen', '--out', file, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.address).toBe(out.address);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const [again, dev] = await Promise.all([
      run('keygen', '--out', file), // no silent overwrite
      run('keygen', '--dev', 'vpp-1', '--json'),
    ]);
    expect(again.code).toBe(2);
    expect(JSON.parse(dev.out).address).toBe(devKeyPair('vpp-1').address);
  });

  it('init creates a data directory, and refuses to initialise it twice', {
    timeout: scaled(150_000),
  }, async () => {
    const dir = join(tmp, 'data');
    const r = await run('init', '--datadir', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/genesis [0-9a-f]{64}/);
    const twice = await run('init', '--datadir', dir);
    expect(twice.code).toBe(2);
    expect(twice.err).toContain('already initialised');
  });

  it('init rejects bad genesis files with the field named, and a bad --timestamp', async () => {
    const g = JSON.parse(readFileSync(new URL('../../../genesis.json', import.meta.url), 'utf8'));
    g.accounts[1].balance = '-5';
    const badFile = join(tmp, 'bad-genesis.json');
    writeFileSync(badFile, JSON.stringify(g));
    const [bad, stamp] = await Promise.all([
      run('init', '--datadir', join(tmp, 'd2'), '--genesis', badFile),
      run('init', '--datadir', join(tmp, 'd3'), '--timestamp', 'yesterday'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('balance must be a decimal string');
    expect(stamp.code).toBe(2);
    expect(stamp.err).toContain('--timestamp');
  });

  it('node refuses a directory that was never initialised', async () => {
    const r = await run('node', '--datadir', join(tmp, 'nothing'), '--p2p-port', '0', '--api-port', '0');
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a vppchain data directory');
  });
});
