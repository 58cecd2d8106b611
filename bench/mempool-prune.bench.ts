// The mempool's work per head change with many pending contract calls: N registered VPPs each with one
// schedule commitment (metering.commitSchedule, 288 intervals, as the system bench's agents send) next in
// line, then empty blocks (nothing a pending call read changes) and blocks that mine a few of the pending
// calls (as the schedule phase of the system bench does). Prints, per head change, the main thread's wall
// time (median) and CPU time (mean) in the mempool's head handler, the head-state reads it made and the contract
// dry-runs it ran; and the admission of the N calls (signatures verified in-thread). BENCH_PRUNE_VPPS
// (default 100) and BENCH_PRUNE_HEADS (default 20 of each kind) scale it.

import type { HeadChange } from '../consensus/chain.ts';
import { Mempool } from '../consensus/mempool.ts';
import { commitScheduleCall } from '../contracts-vm/abi/calls.ts';
import type { TxEnvelope } from '../protocol/tx.ts';
import { openTestChain } from '../test/helpers/builder.ts';
import { fundedSenders } from './fixtures.ts';
import { median } from './stats.ts';

const vpps = Number(process.env.BENCH_PRUNE_VPPS ?? 100);
const heads = Number(process.env.BENCH_PRUNE_HEADS ?? 20);
const POSITIONS = 288;
const MINED_PER_BLOCK = 2;

const { senders, params, builder: b } = fundedSenders('prune', vpps);
const tc = await openTestChain(params);
const state = tc.chain.headState;
let reads = 0;
// The head state as the pool sees it, counting its reads (each dry-run reads every key it needs once).
const countedState = {
  get: (key: Uint8Array) => {
    reads++;
    return state.get(key);
  },
  get version() {
    return state.version;
  },
};
const pool = new Mempool(
  {
    params,
    headState: countedState,
    verifier: tc.verifier,
    nextBlockContext: tc.nextBlockContext,
  },
  { maxSize: vpps * 2 },
);
// Counted only where the pool counts its dry-runs (not before it did): those made, on every occasion.
const dryRuns = (): number => {
  const counts = (pool as { dryRunCounts?: Record<string, { run: number }> }).dryRunCounts;
  return counts ? Object.values(counts).reduce((n, c) => n + c.run, 0) : Number.NaN;
};

interface HeadCost {
  wallMs: number;
  cpuMs: number;
  reads: number;
  dryRuns: number;
  pending: number;
}
const costs: HeadCost[] = [];
tc.chain.on('head', (change: HeadChange) => {
  const pending = pool.size;
  const reads0 = reads;
  const runs0 = dryRuns();
  const cpu0 = process.threadCpuUsage();
  const t0 = performance.now();
  pool.onHeadChange(change);
  const wallMs = performance.now() - t0;
  const cpu = process.threadCpuUsage(cpu0);
  costs.push({
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    reads: reads - reads0,
    dryRuns: dryRuns() - runs0,
    pending,
  });
});

// Interval 10's schedule closes at 60 s; the run stays below that (1 s blocks).
const positions = Array.from({ length: POSITIONS }, (_, i) => BigInt(((i * 37) % 2000) - 1000));
const calls: TxEnvelope[] = senders.map((k) => b.call(k, commitScheduleCall(10n, positions), 0n));

const cpuA = process.threadCpuUsage();
const tA = performance.now();
const runsA = dryRuns();
const readsA = reads;
for (const c of calls) await pool.add(c);
const admitWall = performance.now() - tA;
const admitCpu = process.threadCpuUsage(cpuA);
const admitRuns = dryRuns() - runsA;
const admitReads = reads - readsA;

let tip = b.genesisId;
async function connect(txs: TxEnvelope[]): Promise<void> {
  const blk = b.next(tip, { txs });
  if ((await tc.chain.processBlock(blk)) !== 'head') throw new Error('block did not become the head');
  tip = b.idOf(blk);
}
for (let i = 0; i < heads; i++) await connect([]);
const emptyCosts = costs.splice(0);
const queue = [...calls];
for (let i = 0; i < heads && queue.length > 0; i++) await connect(queue.splice(0, MINED_PER_BLOCK));
const minedCosts = costs.splice(0);
await tc.close();

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
console.log(`Mempool head changes: ${vpps} pending schedule commitments of ${POSITIONS} intervals`);
console.log(
  `  admission of ${vpps}: ${f1(admitWall)} ms wall, ${f1((admitCpu.user + admitCpu.system) / 1000)} ms CPU, ${admitReads} state reads, ${admitRuns} dry-runs`,
);
for (const [what, cs] of [
  ['empty blocks', emptyCosts],
  [`blocks mining ${MINED_PER_BLOCK} of them`, minedCosts],
] as const) {
  console.log(
    `  ${what} (${cs.length}, pending ${cs[0]?.pending}→${cs.at(-1)?.pending}): per head change ${f2(median(cs.map((c) => c.wallMs)))} ms wall (median), ${f2(mean(cs.map((c) => c.cpuMs)))} ms CPU (mean: the thread clock's resolution is coarse), ${median(cs.map((c) => c.reads))} state reads, ${median(cs.map((c) => c.dryRuns))} dry-runs`,
  );
}
