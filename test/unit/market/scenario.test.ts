// Scenario validation: bad input is rejected with messages that name the field.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../../../market/scenario.ts';

const base = () => ({
  name: 'unit',
  periods: 2,
  tariffs: { retail: [0.2, 0.3], feedIn: [0.05, 0.05], source: 'test' },
  prosumers: [
    {
      id: 'a',
      load: [1, 2],
      pv: [0, 1],
      battery: { capacityKwh: 10, initialKwh: 5, chargeKw: 3, dischargeKw: 3 },
      flexibleLoads: [{ name: 'ev', energyKwh: 10, startPeriod: 0, endPeriod: 2, maxKw: 3 }],
      generator: { maxKw: 1, marginalCostPerKwh: 0.15 },
    },
  ],
});

function problems(mutate: (s: ReturnType<typeof base>) => void, baseDir?: string): string[] {
  const s = base();
  mutate(s);
  try {
    parseScenario(s, baseDir);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).problems;
  }
  return [];
}

describe('scenario validation', () => {
  it('accepts a complete scenario and fills defaults', () => {
    const s = parseScenario(base());
    expect(s.periodMinutes).toBe(720);
    expect(s.currency).toBe('GBP');
    expect(s.prosumers[0]!.battery).toMatchObject({ socMinKwh: 0, socMaxKwh: 10, chargeEfficiency: 0.95 });
    expect(s.prosumers[0]!.flexibleLoads[0]!.minKw).toBe(0);
  });

  it('names negative capacities', () => {
    expect(problems((s) => (s.prosumers[0]!.battery.capacityKwh = -5))).toContainEqual(
      expect.stringContaining('$.prosumers[0].battery.capacityKwh: must be > 0 (got -5)'),
    );
    expect(problems((s) => (s.prosumers[0]!.generator.maxKw = -1))).toContainEqual(
      expect.stringContaining('$.prosumers[0].generator.maxKw: must be >= 0'),
    );
  });

  it('names missing profiles and profiles whose length does not match the periods', () => {
    expect(
      problems((s) => {
        delete (s.prosumers[0] as { load?: unknown }).load;
      }),
    ).toContainEqual(expect.stringContaining('$.prosumers[0].load: is required'));
    expect(problems((s) => (s.prosumers[0]!.pv = [1, 2, 3]))).toContainEqual(
      '$.prosumers[0].pv: has 3 values but the scenario has 2 periods',
    );
    expect(problems((s) => (s.tariffs.retail = [0.2]))).toContainEqual(
      expect.stringContaining('$.tariffs.retail: has 1 values'),
    );
    expect(problems((s) => (s.prosumers[0]!.load = [1, -1]))).toContainEqual(
      expect.stringContaining('$.prosumers[0].load[1]: must be >= 0'),
    );
  });

  it('names infeasible flexible-load windows', () => {
    expect(problems((s) => (s.prosumers[0]!.flexibleLoads[0]!.energyKwh = 100))).toContainEqual(
      expect.stringMatching(/^\$\.prosumers\[0\]\.flexibleLoads\[0\]\.energyKwh: infeasible window/),
    );
    expect(problems((s) => (s.prosumers[0]!.flexibleLoads[0]!.endPeriod = 0))).toContainEqual(
      expect.stringContaining('$.prosumers[0].flexibleLoads[0].endPeriod'),
    );
    expect(problems((s) => (s.prosumers[0]!.flexibleLoads[0]!.startPeriod = 5))).toContainEqual(
      expect.stringContaining('$.prosumers[0].flexibleLoads[0].startPeriod: must be <= 1'),
    );
  });

  it('rejects periods that do not cover a day and inconsistent state-of-charge figures', () => {
    expect(problems((s) => Object.assign(s, { periodMinutes: 30 }))).toContainEqual(
      expect.stringContaining('$.periodMinutes'),
    );
    expect(problems((s) => (s.prosumers[0]!.battery.initialKwh = 11))).toContainEqual(
      expect.stringContaining('$.prosumers[0].battery.initialKwh: must lie within'),
    );
  });

  it('rejects a feed-in tariff above retail, unknown fields and duplicate ids', () => {
    expect(problems((s) => (s.tariffs.feedIn = [0.05, 0.4]))).toContainEqual(
      expect.stringContaining('$.tariffs.feedIn[1]: must not exceed retail'),
    );
    expect(problems((s) => Object.assign(s.prosumers[0]!, { windTurbine: {} }))).toContainEqual(
      expect.stringContaining('$.prosumers[0].windTurbine: unknown field'),
    );
    expect(problems((s) => s.prosumers.push({ ...s.prosumers[0]! }))).toContainEqual(
      "$.prosumers[1].id: duplicate id 'a'",
    );
  });

  it('reports every problem at once', () => {
    const found = problems((s) => {
      s.prosumers[0]!.battery.capacityKwh = -1;
      s.prosumers[0]!.pv = [1];
      s.tariffs.source = '';
    });
    expect(found.length).toBeGreaterThanOrEqual(3);
  });

  it('reads CSV profiles relative to the scenario file and names a missing column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    writeFileSync(join(dir, 'profiles.csv'), ',home,pv\n0,1.5,0\n1,2.5,3\n');
    const s = base();
    s.prosumers[0]!.load = { csv: 'profiles.csv', column: 'home', scale: 2 } as never;
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify(s));
    expect(loadScenario(join(dir, 'scenario.json')).prosumers[0]!.loadKw).toEqual([3, 5]);
    expect(
      problems((x) => (x.prosumers[0]!.load = { csv: 'profiles.csv', column: 'nope' } as never), dir),
    ).toContainEqual(expect.stringMatching(/^\$\.prosumers\[0\]\.load\.csv: cannot read column 'nope'/));
    writeFileSync(join(dir, 'broken.json'), '{ "name": ');
    expect(() => loadScenario(join(dir, 'broken.json'))).toThrow(ScenarioError);
  });

  it('the JSON schema lists exactly the fields the validator accepts', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../market/scenario.schema.json', import.meta.url), 'utf8'),
    );
    const keys = (o: { properties: object }) => Object.keys(o.properties).sort();
    const prosumer = schema.$defs.prosumer;
    const sections: [string[], string][] = [
      [keys(schema), 'x'],
      [keys(schema.properties.tariffs), 'tariffs'],
      [keys(prosumer), 'prosumer'],
      [keys(prosumer.properties.battery), 'battery'],
      [keys(prosumer.properties.flexibleLoads.items), 'flexibleLoads'],
      [keys(prosumer.properties.generator), 'generator'],
    ];
    for (const [fields, where] of sections) {
      // Each schema field is known to the validator (an unknown one would be reported as such)...
      const unknown = problems((s) => {
        const target =
          where === 'x'
            ? s
            : where === 'tariffs'
              ? s.tariffs
              : where === 'prosumer'
                ? s.prosumers[0]!
                : where === 'flexibleLoads'
                  ? s.prosumers[0]!.flexibleLoads[0]!
                  : (s.prosumers[0]! as unknown as Record<string, object>)[where]!;
        for (const f of fields) if (!(f in target)) Object.assign(target, { [f]: undefined });
        Object.assign(target, { notInSchema: 1 });
      });
      expect(
        unknown.filter((p) => p.includes('unknown field')).map((p) => p.split(':')[0]!.split('.').at(-1)),
      ).toEqual(['notInSchema']);
      // ...and the validator's list of allowed fields, quoted in that message, is the schema's.
      const allowed = unknown
        .find((p) => p.includes('unknown field'))!
        .match(/allowed: (.*)\)/)![1]!
        .split(', ')
        .sort();
      expect(allowed, where).toEqual(fields);
    }
  });
});
