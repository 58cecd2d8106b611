// A profile read from a column of the user's own CSV file: meter data or prices at any resolution that
// divides the day, with its unit stated, its rows either in order or placed by a time column (ISO
// timestamps, times of day, or period numbers), mapped onto the scenario's periods. Power and energy
// become mean kW per period, prices GBP per kWh. When the rows are finer than a period, the per-minute
// values are kept too: the real-time agent uses them as the actuals within a period (agent/actuals.ts).
import { resolve } from 'node:path';
import { CsvError, columnIndex, numberCell, readCsv, type Table } from './csv.ts';

export const POWER_UNITS = ['kW', 'W', 'kWh', 'Wh'] as const;
export const PRICE_UNITS = ['GBP/kWh', 'GBP/MWh', 'p/kWh'] as const;
export type ProfileUnit = (typeof POWER_UNITS)[number] | (typeof PRICE_UNITS)[number];
export type ProfileKind = 'power' | 'price';

/** `{ csv, column, ... }` as it appears in a scenario file (already checked against the schema). */
export interface CsvProfileRef {
  csv: string;
  column: string | number;
  scale?: number;
  unit?: ProfileUnit;
  /** Column placing each row in the day: ISO timestamps, times of day (HH:MM) or period numbers. */
  time?: string;
  /** Whether a timestamp marks the start (default) or the end of the reading's interval. */
  timestamps?: 'start' | 'end';
  /** The date to take from a file of several days (YYYY-MM-DD). */
  day?: string;
  delimiter?: string;
}

/** Which field of the reference a problem is about (the scenario reports it at that JSON path). */
export class ProfileError extends Error {
  readonly field: 'csv' | 'column' | 'unit' | 'time' | 'day' | 'timestamps';
  constructor(field: ProfileError['field'], message: string) {
    super(message);
    this.field = field;
  }
}

export interface LoadedProfile {
  /** One value per period: mean kW, or GBP per kWh. */
  values: number[];
  /** Per-minute values (1440) when the rows are finer than a period, in the same unit. */
  minuteValues?: Float64Array;
  /** Length of one row of the file, minutes. */
  rowMinutes: number;
}

const TO_RATE: Record<ProfileUnit, (v: number, rowHours: number) => number> = {
  kW: (v) => v,
  W: (v) => v / 1000,
  kWh: (v, h) => v / h,
  Wh: (v, h) => v / 1000 / h,
  'GBP/kWh': (v) => v,
  'GBP/MWh': (v) => v / 1000,
  'p/kWh': (v) => v / 100,
};

/** Parsed tables by absolute path: a scenario reads many columns of the same file. */
export type TableCache = Map<string, Table>;

export function loadCsvProfile(
  ref: CsvProfileRef,
  baseDir: string,
  periods: number,
  kind: ProfileKind,
  cache: TableCache = new Map(),
): LoadedProfile {
  const unit = ref.unit ?? (kind === 'power' ? 'kW' : 'GBP/kWh');
  const allowed: readonly string[] = kind === 'power' ? POWER_UNITS : PRICE_UNITS;
  if (!allowed.includes(unit))
    throw new ProfileError(
      'unit',
      `must be one of ${allowed.join(', ')} for a ${kind} profile (got '${unit}')`,
    );
  const path = resolve(baseDir, ref.csv);
  let table = cache.get(path);
  const name = String(ref.column);
  let raw: number[];
  try {
    if (!table) {
      table = readCsv(path, ref.delimiter);
      cache.set(path, table);
    }
    const c = columnIndex(table, name);
    raw = table.rows.map((_, r) => numberCell(table!, r, c));
  } catch (err) {
    if (err instanceof CsvError)
      throw new ProfileError('csv', `cannot read column '${name}' of ${ref.csv}: ${err.message}`);
    throw err;
  }
  const { order, rowMinutes } = ref.time === undefined ? inFileOrder(raw.length) : placeRows(table, ref);
  const hours = rowMinutes / 60;
  const scale = ref.scale ?? 1;
  const rates = order.map((r) => TO_RATE[unit](raw[r]!, hours) * scale);
  const periodMinutes = 1440 / periods;
  if (rowMinutes === periodMinutes) return { values: rates, rowMinutes };
  if (rowMinutes < periodMinutes && periodMinutes % rowMinutes === 0) {
    const per = periodMinutes / rowMinutes;
    const values = Array.from({ length: periods }, (_, t) => {
      let sum = 0;
      for (let i = 0; i < per; i++) sum += rates[t * per + i]!;
      return sum / per;
    });
    const minuteValues = new Float64Array(1440);
    for (let m = 0; m < 1440; m++) minuteValues[m] = rates[Math.floor(m / rowMinutes)]!;
    return { values, minuteValues, rowMinutes };
  }
  if (rowMinutes > periodMinutes && rowMinutes % periodMinutes === 0) {
    const per = rowMinutes / periodMinutes;
    return { values: Array.from({ length: periods }, (_, t) => rates[Math.floor(t / per)]!), rowMinutes };
  }
  throw new ProfileError(
    'csv',
    `${ref.csv} has rows of ${rowMinutes} minutes, which do not fit periods of ${periodMinutes} minutes (one must divide the other)`,
  );
}

function rowLength(rows: number, what: string): number {
  if (rows === 0 || 1440 % rows !== 0)
    throw new ProfileError(
      'csv',
      `${what} ${rows} rows, which do not divide the day into equal intervals of whole minutes (e.g. 24, 48, 96, 288 or 1440 rows)`,
    );
  return 1440 / rows;
}

function inFileOrder(rows: number): { order: number[]; rowMinutes: number } {
  return { order: Array.from({ length: rows }, (_, i) => i), rowMinutes: rowLength(rows, 'the file has') };
}

const INTEGER = /^\d+$/;
const TIME_OF_DAY = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Orders the rows by the time column and returns the row length; every slot of the day exactly once. */
function placeRows(table: Table, ref: CsvProfileRef): { order: number[]; rowMinutes: number } {
  let c: number;
  try {
    c = columnIndex(table, ref.time!);
  } catch (err) {
    throw new ProfileError('time', `${ref.csv}: ${(err as Error).message}`);
  }
  const cells = table.rows.map((r) => r[c]!);
  const at = (r: number) => `${ref.csv} line ${table.lines[r]}`;
  if (cells.every((x) => INTEGER.test(x))) {
    // Period numbers, from 0 or from 1.
    const numbers = cells.map(Number);
    const first = Math.min(...numbers);
    if (first !== 0 && first !== 1)
      throw new ProfileError('time', `period numbers must start at 0 or 1 (the smallest is ${first})`);
    const rowMinutes = rowLength(cells.length, `${ref.csv} has`);
    const order = new Array<number>(cells.length);
    numbers.forEach((n, r) => {
      const slot = n - first;
      if (slot >= cells.length)
        throw new ProfileError('time', `${at(r)}: period ${n} is past the day's ${cells.length} periods`);
      if (order[slot] !== undefined) throw new ProfileError('time', `${at(r)}: period ${n} appears twice`);
      order[slot] = r;
    });
    return { order, rowMinutes };
  }
  // Times of day, or timestamps: minutes since a reference, then the rows of one day.
  const minutes: number[] = [];
  const dates: string[] = [];
  cells.forEach((x, r) => {
    const tod = TIME_OF_DAY.exec(x);
    const ts = tod ? null : TIMESTAMP.exec(x);
    if (!tod && !ts)
      throw new ProfileError(
        'time',
        `${at(r)}: '${x}' is not a time: use ISO timestamps (2024-06-03 00:30 or 2024-06-03T00:30:00), times of day (00:30) or period numbers`,
      );
    const [h, m, s] = tod ? [tod[1], tod[2], tod[3]] : [ts![2], ts![3], ts![4]];
    if (s !== undefined && Number(s) !== 0)
      throw new ProfileError('time', `${at(r)}: '${x}' is not on a whole minute`);
    const date = ts ? ts[1]! : '';
    const dayIndex = ts ? Date.parse(`${date}T00:00:00Z`) / 86_400_000 : 0;
    if (!Number.isFinite(dayIndex) || Number(h) > 24 || Number(m) > 59)
      throw new ProfileError('time', `${at(r)}: '${x}' is not a valid time`);
    minutes.push(dayIndex * 1440 + Number(h) * 60 + Number(m));
    dates.push(date);
  });
  const sorted = [...new Set(minutes)].sort((a, b) => a - b);
  if (sorted.length < 2) throw new ProfileError('time', `${ref.csv} needs at least two readings`);
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i]! - sorted[i - 1]!);
  if (1440 % step !== 0)
    throw new ProfileError('time', `${ref.csv}: readings ${step} minutes apart do not divide the day`);
  const shift = ref.timestamps === 'end' ? step : 0;
  // Times of day without a date are one day: an end label of 00:00 (or 24:00) closes its last slot.
  const dated = dates.some((x) => x !== '');
  const startOf = minutes.map((m) => (dated ? m - shift : (((m - shift) % 1440) + 1440) % 1440));
  const dayOf = (m: number) => Math.floor(m / 1440);
  const days = [...new Set(startOf.map(dayOf))].sort((a, b) => a - b);
  const label = (d: number) => (dated ? new Date(d * 86_400_000).toISOString().slice(0, 10) : 'the day');
  let day: number;
  if (ref.day !== undefined) {
    day = Date.parse(`${ref.day}T00:00:00Z`) / 86_400_000;
    if (!days.includes(day))
      throw new ProfileError(
        'day',
        `${ref.csv} has no readings on ${ref.day} (it covers ${days.slice(0, 5).map(label).join(', ')}${days.length > 5 ? ', ...' : ''})`,
      );
  } else if (days.length > 1) {
    throw new ProfileError(
      'day',
      `is required: ${ref.csv} covers ${days.length} days (${days.slice(0, 5).map(label).join(', ')}${days.length > 5 ? ', ...' : ''}); choose one with "day": "YYYY-MM-DD"`,
    );
  } else day = days[0]!;
  const slots = 1440 / step;
  const order = new Array<number>(slots);
  startOf.forEach((m, r) => {
    if (dayOf(m) !== day) return;
    const minute = m - day * 1440;
    if (minute % step !== 0)
      throw new ProfileError('time', `${at(r)}: '${cells[r]}' is off the ${step}-minute grid`);
    const slot = minute / step;
    if (order[slot] !== undefined) throw new ProfileError('time', `${at(r)}: '${cells[r]}' appears twice`);
    order[slot] = r;
  });
  for (let s = 0; s < slots; s++) {
    if (order[s] === undefined) {
      const m = s * step + shift;
      const hhmm = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      throw new ProfileError(
        'time',
        `${ref.csv} has no reading ${ref.timestamps === 'end' ? 'ending' : 'starting'} at ${hhmm} on ${label(day)} (readings are ${step} minutes apart)`,
      );
    }
  }
  return { order, rowMinutes: step };
}
