// Offline demo of the real-time stage: N demo VPPs run their day-ahead markets, then bid, clear (real
// engine, in-memory fake chain), deliver, are metered and settle for a number of intervals; prints each
// VPP's costs under traditional trading and under P2P day-ahead + P2P real time.
// Usage: node agent/demo.ts [--vpps 3] [--prosumers 10] [--intervals 24] [--start 11:00] [--minutes 5]
//                           [--framework weak] [--seed 1] [--load-sigma 0.1] [--pv-sigma 0.2]
//                           [--forecast perfect|persistence]
import { parseArgs } from 'node:util';
import type { FrameworkName } from '../market/result.ts';
import { devKeyPair } from '../protocol/keys.ts';
import { DEFAULT_ERRORS } from './actuals.ts';
import type { VppAgent } from './agent.ts';
import { FakeChain, simulateIntervals } from './fake-chain.ts';
import { buildDemoVpps, createDemoAgent } from './scenarios.ts';

export interface DemoRunOptions {
  vpps: number;
  prosumers: number;
  intervals: number;
  startMinute: number;
  minutesPerInterval: number;
  framework: FrameworkName;
  seed: number;
  loadSigma: number;
  pvSigma: number;
  forecast: 'perfect' | 'persistence';
}

export async function runDemo(o: DemoRunOptions): Promise<{ chain: FakeChain; agents: VppAgent[] }> {
  const chain = new FakeChain(devKeyPair('grid').address);
  const agents: VppAgent[] = [];
  for (const v of buildDemoVpps({ vpps: o.vpps, prosumersPerVpp: o.prosumers })) {
    agents.push(
      await createDemoAgent(v, chain.portFor(v.address), {
        framework: o.framework,
        mapping: { minutesPerInterval: o.minutesPerInterval, startMinute: o.startMinute },
        errors: { seed: o.seed, loadSigma: o.loadSigma, pvSigma: o.pvSigma },
        forecast: o.forecast,
      }),
    );
  }
  await simulateIntervals(agents, chain, 0n, o.intervals);
  return { chain, agents };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      vpps: { type: 'string', default: '3' },
      prosumers: { type: 'string', default: '10' },
      intervals: { type: 'string', default: '24' },
      start: { type: 'string', default: '11:00' },
      minutes: { type: 'string', default: '5' },
      framework: { type: 'string', default: 'weak' },
      seed: { type: 'string', default: String(DEFAULT_ERRORS.seed) },
      'load-sigma': { type: 'string', default: String(DEFAULT_ERRORS.loadSigma) },
      'pv-sigma': { type: 'string', default: String(DEFAULT_ERRORS.pvSigma) },
      forecast: { type: 'string', default: 'perfect' },
    },
  });
  const [h, m] = values.start.split(':').map(Number);
  const o: DemoRunOptions = {
    vpps: Number(values.vpps),
    prosumers: Number(values.prosumers),
    intervals: Number(values.intervals),
    startMinute: h! * 60 + (m ?? 0),
    minutesPerInterval: Number(values.minutes),
    framework: values.framework as FrameworkName,
    seed: Number(values.seed),
    loadSigma: Number(values['load-sigma']),
    pvSigma: Number(values['pv-sigma']),
    forecast: values.forecast === 'persistence' ? 'persistence' : 'perfect',
  };
  const { chain, agents } = await runDemo(o);
  const gbp = (x: number) => x.toFixed(4).padStart(9);
  let traded = 0;
  for (const c of chain.clearings.values()) traded += c.tradedQty;
  let imbalanceWh = 0n;
  for (const b of chain.bills.values())
    for (const l of b.lines) if (l.kind.startsWith('imbalance')) imbalanceWh += l.wh;
  console.log(
    `${o.intervals} intervals of ${o.minutesPerInterval} min from ${values.start}; ${traded} Wh traded between VPPs; ` +
      `${imbalanceWh} Wh settled as imbalance`,
  );
  console.log(
    'VPP     | trad DA  | trad RT  | trad tot | P2P DA   | P2P RT   | redisp.  | P2P tot  | saving   (GBP)',
  );
  for (const a of agents) {
    const t = a.ledger.summary().total;
    console.log(
      `${a.name.padEnd(7)} |${gbp(t.traditional.dayAheadGbp)} |${gbp(t.traditional.realtimeGbp)} |${gbp(t.traditional.totalGbp)} |${gbp(t.p2p.dayAheadGbp)} |${gbp(t.p2p.realtimeGbp)} |${gbp(t.p2p.redispatchGbp)} |${gbp(t.p2p.totalGbp)} |${gbp(t.savingGbp)}`,
    );
  }
}
