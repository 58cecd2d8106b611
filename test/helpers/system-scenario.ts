// A system scenario as a user would write it: two VPPs whose prosumers' profiles are the user's own CSV
// files — north's as 5-minute meter readings in kWh with ISO timestamps (two days, one chosen), south's as
// half-hourly kW with period numbers — made from real CLNR households (the bundled 1-minute data). With
// its forecast-error seed, north is long and south short in the first intervals from 11:00 (north's battery
// covers part of its surplus), so the auction trades between them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMinuteData } from '../../agent/actuals.ts';

const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Writes meters-north.csv, south.csv and system.json into dir; returns the scenario's path. */
export function writeTwoVppScenario(
  dir: string,
  o: { intervals: number; intervalMs: number; blockTimeMs: number; minConfirmations?: number },
): string {
  const minutes = loadMinuteData('summer');
  const load = (c: string) => minutes.load.get(c)!;
  const pv = (c: string) => minutes.pv.get(c)!;
  // north: 5-minute energy readings (kWh) of three flats, one with 3 kWp of PV; timestamps at the start
  // of each reading, over two days (the scenario picks the second).
  const north = { 'flat a': load('2'), 'flat b': load('9'), 'flat c': load('12') };
  const northPv = pv('4');
  const rows = ['timestamp,flat a,flat b,flat c,flat c pv'];
  for (const date of ['2013-06-10', '2013-06-11'])
    for (let m = 0; m < 1440; m += 5) {
      const kwh = (series: Float64Array, scale = 1) => {
        let sum = 0;
        for (let i = m; i < m + 5; i++) sum += series[i]!;
        return ((sum / 60) * scale).toFixed(5);
      };
      rows.push(
        `${date} ${hhmm(m)},${kwh(north['flat a'])},${kwh(north['flat b'])},${kwh(north['flat c'])},${kwh(northPv, 3)}`,
      );
    }
  writeFileSync(join(dir, 'meters-north.csv'), `${rows.join('\r\n')}\r\n`);
  // south: half-hourly mean kW with period numbers from 1, and a quoted header.
  const halfHour = (series: Float64Array, t: number, scale = 1) => {
    let sum = 0;
    for (let i = 30 * t; i < 30 * t + 30; i++) sum += series[i]!;
    return ((sum / 30) * scale).toFixed(4);
  };
  const south = ['"period","house 1","house 2","house 2, pv"'];
  for (let t = 0; t < 48; t++)
    south.push(
      `${t + 1},${halfHour(load('19'), t)},${halfHour(load('20'), t, 1.2)},${halfHour(pv('7'), t, 4)}`,
    );
  writeFileSync(join(dir, 'south.csv'), `\uFEFF${south.join('\n')}\n`);
  const battery = {
    capacityKwh: 9.5,
    socMinKwh: 1,
    initialKwh: 4.75,
    chargeKw: 3.8,
    dischargeKw: 3.8,
    degradationCostPerKwh: 0.02,
  };
  const scenario = {
    $schema: '../../agent/scenario/system.schema.json',
    name: 'Two VPPs from meter data',
    description: 'north: three flats from 5-minute meter readings; south: two houses from half-hourly data',
    intervals: o.intervals,
    startTime: '11:00',
    minutesPerInterval: 5,
    chain: {
      intervalMs: o.intervalMs,
      blockTimeMs: o.blockTimeMs,
      minConfirmations: o.minConfirmations ?? 2,
    },
    forecast: { nowcast: 'perfect', seed: 7, loadSigma: 0.15, pvSigma: 0.2 },
    vpps: [
      {
        name: 'north',
        label: 'flats, 5-minute meters',
        prosumers: ['flat a', 'flat b', 'flat c'].map((c) => ({
          id: c.replace(' ', '-'),
          load: { csv: 'meters-north.csv', column: c, unit: 'kWh', time: 'timestamp', day: '2013-06-11' },
          ...(c === 'flat c'
            ? {
                pv: {
                  csv: 'meters-north.csv',
                  column: 'flat c pv',
                  unit: 'kWh',
                  time: 'timestamp',
                  day: '2013-06-11',
                },
                battery,
              }
            : {}),
        })),
      },
      {
        name: 'south',
        label: 'houses, half-hourly',
        prosumers: [
          { id: 'house-1', load: { csv: 'south.csv', column: 'house 1', time: 'period' } },
          {
            id: 'house-2',
            load: { csv: 'south.csv', column: 'house 2', time: 'period' },
            pv: { csv: 'south.csv', column: 'house 2, pv', time: 'period' },
            flexibleLoads: [
              { name: 'heat pump', energyKwh: 6, startPeriod: 12, endPeriod: 44, minKw: 0.1, maxKw: 2 },
            ],
          },
        ],
      },
    ],
  };
  const path = join(dir, 'system.json');
  writeFileSync(path, JSON.stringify(scenario, null, 2));
  return path;
}
