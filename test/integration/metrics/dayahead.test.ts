// The VPPs' day-ahead runs as a node exports them: read from the agents' published results (--vpp-file) at
// every scrape, per VPP; a VPP entry that is malformed is left out, a file that cannot be read or parsed
// leaves no day-ahead series and says so (vpp_published_results_valid 0), and the node keeps serving.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayAheadFigures } from '../../../node/dayahead-metrics.ts';
import { keys } from '../../helpers/builder.ts';
import { MarketScenario, parseSamples, sampleValue } from './scenario.ts';

const vpp1 = keys.vpp1.address;
const vpp2 = keys.vpp2.address;

let s: MarketScenario;
let dir: string;
let file: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vppchain-dayahead-'));
  file = join(dir, 'vpps.json');
  s = await MarketScenario.start(file);
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

const dayAhead = (over: Record<string, unknown>) => ({
  status: 'done',
  iteration: 40,
  maxIterations: 500,
  relativeImbalance: 1e-7,
  certifiedGap: 0.0002,
  converged: true,
  seconds: 2.5,
  ...over,
});

const scrape = async () => {
  const samples = parseSamples(await s.scrape());
  return {
    valid: sampleValue(samples, 'vpp_published_results_valid'),
    dayAhead: samples
      .filter((x) => x.name.startsWith('vpp_dayahead_'))
      .map((x) => `${x.name} ${x.labels.vpp} ${x.value}`)
      .sort(),
  };
};

describe('day-ahead metrics', () => {
  it('export each VPP’s iterations, certified gap, seconds and convergence from the published results', async () => {
    writeFileSync(
      file,
      JSON.stringify({
        vpps: [
          { name: 'vpp-1', address: vpp1, dayAhead: dayAhead({}) },
          // Still solving: no gap, no time, no verdict yet.
          {
            name: 'vpp-2',
            address: vpp2,
            dayAhead: dayAhead({
              status: 'solving',
              iteration: 7,
              certifiedGap: null,
              converged: null,
              seconds: null,
            }),
          },
          { name: 'no address', dayAhead: dayAhead({}) },
          { name: 'bad address', address: '0x1234', dayAhead: dayAhead({}) },
          { name: 'bad iteration', address: keys.vpp3.address, dayAhead: dayAhead({ iteration: 'many' }) },
          { name: 'no day-ahead yet', address: keys.grid.address },
        ],
      }),
    );
    expect(await scrape()).toEqual({
      valid: 1,
      dayAhead: [
        `vpp_dayahead_certified_gap ${vpp1} 0.0002`,
        `vpp_dayahead_converged ${vpp1} 1`,
        `vpp_dayahead_iterations ${vpp1} 40`,
        `vpp_dayahead_iterations ${vpp2} 7`,
        `vpp_dayahead_seconds ${vpp1} 2.5`,
      ].sort(),
    });
  });

  it('follow the file as the agents rewrite it, and drop what they no longer publish', async () => {
    writeFileSync(
      file,
      JSON.stringify({
        vpps: [{ name: 'vpp-2', address: vpp2, dayAhead: dayAhead({ converged: false, seconds: 9 }) }],
      }),
    );
    expect(await scrape()).toEqual({
      valid: 1,
      dayAhead: [
        `vpp_dayahead_certified_gap ${vpp2} 0.0002`,
        `vpp_dayahead_converged ${vpp2} 0`,
        `vpp_dayahead_iterations ${vpp2} 40`,
        `vpp_dayahead_seconds ${vpp2} 9`,
      ].sort(),
    });
  });

  it('say when the file is malformed or missing, with no day-ahead series, and keep serving', async () => {
    for (const content of [
      '{"vpps": [',
      '[]',
      '{"vpps": 3}',
      JSON.stringify({ vpps: new Array(1001).fill({}) }),
    ]) {
      writeFileSync(file, content);
      expect(await scrape(), content.slice(0, 20)).toEqual({ valid: 0, dayAhead: [] });
    }
    rmSync(file);
    expect(await scrape()).toEqual({ valid: 0, dayAhead: [] });
    expect((await fetch(`${s.api.url}/v1/status`)).status).toBe(200);
  });

  it('read the figures field by field (the parser alone)', () => {
    expect(dayAheadFigures(null)).toBeUndefined();
    expect(dayAheadFigures({ vpps: [] })).toEqual([]);
    expect(
      dayAheadFigures({
        vpps: [
          {
            address: vpp1,
            dayAhead: { iteration: 3, certifiedGap: Number.NaN, seconds: -1, converged: 'yes' },
          },
        ],
      }),
    ).toEqual([{ vpp: vpp1, iterations: 3, certifiedGap: null, seconds: null, converged: null }]);
  });
});
