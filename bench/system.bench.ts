// The whole system at scale: 20 VPPs with 50 prosumers each (1,000 in total), their agents bidding real
// deviations each interval through 4 mining nodes' APIs (in this process; 5 VPPs per node). For each
// interval: time from gate closure to bills confirmed on every node, and its parts: waiting for the first
// block past the gate, clearing (the auction's end-of-block hook, VCG included), block propagation to
// every node, and waiting for confirmation depth. Medians over the intervals measured.

import type { VppAgent } from '../agent/agent.ts';
import { HttpChainPort } from '../agent/http-ports.ts';
import { buildDemoVpps, createDemoAgent } from '../agent/scenarios.ts';
import { VppClient } from '../client/index.ts';
import { headerHash } from '../protocol/block.ts';
import { toHex } from '../protocol/bytes.ts';
import { targetToBits } from '../protocol/difficulty.ts';
import { devKeyPair } from '../protocol/keys.ts';
import { netParams, startNet, waitFor } from '../test/helpers/net.ts';
import { median } from './stats.ts';

const VPPS = 20;
const PROSUMERS = 50;
const NODES = 4;
const INTERVALS = 5;
const INTERVAL_MS = 15_000;

const vpps = buildDemoVpps({ vpps: VPPS, prosumersPerVpp: PROSUMERS });
const base = netParams();
const params = netParams({
  blockTimeMs: 1000,
  initialBits: targetToBits((1n << 256n) / 1_200_000n),
  market: { ...base.market, intervalMs: INTERVAL_MS, maxIntervalsAhead: 4, minConfirmations: 2 },
  accounts: [
    base.accounts[0]!,
    ...vpps.map((v) => ({
      name: v.name,
      role: 'vpp' as const,
      address: v.address,
      balance: 100_000_000_000n,
    })),
  ],
});
const net = await startNet(
  params,
  Array.from({ length: NODES }, () => ({ mine: true, api: true })),
);
await waitFor('mesh', () => net.nodes.every((n) => n.network!.peerCount === NODES - 1), 60_000);

// When each node first connected each block, and how long each auction hook took (wall clock, ms).
const seen = new Map<string, number[]>();
const hookMs: number[] = [];
for (const [i, node] of net.nodes.entries()) {
  node.chain.on('head', (c) => {
    const t = performance.now();
    for (const b of c.connected) {
      const id = toHex(headerHash(b.header));
      const list = seen.get(id) ?? new Array(NODES).fill(Number.NaN);
      if (Number.isNaN(list[i]!)) list[i] = t;
      seen.set(id, list);
    }
  });
  const prev = node.chain.hookObserver;
  node.chain.hookObserver = {
    endBlock: (contract, seconds) => {
      prev?.endBlock(contract, seconds);
      if (contract === 'auction' && i === 0) hookMs.push(seconds * 1000);
    },
  };
}

console.log(
  `System: ${VPPS} VPPs × ${PROSUMERS} prosumers, ${NODES} mining nodes, ${INTERVAL_MS / 1000} s intervals; running the day-ahead markets…`,
);
const t0 = performance.now();
const clients = net.nodes.map((n) => new VppClient(n.apiUrl!));
const agents: VppAgent[] = [];
for (const [i, v] of vpps.entries()) {
  agents.push(
    await createDemoAgent(v, new HttpChainPort(clients[i % NODES]!, devKeyPair(v.name), 2), {
      framework: 'weak',
      mapping: { minutesPerInterval: 5, startMinute: 660 },
    }),
  );
}
console.log(
  `  day-ahead for ${VPPS * PROSUMERS} prosumers: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const startOf = (k: bigint) => params.timestamp + Number(k) * INTERVAL_MS;
const wallOf = (chainMs: number) => performance.now() - (Date.now() - chainMs); // chain time is wall-clock ms
let k = BigInt(Math.floor((Date.now() - params.timestamp) / INTERVAL_MS)) + 2n;
await Promise.all(agents.map((a) => a.planInterval(k)));
const rows: {
  total: number;
  firstBlock: number;
  clearing: number;
  propagation: number;
  confirmation: number;
  bids: number;
}[] = [];
for (let n = 0; n < INTERVALS; n++, k++) {
  const gateWall = wallOf(startOf(k));
  const hooksBefore = hookMs.length;
  // Cleared and confirmed on every node.
  let clearingBlock = '';
  await waitFor(
    `interval ${k} cleared and confirmed everywhere`,
    async () => {
      for (const c of clients) {
        const a = await c.auction(k);
        if (a.status !== 'cleared' || (await c.status()).height - a.clearing!.height + 1 < 2) return false;
      }
      return true;
    },
    120_000,
  );
  const confirmedAt = performance.now();
  const a = await clients[0]!.auction(k);
  clearingBlock = (await clients[0]!.block(a.clearing!.height)).hash;
  const times = seen.get(clearingBlock)!;
  const first = Math.min(...times);
  const last = Math.max(...times);
  rows.push({
    total: confirmedAt - gateWall,
    firstBlock: first - gateWall,
    clearing: hookMs.slice(hooksBefore).reduce((s, x) => s + x, 0),
    propagation: last - first,
    confirmation: confirmedAt - last,
    bids: a.bidCount,
  });
  await Promise.all(agents.map((ag) => ag.deliver(k)));
  await Promise.all(agents.map((ag) => ag.planInterval(k + 1n)));
}
await net.close();

const med = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f));
const total = med((r) => r.total);
const pct = (x: number) => `${((100 * x) / total).toFixed(1)}%`;
console.log(
  `Gate closure to bills confirmed (2 blocks) on all ${NODES} nodes, median of ${rows.length} intervals with ${med((r) => r.bids)} bids each:`,
);
console.log(`  total                               ${total.toFixed(0)} ms`);
console.log(
  `  waiting for the first block past the gate  ${med((r) => r.firstBlock).toFixed(0)} ms (${pct(med((r) => r.firstBlock))})`,
);
console.log(
  `  clearing with VCG payments (hook)   ${med((r) => r.clearing).toFixed(2)} ms (${pct(med((r) => r.clearing))})`,
);
console.log(
  `  block propagation to every node     ${med((r) => r.propagation).toFixed(0)} ms (${pct(med((r) => r.propagation))})`,
);
console.log(
  `  confirmation depth (next block)     ${med((r) => r.confirmation).toFixed(0)} ms (${pct(med((r) => r.confirmation))})`,
);
