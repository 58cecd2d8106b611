// The weak market with secure sums and no oracle, at scale and over the network (docs/market.md,
// "Figures"). Two measurements, each against a reference measured in the same run:
//   1. 10,000 generated prosumers in worker threads (one per core): set-up (hello, key agreement), the
//      clearing to a certified gap of at most 0.1% without any central solve, and the traffic per
//      iteration; the reference is the traditional market on the same prosumers (one solve each).
//   2. 1,000 prosumers hosted by 8 `vppchain prosumer` processes talking libp2p to a coordinator in this
//      process, against the same market with the prosumers in worker threads of one process.
// Set BENCH_MARKET_PROSUMERS to scale the first case down (default 10,000).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { startAgents } from '../market/agent-host.ts';
import { generateScenario } from '../market/generator.ts';
import { SIMULATION_DEADLINES, startParties } from '../market/pool/hosts.ts';
import { PoolSession } from '../market/pool/session.ts';
import type { FrameworkResult } from '../market/result.ts';
import { parseScenario } from '../market/scenario.ts';
import { solveTraditional } from '../market/traditional.ts';
import type { Scenario } from '../market/types.ts';
import { clearWeak } from '../market/weak.ts';
import { loadVppFile } from '../market-net/files.ts';
import { clearOverNetwork } from '../market-net/vpp.ts';

const cli = new URL('../node/cli.ts', import.meta.url).pathname;
const LARGE = Number(process.env.BENCH_MARKET_PROSUMERS ?? 10_000);
const NETWORK = 1000;
const HOSTS = 8;

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${(100 * x).toFixed(4)}%`;

async function traditional(scenario: Scenario): Promise<number> {
  const host = await startAgents(scenario, 'alone');
  try {
    return (await solveTraditional(host, scenario.periods)).seconds;
  } finally {
    await host.close();
  }
}

async function weakInWorkers(scenario: Scenario): Promise<FrameworkResult> {
  const started = performance.now();
  const parties = await startParties(scenario);
  const created = (performance.now() - started) / 1000;
  try {
    const session = await PoolSession.open(parties.transport, {
      tariffs: scenario.tariffs,
      periodMinutes: scenario.periodMinutes,
      method: 'admm',
      ...SIMULATION_DEADLINES,
    });
    const r = await clearWeak(session, scenario.tariffs);
    console.log(`  parties created in ${created.toFixed(1)} s (identities, models)`);
    return r;
  } finally {
    await parties.close();
  }
}

function describe(r: FrameworkResult, reference: number, referenceName: string): void {
  const certificates = r.history.filter((h) => h.certifiedGap !== undefined).length;
  const rounds = r.iterations + certificates + 1;
  console.log(`  set-up (hello, signatures, key agreement): ${r.setupSeconds!.toFixed(1)} s`);
  console.log(
    `  clearing: ${r.seconds.toFixed(1)} s (${(r.seconds / reference).toFixed(1)}x ${referenceName}, measured ${reference.toFixed(2)} s), ` +
      `${r.iterations} iterations + ${certificates} certificate round(s), converged ${r.converged ? 'yes' : 'NO'}`,
  );
  console.log(
    `  certified gap ${pct(r.certifiedGap)} (dual bound ${r.dualBound?.toFixed(2)}, cost ${r.totalCost.toFixed(2)}), relative imbalance ${r.relativeImbalance.toExponential(1)}, ${r.participants} prosumers in the market`,
  );
  console.log(
    `  traffic: ${r.messages} messages, ${mb(r.bytes)} MB; per round ${(r.messages / rounds).toFixed(0)} messages, ${mb(r.bytes / rounds)} MB (${(r.bytes / r.messages).toFixed(0)} bytes a message)`,
  );
}

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

console.log(
  `market-secure bench: ${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

// 1. The weak market at scale, without an oracle.
{
  const scenario = parseScenario(generateScenario({ prosumers: LARGE, seed: 1 }));
  console.log(
    `\n${LARGE} generated prosumers (${scenario.prosumers.filter((p) => p.battery).length} batteries, ${scenario.prosumers.filter((p) => p.flexibleLoads.length).length} EVs), 48 periods, worker threads`,
  );
  const reference = await traditional(scenario);
  const r = await weakInWorkers(scenario);
  describe(r, reference, 'the traditional market');
}

// 2. Over the network: 8 prosumer processes, against the same market in one process.
{
  const dir = mkdtempSync(join(tmpdir(), 'vppchain-bench-market-'));
  try {
    const split = await run([
      'prosumer',
      'split',
      '--prosumers',
      String(NETWORK),
      '--seed',
      '1',
      '--out',
      dir,
    ]);
    if (split.code !== 0) throw new Error(`prosumer split failed: ${split.err}`);
    const roster = loadVppFile(join(dir, 'vpp.json'));
    const scenario = parseScenario(generateScenario({ prosumers: NETWORK, seed: 1 }));
    console.log(
      `\n${NETWORK} prosumers: one process (worker threads) vs ${HOSTS} prosumer processes over libp2p`,
    );
    const local = await weakInWorkers(scenario);
    describe(local, local.seconds, 'itself');
    const ids = roster.members.map((m) => m.id);
    const hosts: Promise<{ code: number | null; err: string }>[] = [];
    const networked = await clearOverNetwork({
      roster,
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      waitMs: 600_000,
      setupDeadlineMs: SIMULATION_DEADLINES.setupDeadlineMs,
      roundDeadlineMs: SIMULATION_DEADLINES.roundDeadlineMs,
      onListening: (addresses) => {
        for (let h = 0; h < HOSTS; h++) {
          const mine = ids.filter((_, i) => i % HOSTS === h).flatMap((id) => ['--data', join(dir, id)]);
          hosts.push(run(['prosumer', 'run', '--vpp', addresses[0]!, '--once', ...mine]));
        }
      },
    });
    const results = await Promise.all(hosts);
    for (const h of results) if (h.code !== 0) throw new Error(`a prosumer process failed: ${h.err}`);
    const weak = networked.frameworks.weak!;
    console.log(`  over the network (${HOSTS} processes of ${NETWORK / HOSTS} prosumers):`);
    describe(weak, local.seconds, 'the in-process clearing');
    const same = Math.abs(weak.totalCost - local.totalCost) / Math.abs(local.totalCost);
    console.log(
      `  same market: ${weak.iterations === local.iterations ? 'same iterations' : 'DIFFERENT iterations'}, relative cost difference ${same.toExponential(1)}`,
    );
    const outcome = JSON.parse(readFileSync(join(dir, ids[0]!, 'outcome.json'), 'utf8'));
    console.log(`  ${ids[0]} kept its bill: ${outcome.cost.toFixed(4)} ${roster.currency}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
