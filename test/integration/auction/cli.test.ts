// `vppchain auction clear` as a user runs it: a child process on real files, checking output and exit codes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vppchain-auction-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

// Deadline below the test timeout, so a hung run fails with its output rather than as a timeout.
const run = (...args: string[]) => runCli(['auction', ...args], { timeoutMs: 45_000 });

// The two-buyers-two-sellers case of examples.test.ts, worked out there.
const market = {
  gridSellPrice: 500,
  gridBuyPrice: 10,
  bids: [
    {
      id: 'S2',
      side: 'sell',
      steps: [
        { qty: 1000, price: 120 },
        { qty: 3000, price: 260 },
      ],
    },
    {
      id: 'B1',
      side: 'buy',
      steps: [
        { qty: 2000, price: 300 },
        { qty: 2000, price: 150 },
      ],
    },
    {
      id: 'S1',
      side: 'sell',
      steps: [
        { qty: 2000, price: 80 },
        { qty: 2000, price: 200 },
      ],
    },
    {
      id: 'B2',
      side: 'buy',
      steps: [
        { qty: 1000, price: 100 },
        { qty: 3000, price: 250 },
      ],
    },
  ],
};

describe('vppchain auction clear', () => {
  it('prints the clearing as JSON', async () => {
    const r = await run('clear', '--input', file('market.json', market), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      welfare: 670,
      deficit: 310,
      grid: { sold: 0, bought: 0 },
      participants: [
        { id: 'S2', side: 'sell', qty: 1000, payment: 250 },
        { id: 'B1', side: 'buy', qty: 2000, payment: 400 },
        { id: 'S1', side: 'sell', qty: 4000, payment: 1010 },
        { id: 'B2', side: 'buy', qty: 3000, payment: 550 },
      ],
    });
  });

  it('prints money beyond 2^53 as decimal strings', async () => {
    // 2 x 1e9 Wh at 1e9 per kWh: the seller receives 2e15 units (safe); with 32 such steps on each side the
    // totals pass 2^53 and the welfare must come out as a string.
    const steps = Array.from({ length: 32 }, () => ({ qty: 1_000_000_000, price: 1_000_000_000 }));
    const cheap = Array.from({ length: 32 }, () => ({ qty: 1_000_000_000, price: 0 }));
    const huge = {
      gridSellPrice: 1_000_000_000,
      gridBuyPrice: 0,
      bids: [
        { id: 'b', side: 'buy', steps },
        { id: 's', side: 'sell', steps: cheap },
      ],
    };
    const r = await run('clear', '--input', file('huge.json', huge), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.welfare).toBe('32000000000000000');
    expect(out.participants[1]).toEqual({
      id: 's',
      side: 'sell',
      qty: 32_000_000_000,
      payment: '32000000000000000',
    });
    expect(out.participants[0].payment).toBe(0);
  });

  it('prints a readable table without --json', async () => {
    const r = await run('clear', '--input', file('market.json', market));
    expect(r.code).toBe(0);
    expect(r.out).toContain('traded 5000 Wh; welfare 670; deficit 310');
    expect(r.out).toMatch(/^S1\s+sell\s+4000\s+1010\s+0\s+0$/m);
    expect(r.out).toMatch(/^B2\s+buy\s+3000\s+550\s+0\s+0$/m);
  });

  it('rejects a bad file naming the field, with exit code 2', async () => {
    const bad = structuredClone(market);
    bad.bids[2]!.steps[0]!.qty = 0;
    const r = await run('clear', '--input', file('bad.json', bad), '--json');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('bids[2].steps[0].qty must be a positive integer');
  });

  it('rejects malformed JSON, missing files and bad usage with exit code 2', async () => {
    const [notJson, missing, noInput, badFlag, unknown, none] = await Promise.all([
      run('clear', '--input', file('broken.json', '{"bids": [')),
      run('clear', '--input', join(dir, 'absent.json')),
      run('clear'),
      run('clear', '--input', file('m.json', market), '--jsno'),
      run('settle'),
      run(),
    ]);
    expect([notJson.code, notJson.err]).toEqual([2, expect.stringContaining('not valid JSON')]);
    expect([missing.code, missing.err]).toEqual([2, expect.stringContaining('cannot read')]);
    expect(noInput.code).toBe(2);
    expect(badFlag.code).toBe(2);
    expect([unknown.code, unknown.err]).toEqual([
      2,
      expect.stringContaining("unknown auction subcommand 'settle'"),
    ]);
    expect(none.code).toBe(2);
  });
});
