// Scenario types after validation (see scenario.ts for parsing and scenario.schema.json for the file
// format). Power figures in the file are kW means per period; the models work in kWh per period.

export interface Tariffs {
  /** Price the VPP's members pay the grid for imports, currency per kWh, one per period. */
  retail: number[];
  /** Price the grid pays for exports, currency per kWh, one per period (at most retail). */
  feedIn: number[];
  /** Where the figures come from (free text, carried into reports). */
  source: string;
}

export interface Battery {
  capacityKwh: number;
  socMinKwh: number;
  socMaxKwh: number;
  initialKwh: number;
  chargeKw: number;
  dischargeKw: number;
  chargeEfficiency: number;
  dischargeEfficiency: number;
  degradationCostPerKwh: number;
}

/** An energy requirement to be served within [startPeriod, endPeriod) at per-period power bounds (EV, heat pump). */
export interface FlexibleLoad {
  name: string;
  energyKwh: number;
  startPeriod: number;
  endPeriod: number;
  minKw: number;
  maxKw: number;
}

export interface Generator {
  maxKw: number;
  marginalCostPerKwh: number;
}

export interface Prosumer {
  id: string;
  /** Fixed load, kW mean per period. */
  loadKw: number[];
  /** PV forecast, kW mean per period (curtailable); absent = no PV. */
  pvKw?: number[];
  battery?: Battery;
  flexibleLoads: FlexibleLoad[];
  generator?: Generator;
}

export interface Scenario {
  name: string;
  description: string;
  currency: string;
  periods: number;
  periodMinutes: number;
  tariffs: Tariffs;
  prosumers: Prosumer[];
}

/** Hours in one period (converts kW to kWh per period). */
export function periodHours(s: Pick<Scenario, 'periodMinutes'>): number {
  return s.periodMinutes / 60;
}
