// Real-time auction: clearing + VCG payments for 10..10,000 VPPs x 10 steps (median wall time), beside the
// naive VCG that re-clears once per trading participant (test/unit/auction/reference.ts) where that is
// affordable, and the growth ratio per 10x more VPPs. Instances are seeded, so runs are comparable.
import { type AuctionInput, type Bid, clearAuction } from '../contracts-vm/auction/index.ts';
import { seededRandom } from '../market/random.ts';
import { naiveVcg } from '../test/unit/auction/reference.ts';
import { median } from './stats.ts';

const STEPS = 10;
const SIZES = [10, 100, 1_000, 10_000];
/** Naive re-clearing is quadratic: past this size one run takes too long for a shared machine. */
const NAIVE_MAX = 1_000;

/** Deterministic PRNG (mulberry32, shared with the scenario generator), so every run clears the same instances. */
const rng = seededRandom;

/** Half short, half long VPPs; prices spread around one level so the curves cross mid-way. */
function instance(vpps: number, seed: number): AuctionInput {
  const next = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const bids: Bid[] = [];
  for (let v = 0; v < vpps; v++) {
    const side = v % 2 === 0 ? 'buy' : 'sell';
    const steps = Array.from({ length: STEPS }, () => ({ qty: int(100, 50_000), price: int(20, 900) }));
    bids.push({ id: `vpp-${v}`, side, steps });
  }
  return { gridSellPrice: 800, gridBuyPrice: 50, bids };
}

function timeMs(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function runs(vpps: number): number {
  return vpps >= 10_000 ? 5 : vpps >= 1_000 ? 11 : 31;
}

const rows: string[][] = [['VPPs', 'steps', 'traded', 'fast ms', 'growth', 'naive ms', 'naive growth']];
let lastFast = 0;
let lastNaive = 0;
for (const vpps of SIZES) {
  const input = instance(vpps, vpps);
  for (let i = 0; i < 3; i++) clearAuction(input); // warm-up: JIT and allocation sizing
  const fast = median(Array.from({ length: runs(vpps) }, () => timeMs(() => clearAuction(input))));
  const traded = clearAuction(input).participants.filter((p) => p.qty > 0).length;
  let naive = Number.NaN;
  if (vpps <= NAIVE_MAX) {
    naive = median(Array.from({ length: vpps >= 1_000 ? 1 : 5 }, () => timeMs(() => naiveVcg(input))));
  }
  const ratio = (now: number, before: number) =>
    before > 0 && now > 0 ? `x${(now / before).toFixed(1)}` : '';
  rows.push([
    String(vpps),
    String(vpps * STEPS),
    String(traded),
    fast.toFixed(2),
    ratio(fast, lastFast),
    Number.isNaN(naive) ? 'skipped' : naive.toFixed(1),
    Number.isNaN(naive) ? '' : ratio(naive, lastNaive),
  ]);
  lastFast = fast;
  lastNaive = naive;
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(
  'auction clearing + VCG payments, median wall time (traded = participants with a non-zero trade)',
);
for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
