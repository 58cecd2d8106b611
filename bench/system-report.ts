// The system bench's table (bench/system.bench.ts): per interval, gate → clearing bills confirmed and end
// of delivery → metered bills confirmed, in wall time and in blocks, against the same run's block pace.
import { median } from './stats.ts';

export interface Row {
  k: bigint;
  /** Bids the agents planned, and those the clearing counted. */
  bids: number;
  placed: number;
  clearing: {
    chain: number;
    agents: number;
    blocks: number;
    firstBlock: number;
    hook: number;
    propagation: number;
  };
  metered?: { chain: number; agents: number; blocks: number };
  /** Gate → clearing confirmed, delivered, next bids submitted (ms). */
  used: number;
}

export interface TableOptions {
  intervals: number;
  intervalMs: number;
  blockMs: number;
  confirmations: number;
  nodes: number;
  /** The mean block interval over the real-time phase, measured in the same run. */
  meanBlockMs: number;
  blocks: [number, number];
  refused: string[];
  log: (line: string) => void;
  load: () => string;
}

export function printTable(rows: Row[], o: TableOptions): void {
  const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;
  const goal = (o.confirmations + 1) * o.blockMs;
  const reference = (o.confirmations + 1) * o.meanBlockMs;
  const show = (name: string, xs: number[], vs = false) => {
    const worst = Math.max(...xs);
    o.log(
      `  ${name.padEnd(58)} median ${ms(median(xs))}, worst ${ms(worst)}${vs ? ` (median ${(median(xs) / reference).toFixed(2)}x the reference; ${xs.filter((x) => x > goal).length}/${xs.length} intervals over the ${ms(goal)} goal)` : ''}`,
    );
  };
  const skipped = rows.filter((r) => r.placed < r.bids).length;
  if (o.refused.length > 0)
    o.log(`\n${o.refused.length} bids refused by the chain, e.g. ${o.refused.slice(0, 3).join('; ')}`);
  o.log(
    `\n${rows.length} intervals, ${median(rows.map((r) => r.placed))} bids each (median; every planned bid placed in ${rows.length - skipped}/${rows.length} intervals), no interval skipped: ${rows.length === o.intervals && skipped === 0 ? 'yes' : 'NO'}; load average ${o.load()}`,
  );
  o.log(
    `  reference (same run): ${o.confirmations + 1} block intervals at the measured mean of ${ms(o.meanBlockMs)} over blocks ${o.blocks[0]}..${o.blocks[1]} = ${ms(reference)}`,
  );
  o.log(`  clearing bills (gate → confirmed, ${o.confirmations} blocks deep, on all ${o.nodes} nodes):`);
  show(
    'chain: confirming block connected on every node',
    rows.map((r) => r.clearing.chain),
    true,
  );
  show(
    'agents: seen confirmed through every node API',
    rows.map((r) => r.clearing.agents),
    true,
  );
  show(
    '  of which: the first block past the gate (mining)',
    rows.map((r) => r.clearing.firstBlock),
  );
  const hooks = rows.map((r) => r.clearing.hook);
  o.log(
    `  ${'  clearing with VCG payments (auction hook, node 0)'.padEnd(58)} median ${median(hooks).toFixed(1)} ms, worst ${Math.max(...hooks).toFixed(1)} ms`,
  );
  show(
    '  propagation of the clearing block to every node',
    rows.map((r) => r.clearing.propagation),
  );
  const inBlocks = rows.filter((r) => r.clearing.blocks === o.confirmations).length;
  o.log(
    `  cleared in the first block past the gate and confirmed at the ${o.confirmations}th: ${inBlocks}/${rows.length} intervals (blocks from the gate to the confirming block: ${rows.map((r) => r.clearing.blocks).join(' ')})`,
  );
  o.log('  metered bills (end of delivery → confirmed; the grid reports once a block is past the end):');
  show(
    'chain: confirming block connected on every node',
    rows.map((r) => r.metered!.chain),
  );
  show(
    'agents: every agent settled its metered bill',
    rows.map((r) => r.metered!.agents),
  );
  o.log(
    `    blocks from the end of delivery to the confirming block: ${rows.map((r) => r.metered!.blocks).join(' ')}`,
  );
  const share = rows.map((r) => r.used / o.intervalMs);
  o.log(
    `  share of the interval used (gate → clearing confirmed, delivered, next bids submitted): median ${(100 * median(share)).toFixed(1)}%, worst ${(100 * Math.max(...share)).toFixed(1)}%`,
  );
}
