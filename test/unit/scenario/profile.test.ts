// Profiles from the user's own CSV files (market/profile.ts through the scenario's profile references):
// units, timestamps at the start or end of a reading, time-of-day and period columns, finer rows averaged
// (and kept per minute), coarser rows repeated, and the errors a person gets for a gap, a second day or
// a unit that does not fit.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCsvProfile, ProfileError } from '../../../market/profile.ts';

const dir = mkdtempSync(join(tmpdir(), 'profile-'));
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** 5-minute kWh readings of two homes over two days; home a draws (minute of the day)/1000 kW. */
function meterFile(name: string, label: 'start' | 'end' = 'start', skip?: number): string {
  const rows = ['timestamp,home a,home b'];
  for (const date of ['2024-06-03', '2024-06-04'])
    for (let m = 0; m < 1440; m += 5) {
      if (m === skip) continue;
      const kw = m / 1000;
      const at = label === 'start' ? m : m + 5;
      const stamp =
        at === 1440 ? `${date === '2024-06-03' ? '2024-06-04' : '2024-06-05'} 00:00` : `${date} ${hhmm(at)}`;
      rows.push(`${stamp},${(kw * 5) / 60},${date === '2024-06-03' ? 0.1 : 0.2}`);
    }
  writeFileSync(join(dir, name), `${rows.join('\n')}\n`);
  return name;
}

describe('CSV profiles', () => {
  it('turns 5-minute kWh readings of one chosen day into half-hourly kW means, and keeps the minutes', () => {
    const csv = meterFile('meters.csv');
    const p = loadCsvProfile(
      { csv, column: 'home a', unit: 'kWh', time: 'timestamp', day: '2024-06-03' },
      dir,
      48,
      'power',
    );
    expect(p.rowMinutes).toBe(5);
    // Period t covers minutes 30t..30t+25 of the 5-minute grid: the mean of m/1000 over them.
    p.values.forEach((v, t) => {
      expect(v).toBeCloseTo((30 * t + 12.5) / 1000, 9);
    });
    expect(p.minuteValues![0]).toBeCloseTo(0, 12);
    expect(p.minuteValues![7]).toBeCloseTo(5 / 1000, 12);
    const b = loadCsvProfile(
      { csv, column: 'home b', unit: 'Wh', time: 'timestamp', day: '2024-06-04', scale: 2 },
      dir,
      24,
      'power',
    );
    // 0.2 Wh per 5 minutes = 2.4 W = 0.0024 kW, scaled by 2.
    for (const v of b.values) expect(v).toBeCloseTo(0.0048, 12);
  });

  it('reads timestamps that mark the end of each reading', () => {
    const csv = meterFile('meters-end.csv', 'end');
    const start = loadCsvProfile(
      { csv: 'meters.csv', column: 'home a', unit: 'kWh', time: 'timestamp', day: '2024-06-04' },
      dir,
      48,
      'power',
    );
    const end = loadCsvProfile(
      { csv, column: 'home a', unit: 'kWh', time: 'timestamp', timestamps: 'end', day: '2024-06-04' },
      dir,
      48,
      'power',
    );
    expect(end.values).toEqual(start.values);
  });

  it('asks for a day when the file has several, and names a missing reading', () => {
    expect(() =>
      loadCsvProfile(
        { csv: 'meters.csv', column: 'home a', unit: 'kWh', time: 'timestamp' },
        dir,
        48,
        'power',
      ),
    ).toThrow('covers 2 days (2024-06-03, 2024-06-04); choose one with "day": "YYYY-MM-DD"');
    expect(() =>
      loadCsvProfile(
        { csv: 'meters.csv', column: 'home a', time: 'timestamp', day: '2024-07-01' },
        dir,
        48,
        'power',
      ),
    ).toThrow('has no readings on 2024-07-01');
    const gap = meterFile('gap.csv', 'start', 605);
    try {
      loadCsvProfile(
        { csv: gap, column: 'home a', unit: 'kWh', time: 'timestamp', day: '2024-06-03' },
        dir,
        48,
        'power',
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProfileError);
      expect((err as ProfileError).field).toBe('time');
      expect((err as Error).message).toBe(
        'gap.csv has no reading starting at 10:05 on 2024-06-03 (readings are 5 minutes apart)',
      );
    }
  });

  it('places rows by period numbers from 1 in any order, and by times of day', () => {
    const rows = Array.from({ length: 24 }, (_, h) => `${h + 1};${h * 100}`).reverse();
    writeFileSync(join(dir, 'hourly.csv'), `period;W\n${rows.join('\n')}\n`);
    const p = loadCsvProfile(
      { csv: 'hourly.csv', column: 'W', unit: 'W', time: 'period', delimiter: ';' },
      dir,
      48,
      'power',
    );
    // Hourly rows are coarser than half hours: each is repeated.
    expect(p.values).toEqual(Array.from({ length: 48 }, (_, t) => Math.floor(t / 2) / 10));
    expect(p.minuteValues).toBeUndefined();
    const tod = Array.from({ length: 48 }, (_, t) => `${hhmm(30 * t)},${t}`);
    writeFileSync(join(dir, 'tod.csv'), `time,price\n${tod.join('\n')}\n`);
    const price = loadCsvProfile(
      { csv: 'tod.csv', column: 'price', unit: 'GBP/MWh', time: 'time' },
      dir,
      24,
      'price',
    );
    price.values.forEach((v, h) => {
      expect(v).toBeCloseTo((2 * h + 0.5) / 1000, 12);
    });
  });

  it('refuses a unit that does not fit the profile and rows that do not divide the day', () => {
    writeFileSync(join(dir, 'seven.csv'), `x\n${[1, 2, 3, 4, 5, 6, 7].join('\n')}\n`);
    expect(() => loadCsvProfile({ csv: 'seven.csv', column: 'x', unit: 'p/kWh' }, dir, 48, 'power')).toThrow(
      "must be one of kW, W, kWh, Wh for a power profile (got 'p/kWh')",
    );
    expect(() => loadCsvProfile({ csv: 'seven.csv', column: 'x' }, dir, 48, 'power')).toThrow(
      '7 rows, which do not divide the day',
    );
    writeFileSync(join(dir, 'rows45.csv'), `x\n${Array.from({ length: 32 }, () => 1).join('\n')}\n`);
    expect(() => loadCsvProfile({ csv: 'rows45.csv', column: 'x' }, dir, 48, 'power')).toThrow(
      'rows of 45 minutes, which do not fit periods of 30 minutes',
    );
  });
});
