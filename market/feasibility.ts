// Independent check of a published schedule against the prosumer's own constraints: energy balance,
// PV and generator limits, battery power, state-of-charge bounds and dynamics, end-of-day state, and the
// energy delivered to flexible loads. Used by tests and available to reports.
import type { Schedule } from './model.ts';
import type { Prosumer } from './types.ts';

export function scheduleViolations(p: Prosumer, s: Schedule, hours: number, tol = 1e-6): string[] {
  const out: string[] = [];
  const T = p.loadKw.length;
  const bad = (what: string, t: number, value: number, limit: string) =>
    out.push(`${p.id} ${what} at period ${t}: ${value} ${limit}`);
  for (let t = 0; t < T; t++) {
    const supply = s.pvUsed[t]! + s.generator[t]! + s.discharge[t]! + s.gridBuy[t]!;
    const demand = s.load[t]! + s.flexible[t]! + s.charge[t]! + s.gridSell[t]! + s.p2pNet[t]!;
    if (Math.abs(supply - demand) > tol) bad('energy balance', t, supply - demand, 'kWh off');
    if (Math.abs(s.load[t]! - p.loadKw[t]! * hours) > tol)
      bad('load', t, s.load[t]!, 'is not the fixed load');
    const pv = (p.pvKw?.[t] ?? 0) * hours;
    if (s.pvUsed[t]! < -tol || s.pvUsed[t]! > pv + tol) bad('PV used', t, s.pvUsed[t]!, `outside [0, ${pv}]`);
    const gen = (p.generator?.maxKw ?? 0) * hours;
    if (s.generator[t]! < -tol || s.generator[t]! > gen + tol)
      bad('generator', t, s.generator[t]!, `outside [0, ${gen}]`);
    if (s.gridBuy[t]! < -tol || s.gridSell[t]! < -tol)
      bad('grid exchange', t, Math.min(s.gridBuy[t]!, s.gridSell[t]!), 'negative');
  }
  const b = p.battery;
  if (b) {
    let soc = b.initialKwh;
    for (let t = 0; t < T; t++) {
      if (s.charge[t]! < -tol || s.charge[t]! > b.chargeKw * hours + tol)
        bad('battery charge', t, s.charge[t]!, 'outside its power limit');
      if (s.discharge[t]! < -tol || s.discharge[t]! > b.dischargeKw * hours + tol)
        bad('battery discharge', t, s.discharge[t]!, 'outside its power limit');
      soc += b.chargeEfficiency * s.charge[t]! - s.discharge[t]! / b.dischargeEfficiency;
      if (Math.abs(soc - s.soc[t]!) > 1e-5)
        bad('state of charge', t, s.soc[t]!, `does not follow the dynamics (${soc})`);
      if (s.soc[t]! < b.socMinKwh - tol || s.soc[t]! > b.socMaxKwh + tol)
        bad('state of charge', t, s.soc[t]!, 'outside its bounds');
    }
    if (s.soc[T - 1]! < b.initialKwh - tol)
      bad('end-of-day state of charge', T - 1, s.soc[T - 1]!, `below the initial ${b.initialKwh}`);
  } else if (s.charge.some((x) => Math.abs(x) > tol) || s.discharge.some((x) => Math.abs(x) > tol)) {
    out.push(`${p.id} uses a battery it does not have`);
  }
  const required = p.flexibleLoads.reduce((sum, f) => sum + f.energyKwh, 0);
  const delivered = s.flexible.reduce((sum, x) => sum + x, 0);
  if (Math.abs(required - delivered) > 1e-5)
    out.push(`${p.id} flexible loads got ${delivered} kWh of ${required}`);
  for (let t = 0; t < T; t++) {
    const lo = p.flexibleLoads.reduce(
      (sum, f) => sum + (t >= f.startPeriod && t < f.endPeriod ? f.minKw * hours : 0),
      0,
    );
    const hi = p.flexibleLoads.reduce(
      (sum, f) => sum + (t >= f.startPeriod && t < f.endPeriod ? f.maxKw * hours : 0),
      0,
    );
    if (s.flexible[t]! < lo - tol || s.flexible[t]! > hi + tol)
      bad('flexible load', t, s.flexible[t]!, `outside [${lo}, ${hi}] (window)`);
  }
  return out;
}
