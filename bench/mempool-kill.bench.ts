// Mempool durability under SIGKILL: 1,000 bids (250 VPPs, 4 intervals each) from 16 concurrent clients to a
// node process killed after every 100th acknowledgement (202) and restarted (test/helpers/mempool-kill.ts);
// no block is mined until the last restart, so each bid reaches the chain only from the node's disk.
// Prints how many were found in their auctions (must be all), and the restart time after a kill (with up
// to 1,000 transactions to reload and verify again) beside a start of the same node with nothing pending,
// measured in the same run (medians). Exits with 1 if any bid was lost or dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir } from '../node/node.ts';
import { runKillScenario } from '../test/helpers/mempool-kill.ts';
import { freePortRange, netParams } from '../test/helpers/net.ts';
import { NodeProcess } from '../test/helpers/node-process.ts';
import { median } from './stats.ts';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// Reference: the same node process started on an empty data directory (nothing to restore).
const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-start-'));
const emptyStarts: number[] = [];
try {
  await initDataDir(join(dir, 'node'), netParams());
  const node = new NodeProcess(join(dir, 'node'), await freePortRange(1), ['--quiet']);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await node.start();
    emptyStarts.push(performance.now() - t0);
    await node.kill();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const r = await runKillScenario({ vpps: 250, intervals: 4, killEvery: 100, clients: 16 });
const lost = r.bids - r.found;
console.log(`Mempool under SIGKILL: ${fmt(r.bids)} bids, 16 clients, node killed after every 100th 202`);
console.log(`  acknowledged (202 or ALREADY_KNOWN on resend)   ${fmt(r.acknowledged)}`);
console.log(`  SIGKILLs                                         ${r.kills}`);
console.log(
  `  requests resent after a kill                     ${r.resent} (${r.resentAlreadyKnown} were already stored)`,
);
console.log(`  pending after the last restart                   ${fmt(r.pendingAfterLastRestart)}`);
console.log(`  statuses once mined                              ${JSON.stringify(r.statuses)}`);
console.log(`  found in their auctions (ledger)                 ${fmt(r.found)}; lost ${lost}`);
console.log(
  `  restart after a kill, median                     ${fmt(median(r.restartMs))} ms (${(median(r.restartMs) / median(emptyStarts)).toFixed(2)}x a start with nothing pending: ${fmt(median(emptyStarts))} ms)`,
);
if (lost !== 0 || r.statuses.confirmed !== r.bids) process.exitCode = 1;
