// Generates N-prosumer scenarios from the bundled CLNR data: homes and PV systems are sampled and
// scaled, and batteries, EVs, heat pumps and small generators are assigned by seeded draws.
import { bundledTariffs, clnrColumns, clnrFile, clnrProfile, type Resolution, type Season } from './clnr.ts';
import { seededRandom } from './random.ts';

export interface GeneratorOptions {
  prosumers: number;
  seed: number;
  season: Season;
  periods: Resolution;
  pvShare: number;
  batteryShare: number;
  evShare: number;
  heatPumpShare: number;
  generatorShare: number;
  /** Reference the bundled CSVs (paths relative to `csvBase`) instead of inlining profiles (48 or 96 periods only). */
  csvBase?: string;
}

export const DEFAULT_GENERATOR: GeneratorOptions = {
  prosumers: 30,
  seed: 1,
  season: 'summer',
  periods: 48,
  pvShare: 0.5,
  batteryShare: 0.3,
  evShare: 0.2,
  heatPumpShare: 0,
  generatorShare: 0.05,
};

/** The command-line flags of the generator's shares (`vppchain dayahead --heat-pump-share 0.3`, ...). */
export const SHARE_FLAGS = {
  'pv-share': 'pvShare',
  'battery-share': 'batteryShare',
  'ev-share': 'evShare',
  'heat-pump-share': 'heatPumpShare',
  'generator-share': 'generatorShare',
} as const satisfies Record<string, keyof GeneratorOptions>;
export type ShareFlag = keyof typeof SHARE_FLAGS;

const SHARE_WORDS: Record<ShareFlag, string> = {
  'pv-share': 'homes with PV',
  'battery-share': 'homes with a battery',
  'ev-share': 'homes with an EV',
  'heat-pump-share': 'homes with a heat pump',
  'generator-share': 'homes with a 1 kW micro-CHP',
};

/** Usage lines for the share flags, with their defaults. */
export const SHARE_USAGE = (Object.keys(SHARE_FLAGS) as ShareFlag[]).map(
  (f) =>
    `  --${f} X`.padEnd(26) +
    `share of ${SHARE_WORDS[f]}, 0 to 1 (default ${DEFAULT_GENERATOR[SHARE_FLAGS[f]]})`,
);

/**
 * The shares given as flags (text, as parsed from a command line): each a number from 0 to 1. Returns the
 * options to pass to generateScenario, or the problems, one per flag, naming it.
 */
export function sharesFromFlags(flags: Partial<Record<ShareFlag, string>>): {
  shares: Partial<GeneratorOptions>;
  problems: string[];
} {
  const shares: Partial<Record<(typeof SHARE_FLAGS)[ShareFlag], number>> = {};
  const problems: string[] = [];
  for (const f of Object.keys(SHARE_FLAGS) as ShareFlag[]) {
    const text = flags[f];
    if (text === undefined) continue;
    const x = Number(text);
    if (text.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1)
      problems.push(`--${f} must be a number from 0 to 1 (the share of ${SHARE_WORDS[f]}), got '${text}'`);
    else shares[SHARE_FLAGS[f]] = x;
  }
  return { shares, problems };
}

/** Returns scenario JSON (the file format, not yet validated): run it through parseScenario. */
export function generateScenario(options: Partial<GeneratorOptions> = {}): Record<string, unknown> {
  const o = { ...DEFAULT_GENERATOR, ...options };
  if (o.csvBase !== undefined && o.periods === 24) throw new Error('CSV references need 48 or 96 periods');
  const random = seededRandom(o.seed);
  const uniform = (a: number, b: number) => a + (b - a) * random();
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
  const hours = 24 / o.periods;
  const at = (hour: number) => Math.round(hour / hours);
  // Draw homes and PV systems without replacement until each list is used up, then start a new round,
  // so small scenarios have distinct homes and large ones reuse them evenly (with different scalings).
  const drawer = (names: string[]) => {
    let bag: string[] = [];
    return () => {
      if (bag.length === 0) bag = [...names];
      return bag.splice(Math.floor(random() * bag.length), 1)[0]!;
    };
  };
  const nextHome = drawer(clnrColumns('load', o.season));
  const nextPv = drawer(clnrColumns('pv', o.season));
  const profile = (kind: 'load' | 'pv', name: string, scale: number) =>
    o.csvBase !== undefined
      ? { csv: `${o.csvBase}/${clnrFile(kind, o.season, o.periods)}`, column: name, scale: round(scale) }
      : clnrProfile(kind, o.season, name, o.periods).map((v) => round(v * scale, 4));
  const prosumers = Array.from({ length: o.prosumers }, (_, i) => {
    const home = nextHome();
    const p: Record<string, unknown> = { id: `home-${String(i + 1).padStart(3, '0')}` };
    const parts = [`CLNR home ${home}`];
    p.load = profile('load', home, uniform(0.8, 1.2));
    if (random() < o.pvShare) {
      const system = nextPv();
      p.pv = profile('pv', system, uniform(1, 1.6));
      parts.push(`PV system ${system}`);
    }
    if (random() < o.batteryShare) {
      const capacity = pick([5, 9.5, 13.5]);
      p.battery = {
        capacityKwh: capacity,
        socMinKwh: round(0.1 * capacity),
        socMaxKwh: capacity,
        initialKwh: round(0.5 * capacity),
        chargeKw: Math.min(5, round(capacity / 2.5)),
        dischargeKw: Math.min(5, round(capacity / 2.5)),
        chargeEfficiency: 0.95,
        dischargeEfficiency: 0.95,
        degradationCostPerKwh: 0.02,
      };
      parts.push(`${capacity} kWh battery`);
    }
    const flexibleLoads: Record<string, unknown>[] = [];
    if (random() < o.evShare) {
      // An EV plugged in on arrival in the evening that must be charged by the end of the day.
      flexibleLoads.push({
        name: 'ev',
        energyKwh: round(uniform(5, 15), 1),
        startPeriod: at(uniform(16, 19)),
        endPeriod: o.periods,
        minKw: 0,
        maxKw: pick([3.6, 7]),
      });
      parts.push('EV');
    }
    if (random() < o.heatPumpShare) {
      // A heat pump's daily heat need as an energy requirement over the waking day, with thermal inertia
      // as the flexibility (a simplification: no temperature model).
      flexibleLoads.push({
        name: 'heat pump',
        energyKwh: round(uniform(6, 12), 1),
        startPeriod: at(6),
        endPeriod: at(22),
        minKw: 0.2,
        maxKw: 2,
      });
      parts.push('heat pump');
    }
    if (flexibleLoads.length) p.flexibleLoads = flexibleLoads;
    if (random() < o.generatorShare) {
      p.generator = { maxKw: 1, marginalCostPerKwh: 0.15 };
      parts.push('1 kW micro-CHP');
    }
    p.note = parts.join(', ');
    return p;
  });
  return {
    name: `CLNR ${o.season} VPP, ${o.prosumers} prosumers (seed ${o.seed})`,
    description:
      `Generated from the CLNR trial data (UK, ${o.season === 'summer' ? 'June 2013' : 'January 2014'}): sampled homes` +
      ' scaled by 0.8-1.2, PV systems scaled by 1-1.6; batteries, EVs, heat pumps and micro-CHP assigned by seeded draws.',
    currency: 'GBP',
    periods: o.periods,
    periodMinutes: 1440 / o.periods,
    tariffs: bundledTariffs(o.periods),
    prosumers,
  };
}
