// Access to the bundled CLNR household data (market/data/clnr, Apache-2.0, see its README) and the
// tariffs the bundled scenarios use. Profiles are kW means per period; 24 hourly periods average the
// half-hourly data, 96 quarter-hourly periods come from the 1-minute data (pre-aggregated to 15 minutes).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { column, readCsv, type Table } from './csv.ts';

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'data');
export const CLNR_DIR = join(DATA_DIR, 'clnr');

export type Season = 'summer' | 'winter';
export type Resolution = 24 | 48 | 96;

const month = (s: Season) => (s === 'summer' ? '2013JUN' : '2014JAN');

/** File name (relative to the clnr folder) of the load or PV table at a resolution. */
export function clnrFile(kind: 'load' | 'pv', season: Season, periods: Resolution): string {
  const minutes = periods === 96 ? 15 : 30;
  return `${kind === 'load' ? 'Loads' : 'PVpu'}_${minutes}min_${month(season)}.csv`;
}

const cache = new Map<string, Table>();
function table(file: string): Table {
  let t = cache.get(file);
  if (!t) {
    t = readCsv(join(CLNR_DIR, file));
    cache.set(file, t);
  }
  return t;
}

/** Column names (home or PV system indices) available in a table. */
export function clnrColumns(kind: 'load' | 'pv', season: Season): string[] {
  return table(clnrFile(kind, season, 48)).header.slice(1);
}

/** A profile in kW at the requested resolution. */
export function clnrProfile(
  kind: 'load' | 'pv',
  season: Season,
  name: string,
  periods: Resolution,
): number[] {
  const values = column(table(clnrFile(kind, season, periods)), name);
  return periods === 24 ? pairMeans(values) : values;
}

function pairMeans(xs: number[]): number[] {
  return Array.from({ length: xs.length / 2 }, (_, i) => (xs[2 * i]! + xs[2 * i + 1]!) / 2);
}

function resample(halfHourly: number[], periods: Resolution): number[] {
  if (periods === 48) return halfHourly;
  if (periods === 24) return pairMeans(halfHourly);
  return halfHourly.flatMap((v) => [v, v]);
}

export const TARIFF_SOURCE =
  'Retail (import) = 2.2 x GB half-hourly day-ahead wholesale price + 0.12 GBP/kWh from 16:00 to 19:00, the ' +
  "published structure of Octopus Energy's Agile import tariff (this scenario's assumption, not a quoted " +
  'price); feed-in (export) = the wholesale price itself, a wholesale-tracking export tariff. Wholesale: GB ' +
  'day-ahead prices of 2021-06-29 (market/data/clnr/wholesale-prices-GBP-per-MWh-2021-06-29.tsv).';

/** The bundled time-of-use tariffs, GBP per kWh, at the requested resolution. */
export function bundledTariffs(periods: Resolution): { retail: number[]; feedIn: number[]; source: string } {
  const wholesale = column(
    readCsv(join(CLNR_DIR, 'wholesale-prices-GBP-per-MWh-2021-06-29.tsv')),
    'day_ahead',
  ).map((p) => p / 1000);
  const retail48 = wholesale.map((w, t) => 2.2 * w + (t >= 32 && t < 38 ? 0.12 : 0));
  const round = (x: number) => Math.round(x * 1e5) / 1e5;
  return {
    retail: resample(retail48, periods).map(round),
    feedIn: resample(wholesale, periods).map(round),
    source: TARIFF_SOURCE,
  };
}
