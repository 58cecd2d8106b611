// A hand-made two-prosumer VPP whose numbers can be checked by hand (see realtime.test.ts).
import { NO_ERRORS } from '../../../agent/actuals.ts';
import type { VppContext } from '../../../agent/realtime.ts';
import type { Schedule } from '../../../market/model.ts';
import type { FrameworkResult } from '../../../market/result.ts';
import type { Battery, Scenario } from '../../../market/types.ts';

const T = 48;
const flat = (v: number) => new Array<number>(T).fill(v);

export const BATTERY: Battery = {
  capacityKwh: 10,
  socMinKwh: 1,
  socMaxKwh: 10,
  initialKwh: 5,
  chargeKw: 2,
  dischargeKw: 2,
  chargeEfficiency: 0.95,
  dischargeEfficiency: 0.95,
  degradationCostPerKwh: 0.02,
};

function schedule(p: Partial<Schedule>): Schedule {
  const zero = flat(0);
  return {
    load: zero,
    pvUsed: zero,
    pvCurtailed: zero,
    generator: zero,
    charge: zero,
    discharge: zero,
    soc: zero,
    flexible: zero,
    gridBuy: zero,
    gridSell: zero,
    p2pNet: zero,
    ...p,
  };
}

/**
 * Prosumer A: day-ahead load 1 kW (0.5 kWh per half-hour), actual `actualLoadA` kW.
 * Prosumer B: load 0.5 kW as planned; PV planned 2.4 kW, actual 3 kW; a 10 kWh battery planned to charge
 * 1.2 kW (0.6 kWh per half-hour). Day-ahead internal price 0.1 GBP/kWh in every period.
 * The scenario's profiles are the "actuals" (no 1-minute data, no forecast error); the day-ahead schedule
 * holds the forecasts.
 */
export function handVpp(actualLoadA: number, battery: Battery = BATTERY): VppContext {
  const scenario: Scenario = {
    name: 'hand',
    description: '',
    currency: 'GBP',
    periods: T,
    periodMinutes: 30,
    tariffs: { retail: flat(0.2), feedIn: flat(0.05), source: 'test' },
    prosumers: [
      { id: 'a', loadKw: flat(actualLoadA), flexibleLoads: [] },
      { id: 'b', loadKw: flat(0.5), pvKw: flat(3), battery, flexibleLoads: [] },
    ],
  };
  const a = schedule({ load: flat(0.5), gridBuy: flat(0.5) });
  const b = schedule({ load: flat(0.25), pvUsed: flat(1.2), charge: flat(0.6), gridSell: flat(0.35) });
  const dayAhead: FrameworkResult = {
    framework: 'weak',
    method: 'hand',
    totalCost: 0,
    gap: null,
    imbalance: 0,
    relativeImbalance: 0,
    tradedVolumeKwh: 0,
    iterations: 1,
    converged: true,
    seconds: 0,
    messages: 0,
    bytes: 0,
    prices: flat(0.1),
    prosumers: [
      { id: 'a', cost: 0.1, ownCost: 0.1, p2pPayment: 0, schedule: a },
      { id: 'b', cost: -0.1, ownCost: -0.1, p2pPayment: 0, schedule: b },
    ],
    settlementCost: 0,
    netPositionKwh: flat(0.5 - 0.35),
    history: [],
  };
  return {
    name: 'hand',
    scenario,
    dayAhead,
    mapping: { minutesPerInterval: 5, startMinute: 0 },
    errors: NO_ERRORS,
  };
}
