// What a party's masked vector holds in each kind of round (fixed-point fields, secagg/fixed.ts). The
// coordinator learns each field's sum over the contributing parties, nothing else:
//   iteration:  trade[T] (net P2P sale, kWh), ownCost, volume Σ_t max(trade_t, 0), changeSquared
//               Σ_t Δtrade_t² (for ADMM's dual residual), count (1 per party: the contributors, checked);
//               with primal recovery (sub-gradient) also the running averages averageTrade[T], averageCost;
//   bound:      the party's certified Lagrangian lower bound at the round's prices, count;
//   totals:     the final schedule's sales max(p2pNet_t, 0) and purchases max(−p2pNet_t, 0) [T] each, count
//               (the pool's totals, which FINISH sends back to every party for its bill: bills.ts);
//   final:      the schedule's eleven fields [T] (kWh per period; their sums are the VPP's aggregate
//               schedule, gridBuy - gridSell its members' net grid exchange), ownCost, p2pPayment, count.
import { type Field, type Layout, layout } from '../secagg/fixed.ts';
import { SCHEDULE_FIELDS } from './messages.ts';

/** Per-party bound of kWh and currency fields: 2^15 (32,768 kWh per period, or per day in currency). */
export const VALUE_BOUND = 2 ** 15;
const quantity = (name: string, length = 1): Field => ({ name, length, scaleBits: 32, bound: VALUE_BOUND });

export function iterationLayout(periods: number, recover: boolean): Layout {
  const fields: Field[] = [
    quantity('trade', periods),
    quantity('ownCost'),
    quantity('volume'),
    { name: 'changeSquared', length: 1, scaleBits: 24, bound: 2 ** 23 },
    { name: 'count', length: 1, scaleBits: 0, bound: 1 },
  ];
  if (recover) fields.push(quantity('averageTrade', periods), quantity('averageCost'));
  return layout(fields);
}

export function boundLayout(): Layout {
  return layout([quantity('bound'), { name: 'count', length: 1, scaleBits: 0, bound: 1 }]);
}

export function totalsLayout(periods: number): Layout {
  return layout([
    quantity('sold', periods),
    quantity('bought', periods),
    { name: 'count', length: 1, scaleBits: 0, bound: 1 },
  ]);
}

export function finalLayout(periods: number): Layout {
  return layout([
    ...SCHEDULE_FIELDS.map((f) => quantity(f, periods)),
    quantity('ownCost'),
    quantity('p2pPayment'),
    { name: 'count', length: 1, scaleBits: 0, bound: 1 },
  ]);
}

/** The index of a named field in a layout. */
export function fieldIndex(l: Layout, name: string): number {
  const i = l.fields.findIndex((f) => f.name === name);
  if (i < 0) throw new Error(`no field ${name} in the layout`);
  return i;
}
