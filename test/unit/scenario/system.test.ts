// System scenarios (agent/scenario/system.ts): two VPPs from the user's own CSV files (inline prosumers and
// a day-ahead scenario file), every problem reported at once with its JSON path, and the built-in demo —
// a scenario file like any other — giving exactly the VPPs the demo always had.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  builtInDemo,
  DEMO_SCENARIO_FILE,
  loadSystemScenario,
  parseSystemScenario,
} from '../../../agent/scenario/system.ts';
import { ScenarioError } from '../../../market/scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'system-'));
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

// 15-minute meter readings (kWh) of three flats for one day, timestamps at the start of each reading.
const rows = ['timestamp,flat-1,flat-2,flat-2 pv'];
for (let m = 0; m < 1440; m += 15)
  rows.push(`2024-06-03T${hhmm(m)}:00,0.1,0.2,${m >= 360 && m < 1200 ? 0.3 : 0}`);
writeFileSync(join(dir, 'meters.csv'), `${rows.join('\n')}\n`);
writeFileSync(
  join(dir, 'south.json'),
  JSON.stringify({
    name: 'south',
    periods: 24,
    tariffs: { retail: Array(24).fill(0.3), feedIn: Array(24).fill(0.05), source: 'flat test tariff' },
    prosumers: [
      {
        id: 'house',
        load: Array(24).fill(0.5),
        battery: { capacityKwh: 5, initialKwh: 2, chargeKw: 2, dischargeKw: 2 },
      },
    ],
  }),
);

const scenario = () => ({
  name: 'two VPPs from meter data',
  intervals: 4,
  startTime: '06:00',
  minutesPerInterval: 15,
  chain: { intervalMs: 6000, blockTimeMs: 800, minConfirmations: 1 },
  gridPrices: { sell: 0.35, buy: 0.05, imbalanceShort: 0.5, imbalanceLong: 0.01 },
  forecast: { nowcast: 'persistence', seed: 9, loadSigma: 0, pvSigma: 0.05 },
  vpps: [
    {
      name: 'north',
      label: 'flats',
      prosumers: [
        { id: 'flat-1', load: { csv: 'meters.csv', column: 'flat-1', unit: 'kWh', time: 'timestamp' } },
        {
          id: 'flat-2',
          load: { csv: 'meters.csv', column: 'flat-2', unit: 'kWh', time: 'timestamp' },
          pv: { csv: 'meters.csv', column: 'flat-2 pv', unit: 'kWh', time: 'timestamp' },
        },
      ],
    },
    { name: 'south', scenario: 'south.json' },
  ],
});

const problems = (json: unknown): string[] => {
  try {
    parseSystemScenario(json, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).problems;
  }
  return [];
};

describe('system scenarios', () => {
  it('builds VPPs from meter CSVs and from a day-ahead scenario file, with the run and chain settings', () => {
    writeFileSync(join(dir, 'system.json'), JSON.stringify(scenario()));
    const s = loadSystemScenario(join(dir, 'system.json'));
    expect(s).toMatchObject({
      intervals: 4,
      startMinute: 360,
      minutesPerInterval: 15,
      chain: { intervalMs: 6000, blockTimeMs: 800, minConfirmations: 1 },
      gridPrices: {
        gridSellPrice: 350_000,
        gridBuyPrice: 50_000,
        imbalanceShortPrice: 500_000,
        imbalanceLongPrice: 10_000,
      },
      errors: { seed: 9, loadSigma: 0, pvSigma: 0.05 },
      nowcast: 'persistence',
      framework: 'weak',
    });
    const [north, south] = s.vpps;
    expect(north!.scenario.periods).toBe(48);
    // 0.1 kWh per 15 minutes = 0.4 kW; PV 0.3 kWh per 15 minutes from 06:00 to 20:00 = 1.2 kW.
    for (const v of north!.scenario.prosumers[0]!.loadKw) expect(v).toBeCloseTo(0.4, 12);
    expect(north!.scenario.prosumers[1]!.pvKw![11]).toBe(0);
    expect(north!.scenario.prosumers[1]!.pvKw![12]).toBeCloseTo(1.2, 12);
    // Without tariffs of its own, an inline VPP trades at the bundled time-of-use tariffs.
    expect(north!.scenario.tariffs.source).toContain('Agile');
    // The readings are finer than the half-hour periods: the agent gets them per minute for the actuals.
    expect(north!.sources[1]!.pv!.minuteKw![6 * 60]).toBeCloseTo(1.2, 12);
    expect(south!.label).toBe('from south.json');
    expect(south!.scenario.tariffs.source).toBe('flat test tariff');
    expect(south!.scenario.prosumers[0]!.battery!.chargeEfficiency).toBe(0.95);
  });

  it('reports every problem at once with its JSON path', () => {
    const s = scenario() as ReturnType<typeof scenario> & Record<string, unknown>;
    s.vpps[1]!.name = 'north';
    (s.vpps[0] as Record<string, unknown>).generate = { prosumers: 3 };
    (s.vpps[0]!.prosumers![1] as Record<string, unknown>).battery = {
      capacityKwh: -1,
      initialKwh: 0,
      chargeKw: 1,
      dischargeKw: 1,
    };
    s.minutesPerInterval = 7;
    s.startTime = '25:00';
    s.chain.intervalMs = 2000;
    s.gridPrices.buy = 0.5;
    s.vpps.push({ name: 'empty' } as never);
    const found = problems(s);
    expect(found).toEqual(
      expect.arrayContaining([
        '$.vpps[0].prosumers[1].battery.capacityKwh: must be > 0 (got -1)',
        '$.startTime: must be a time of day HH:MM (where the first interval starts in the simulated day) (got "25:00")',
        '$.chain.intervalMs: must be >= 3000 (got 2000)',
        '$.vpps[0]: has "prosumers" and "generate": give exactly one source of prosumers',
        "$.vpps[1].name: duplicate VPP name 'north'",
        '$.vpps[2]: needs its prosumers: one of "prosumers" (inline), "scenario" (a day-ahead scenario file) or "generate"',
        '$.gridPrices.buy: must not exceed sell (0.5 > 0.35)',
      ]),
    );
  });

  it('names problems inside CSVs and scenario files, and settings that do not fit the VPPs', () => {
    const s = scenario();
    s.vpps[0]!.prosumers![0]!.load.column = 'flat-9';
    s.vpps[1]!.scenario = 'missing.json';
    const found = problems(s);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^\$\.vpps\[0\]\.prosumers\[0\]\.load\.csv: cannot read column 'flat-9' of meters\.csv: no column 'flat-9'/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(/^\$\.vpps\[1\]\.scenario: missing\.json: .*missing\.json: ENOENT/),
    );
    const timing = scenario();
    timing.minutesPerInterval = 20;
    timing.startTime = '06:10';
    expect(problems(timing)).toEqual([
      "$.minutesPerInterval: must divide north's day-ahead period of 30 minutes (got 20)",
      '$.startTime: must be a multiple of minutesPerInterval (20 minutes) (got 06:10)',
    ]);
    const inner = scenario();
    (inner.vpps[1] as Record<string, unknown>).scenario = undefined;
    (inner.vpps[1] as Record<string, unknown>).prosumers = [{ id: 'x', load: [1, 2] }];
    expect(problems(inner)).toContainEqual(
      '$.vpps[1].prosumers[0].load: has 2 values but the scenario has 48 periods',
    );
  });

  it('the example of docs/scenario.md is a valid scenario: meter readings of one chosen day, half-hourly kW', () => {
    const s = loadSystemScenario(
      new URL('../../../agent/scenario/examples/two-vpps.json', import.meta.url).pathname,
    );
    expect(s.vpps.map((v) => `${v.name}: ${v.scenario.prosumers.map((p) => p.id).join(', ')}`)).toEqual([
      'north: flat-a, flat-b, flat-c',
      'south: house-1, house-2',
    ]);
    expect(s.vpps[1]!.scenario.prosumers[1]!.flexibleLoads[0]!.name).toBe('heat pump');
    expect(s.vpps[0]!.sources.every((x) => x.load?.minuteKw?.length === 1440)).toBe(true);
  });

  it('the built-in demo is a scenario file: three generated VPPs with their mixes and seeds', () => {
    const json = JSON.parse(readFileSync(DEMO_SCENARIO_FILE, 'utf8'));
    expect(json.vpps.map((v: { name: string; label: string }) => `${v.name} ${v.label}`)).toEqual([
      'vpp-1 solar-rich',
      'vpp-2 consumers',
      'vpp-3 balanced',
    ]);
    const demo = builtInDemo();
    expect(demo.file).toBe(DEMO_SCENARIO_FILE);
    expect(demo).toMatchObject({
      intervals: 0,
      startMinute: 660,
      minutesPerInterval: 5,
      chain: { intervalMs: 12_000 },
    });
    expect(demo.vpps.map((v) => v.scenario.prosumers.length)).toEqual([10, 10, 10]);
    // Generated homes are mapped to their CLNR columns: the bundled 1-minute data are their actuals.
    expect(demo.vpps.every((v) => v.season === 'summer' && v.sources.every((s) => s.load?.column))).toBe(
      true,
    );
    // --vpps and --prosumers cycle the mixes with the next seeds.
    const five = builtInDemo({ vpps: 5, prosumers: 4 });
    expect(five.vpps.map((v) => `${v.name} ${v.label} ${v.scenario.name.match(/seed (\d+)/)![1]}`)).toEqual([
      'vpp-1 solar-rich 7001',
      'vpp-2 consumers 7002',
      'vpp-3 balanced 7003',
      'vpp-4 solar-rich 7004',
      'vpp-5 consumers 7005',
    ]);
    // Its title says what was asked for, not the file's "three VPPs of ten".
    expect(five.name).toBe('Built-in demo: 5 VPPs of 4 CLNR homes');
    expect(builtInDemo({ vpps: 1, prosumers: 1 }).name).toBe('Built-in demo: 1 VPP of 1 CLNR home');
  });
});
