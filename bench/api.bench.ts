// API benchmark: requests per second and p99 latency of GET /v1/accounts/:address, GET /v1/bills/:address and
// POST /v1/transactions
// (distinct pre-signed valid transfers from many funded senders), each beside a bare fastify route
// measured in the same run (same process, same load generator). autocannon runs in a worker thread so
// it does not share the server's event loop. Medians of RUNS runs; a fresh node per POST run (empty mempool).
// A POST is answered 202 only once the transaction is on disk (a synced write; concurrent admissions share
// one synced batch): the synced batches per run are counted to show how many transactions share an fsync.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { placeBidCall } from '../contracts-vm/abi/calls.ts';
import { initDataDir, VppNode } from '../node/node.ts';
import { toHex } from '../protocol/bytes.ts';
import { devKeyPair } from '../protocol/keys.ts';
import { fundedSenders } from './fixtures.ts';
import { median } from './stats.ts';

interface Job {
  url: string;
  method: 'GET' | 'POST';
  /** Paths (GET) or JSON bodies (POST, to `path`), used round-robin. */
  items: string[];
  path?: string;
  connections: number;
  durationS?: number;
  amount?: number;
}
interface Outcome {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

if (!isMainThread) {
  const job = workerData as Job;
  let i = 0;
  const started = performance.now();
  const instance = autocannon(
    {
      url: job.url,
      connections: job.connections,
      ...(job.amount !== undefined ? { amount: job.amount } : { duration: job.durationS ?? 4 }),
      requests: [
        {
          method: job.method,
          headers: job.method === 'POST' ? { 'content-type': 'application/json' } : {},
          setupRequest: (req) => {
            const item = job.items[i++ % job.items.length]!;
            return job.method === 'POST'
              ? { ...req, path: job.path ?? '/', body: item }
              : { ...req, path: item };
          },
        },
      ],
    },
    (err, raw) => {
      if (err) throw err;
      // inside a worker thread autocannon leaves its result unaggregated
      const aggregate = (
        autocannon as unknown as { aggregateResult: (rs: unknown[], o: object) => autocannon.Result }
      ).aggregateResult;
      const r = aggregate([raw], { url: job.url, connections: job.connections });
      parentPort!.postMessage({
        rps: r.requests.total / ((performance.now() - started) / 1000),
        p99: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors,
        total: r.requests.total,
      } satisfies Outcome);
    },
  );
  void instance;
} else {
  await main();
}

function load(job: Job): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', (m: Outcome) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

async function main(): Promise<void> {
  const RUNS = 3;
  const CONNECTIONS = 16;
  const SENDERS = 500;
  const PER_SENDER = 16;
  const fmt = (n: number, d = 0) =>
    n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });

  const { senders, params, builder: b } = fundedSenders('api-bench', SENDERS);
  const recipient = devKeyPair('grid').address;
  const bodies: string[] = [];
  for (let n = 0; n < PER_SENDER; n++)
    for (const k of senders)
      bodies.push(JSON.stringify({ hex: toHex(b.transfer(k, recipient, 1n, BigInt(n)).bytes) }));
  const paths = senders.map((k) => `/v1/accounts/${k.address}`);

  async function openNode(): Promise<{ node: VppNode; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'vppchain-api-bench-'));
    await initDataDir(dir, params);
    const node = await VppNode.open({ dataDir: dir, mine: false, api: { port: 0, rateLimit: false } });
    await node.start();
    return { node, dir };
  }
  async function closeNode(n: { node: VppNode; dir: string }) {
    await n.node.stop();
    rmSync(n.dir, { recursive: true, force: true });
  }

  // The reference: a bare fastify server with one GET and one POST route (JSON body parsed and echoed).
  const bare = Fastify({ logger: false });
  bare.get('/bare/:address', async (req) => ({ address: (req.params as { address: string }).address }));
  bare.post('/bare', async (req, reply) =>
    reply.code(202).send({ hash: String((req.body as { hex: string }).hex).slice(0, 64) }),
  );
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const addr = bare.server.address();
  const bareUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  console.log(
    `API benchmark: ${CONNECTIONS} connections, ${RUNS} runs each (medians), ${SENDERS} funded senders, load generator in a worker thread`,
  );
  const row = (label: string, rs: Outcome[]) =>
    console.log(
      `  ${label.padEnd(44)} ${fmt(median(rs.map((r) => r.rps))).padStart(8)} req/s   p99 ${fmt(median(rs.map((r) => r.p99)), 1).padStart(6)} ms   non-2xx ${rs.reduce((a, r) => a + r.non2xx + r.errors, 0)} of ${rs.reduce((a, r) => a + r.total, 0)}`,
    );

  // GET /v1/accounts/:address
  const getNode = await openNode();
  const accounts: Outcome[] = [];
  const bareGet: Outcome[] = [];
  for (let r = 0; r < RUNS; r++) {
    accounts.push(
      await load({
        url: getNode.node.apiUrl!,
        method: 'GET',
        items: paths,
        connections: CONNECTIONS,
        durationS: 4,
      }),
    );
    bareGet.push(
      await load({
        url: bareUrl,
        method: 'GET',
        items: senders.map((k) => `/bare/${k.address}`),
        connections: CONNECTIONS,
        durationS: 4,
      }),
    );
  }
  // GET /v1/bills/:address on a chain with nine cleared auctions of 20 bidders each (real bills to read)
  const BIDDERS = 20;
  let tip = b.genesisId;
  for (let h = 1; h <= 110; h++) {
    const j = Math.floor((h - 1) / 10);
    const txs =
      (h - 1) % 10 === 0 && j <= 8
        ? senders
            .slice(0, BIDDERS)
            .map((k, i) =>
              b.call(
                k,
                placeBidCall(BigInt(j + 2), i % 2 ? 'sell' : 'buy', [
                  { qty: 1000 + 10 * i, price: 100_000 + 5_000 * i },
                ]),
                BigInt(j),
              ),
            )
        : [];
    const blk = b.next(tip, { txs });
    await getNode.node.chain.processBlock(blk);
    tip = b.idOf(blk);
  }
  const billPaths = senders.slice(0, BIDDERS).map((k) => `/v1/bills/${k.address}?from=0&to=12`);
  const probe = (await (await fetch(`${getNode.node.apiUrl}${billPaths[0]}`)).json()) as { bills: unknown[] };
  if (probe.bills.length !== 9) throw new Error(`expected 9 bills per VPP, got ${probe.bills.length}`);
  const bills: Outcome[] = [];
  for (let r = 0; r < RUNS; r++) {
    bills.push(
      await load({
        url: getNode.node.apiUrl!,
        method: 'GET',
        items: billPaths,
        connections: CONNECTIONS,
        durationS: 4,
      }),
    );
  }
  await closeNode(getNode);
  row('GET /v1/accounts/:address', accounts);
  row('GET /v1/bills/:address (9 bills each)', bills);
  row('GET bare fastify route (reference)', bareGet);

  // POST /v1/transactions: each run on a fresh node sends every pre-signed transfer once; at 16 connections
  // as the GET routes, and at 64, where more admissions wait for each fsync and share it. Beside it, in the
  // same run: the same node answering without waiting for the disk (what the route did before a 202 meant
  // stored; its writes still happen, unawaited), and the bare route.
  const post = async (connections: number, durable: boolean) => {
    const n = await openNode();
    if (!durable)
      n.node.submitTx = async (env) => {
        await n.node.mempool.add(env);
      };
    const outcome = await load({
      url: n.node.apiUrl!,
      method: 'POST',
      path: '/v1/transactions',
      items: bodies,
      connections,
      amount: bodies.length,
    });
    const pooled = n.node.mempool.size;
    const batches = n.node.mempoolStore.batchesWritten;
    await closeNode(n);
    if (pooled !== bodies.length - outcome.non2xx)
      console.log(`  (mempool ${pooled} after ${bodies.length} submissions)`);
    return { outcome, batches };
  };
  for (const connections of [CONNECTIONS, 4 * CONNECTIONS]) {
    const durable: Outcome[] = [];
    const undurable: Outcome[] = [];
    const barePost: Outcome[] = [];
    const batches: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const d = await post(connections, true);
      durable.push(d.outcome);
      batches.push(d.batches);
      undurable.push((await post(connections, false)).outcome);
      barePost.push(
        await load({
          url: bareUrl,
          method: 'POST',
          path: '/bare',
          items: bodies,
          connections,
          amount: bodies.length,
        }),
      );
    }
    const rps = (rs: Outcome[]) => median(rs.map((r) => r.rps));
    row(`POST /v1/transactions, ${connections} connections (${fmt(bodies.length)} transfers)`, durable);
    row('  the same, 202 without waiting for the disk (reference)', undurable);
    row('  bare fastify POST route, same bodies (reference)', barePost);
    console.log(
      `  at ${connections} connections: durable ${fmt(rps(durable) / rps(undurable), 2)}x the undurable route, ${fmt(rps(durable) / rps(barePost), 3)}x the bare route (undurable ${fmt(rps(undurable) / rps(barePost), 3)}x); ${fmt(median(batches))} synced batches for ${fmt(bodies.length)} transactions (${fmt(bodies.length / median(batches), 1)} per fsync)`,
    );
  }
  await bare.close();
}
