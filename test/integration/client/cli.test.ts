// The API commands of the CLI (child processes) against an in-process mining node: a transfer is signed
// by the CLI, mined, and `--wait` reports it confirmed; status, account and block as JSON and tables;
// usage errors (exit 2) and API/connection errors (exit 1) with clear messages.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyFile } from '../../../node/keyfile.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import { type ApiNode, startApiNode } from '../../helpers/api-node.ts';
import { keys } from '../../helpers/builder.ts';
import { netParams } from '../../helpers/net.ts';

const cli = new URL('../../../bin/vppchain.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'vppchain-cli-api-'));
const keyFile = join(tmp, 'vpp1.json');
let api: ApiNode;

const run = (...args: string[]) =>
  new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });

beforeAll(async () => {
  writeKeyFile(keyFile, keys.vpp1);
  api = await startApiNode(netParams(), { mine: true });
});
afterAll(async () => {
  await api.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('vppchain transfer/status/account/block', () => {
  it('transfer --wait: signed by the CLI, mined, reported confirmed', async () => {
    const to = devKeyPair('cli-recipient').address;
    const r = await run(
      'transfer',
      '--node',
      api.url,
      '--key',
      keyFile,
      '--to',
      to,
      '--amount',
      '4242',
      '--wait',
      '--json',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out);
    expect(c.status).toBe('confirmed');
    expect(c.confirmations).toBeGreaterThanOrEqual(1);
    expect(c.transaction.payload).toEqual({ kind: 'transfer', to, amount: '4242' });
    expect(c.transaction.sender).toBe(keys.vpp1.address);
    expect(api.node.chain.account(to).balance).toBe(4242n);

    // human output, without --wait: pending with the next nonce
    const h = await run(
      'transfer',
      '--node',
      api.url,
      '--key',
      keyFile,
      '--to',
      to,
      '--amount',
      '1',
      '--fee',
      '12',
    );
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^submitted\s+[0-9a-f]{64}$/m);
    expect(h.out).toMatch(/^nonce\s+1$/m);
  });

  it('status, account and block print JSON for scripts and tables for people', async () => {
    const [sj, st, aj, ak, bj, bt] = await Promise.all([
      run('status', '--node', api.url, '--json'),
      run('status', '--node', api.url),
      run('account', '--node', api.url, '--address', keys.grid.address, '--json'),
      run('account', '--node', api.url, '--key', keyFile),
      run('block', '1', '--node', api.url, '--json'),
      run('block', 'latest', '--node', api.url),
    ]);
    for (const r of [sj, st, aj, ak, bj, bt]) expect(r.code, r.err).toBe(0);
    expect(JSON.parse(sj.out).chainId).toBe(api.node.params.chainId);
    expect(st.out).toMatch(/^height\s+\d+$/m);
    expect(st.out).toMatch(/^mining\s+[\d.]+ [kM]?H\/s$/m);
    expect(JSON.parse(aj.out)).toMatchObject({ address: keys.grid.address, role: 'grid' });
    expect(ak.out).toMatch(new RegExp(`^address\\s+${keys.vpp1.address}$`, 'm'));
    expect(ak.out).toMatch(/^role\s+vpp \(vpp-1\)$/m);
    expect(JSON.parse(bj.out).height).toBe(1);
    expect(bt.out).toMatch(/^hash\s+[0-9a-f]{64}$/m);
  });

  it('refuses bad flags with exit 2 and reports API and connection errors with exit 1', async () => {
    const usage: [string[], RegExp][] = [
      [['transfer', '--node', api.url, '--key', keyFile, '--to', '0x12', '--amount', '1'], /--to must be/],
      [
        ['transfer', '--node', api.url, '--key', keyFile, '--to', keys.vpp2.address, '--amount', '-5'],
        /--amount/,
      ],
      [
        ['transfer', '--node', api.url, '--key', keyFile, '--to', keys.vpp2.address, '--amount', '0'],
        /positive/,
      ],
      [
        [
          'transfer',
          '--node',
          api.url,
          '--key',
          keyFile,
          '--to',
          keys.vpp2.address,
          '--amount',
          '18446744073709551616',
        ],
        /--amount/,
      ],
      [['transfer', '--node', api.url, '--to', keys.vpp2.address, '--amount', '1'], /--key FILE is required/],
      [
        [
          'transfer',
          '--node',
          api.url,
          '--key',
          join(tmp, 'missing.json'),
          '--to',
          keys.vpp2.address,
          '--amount',
          '1',
        ],
        /cannot read key file/,
      ],
      [
        ['transfer', '--node', 'ftp://x', '--key', keyFile, '--to', keys.vpp2.address, '--amount', '1'],
        /--node/,
      ],
      [
        ['transfer', '--node', api.url, '--key', keyFile, '--to', keys.vpp2.address, '--amount', '1.5'],
        /--amount must be/,
      ],
      [['account', '--node', api.url], /exactly one of/],
      [['account', '--address', 'nope'], /--address must be/],
      [['block', 'abc'], /block ID must be/],
      [['block'], /one block ID/],
      [['status', '--bogus'], /Unknown option/],
      [['node', '--datadir', join(tmp, 'none'), '--cors', 'ftp://x'], /--cors 'ftp:\/\/x' is not an origin/],
      [
        ['node', '--datadir', join(tmp, 'none'), '--rate-limit', 'lots'],
        /--rate-limit must be a whole number/,
      ],
      [['node', '--datadir', join(tmp, 'none'), '--api-log', 'loud'], /--api-log must be one of/],
    ];
    const results = await Promise.all(usage.map(([args]) => run(...args)));
    results.forEach((r, i) => {
      expect(r.code, usage[i]![0].join(' ')).toBe(2);
      expect(r.err).toMatch(usage[i]![1]);
    });
    const [low, missing, down] = await Promise.all([
      run(
        'transfer',
        '--node',
        api.url,
        '--key',
        keyFile,
        '--to',
        keys.vpp2.address,
        '--amount',
        '1',
        '--nonce',
        '0',
        '--json',
      ),
      run('block', 'ab'.repeat(32), '--node', api.url),
      run('status', '--node', 'http://127.0.0.1:1'),
    ]);
    expect(low.code).toBe(1);
    expect(JSON.parse(low.out).error.code).toBe('NONCE_TOO_LOW');
    expect(low.err).toMatch(/NONCE_TOO_LOW: nonce 0 already used/);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/NOT_FOUND/);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/UNREACHABLE: cannot reach http:\/\/127.0.0.1:1/);
  });
});
