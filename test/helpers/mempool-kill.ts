// The mempool crash scenario, shared by the integration test (a shorter run) and bench/mempool-kill.bench.ts
// (1,000 bids): bids from many VPPs are submitted by concurrent clients to a `vppchain node` process that
// does not mine, which is SIGKILLed right after every `killEvery`-th acknowledgement (202) and restarted on
// the same data directory. A client whose request died with the node sends the same signed bytes again
// (202, or ALREADY_KNOWN when the node had stored it before it died). No block is mined meanwhile, so an
// acknowledged bid can reach the chain only if the node kept it on disk. Then the node restarts with
// --mine; each bid's status is read, and after a clean stop every auction is read from the ledger.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTransaction, signTransaction } from '../../client/tx.ts';
import { Chain } from '../../consensus/chain.ts';
import { genesisBlock } from '../../consensus/genesis.ts';
import { SignatureVerifier } from '../../consensus/sigverify.ts';
import { placeBidCall } from '../../contracts-vm/abi/calls.ts';
import { getBid } from '../../contracts-vm/contracts/auction.ts';
import { CONTRACTS } from '../../contracts-vm/contracts/index.ts';
import { intervalAt } from '../../contracts-vm/contracts/intervals.ts';
import { initDataDir } from '../../node/node.ts';
import { devKeyPair } from '../../protocol/keys.ts';
import { freePortRange, netParams, waitFor } from './net.ts';
import { NodeProcess } from './node-process.ts';
import { scaled } from './time.ts';

export interface KillScenario {
  vpps: number;
  /** Bids per VPP, one per interval (nonces 0..n-1); at most 8. */
  intervals: number;
  killEvery: number;
  clients: number;
}

export interface KillOutcome {
  bids: number;
  acknowledged: number;
  kills: number;
  /** Time from SIGKILL until the restarted node's API answered, per kill. */
  restartMs: number[];
  /** Pending transactions the node reported right after the last restart. */
  pendingAfterLastRestart: number;
  /** Requests that died with the node and were sent again; of those, answered ALREADY_KNOWN. */
  resent: number;
  resentAlreadyKnown: number;
  /** Status of each bid once mined: confirmed / dropped / pending / not found. */
  statuses: Record<string, number>;
  /** Bids found in their auction with their side and steps, read from the ledger. */
  found: number;
}

/** Runs the scenario in a temporary directory (removed afterwards, the node stopped, whatever happens). */
export async function runKillScenario(s: KillScenario): Promise<KillOutcome> {
  const tmp = mkdtempSync(join(tmpdir(), 'vppchain-mempool-kill-'));
  let node: NodeProcess | undefined;
  try {
    const vpps = Array.from({ length: s.vpps }, (_, i) => devKeyPair(`kill-vpp-${i}`));
    const base = netParams();
    // Ten-minute intervals: no gate comes near while the scenario runs.
    const params = netParams({
      market: { ...base.market, intervalMs: 600_000, maxIntervalsAhead: 8 },
      accounts: [
        ...base.accounts,
        ...vpps.map((k, i) => ({
          name: `kill-vpp-${i}`,
          role: 'vpp' as const,
          address: k.address,
          balance: 10_000_000n,
        })),
      ],
    });
    const dataDir = join(tmp, 'node');
    await initDataDir(dataDir, params);
    node = new NodeProcess(dataDir, await freePortRange(1), ['--quiet', '--rate-limit', '0']);
    await node.start([], scaled(60_000));
    const running = node;

    const domain = { chainId: params.chainId, genesisHash: genesisBlock(params).hash };
    const first = intervalAt(params, Date.now()) + 1n;
    const fee = params.minTxFee * BigInt(CONTRACTS.gas(placeBidCall(0n, 'buy', [{ qty: 1, price: 1 }])));
    const bids = vpps.flatMap((key, v) =>
      Array.from({ length: s.intervals }, (_, j) => {
        const interval = first + BigInt(j);
        const side = v % 2 === 0 ? ('buy' as const) : ('sell' as const);
        const steps = [{ qty: 100 + v, price: 100_000 + 1000 * j }];
        const tx = signTransaction(
          {
            nonce: BigInt(j),
            fee,
            senderPubKey: key.publicKey,
            payload: placeBidCall(interval, side, steps),
          },
          key,
          domain,
        );
        return { vpp: key.address, interval, side, steps, ...encodeTransaction(tx) };
      }),
    );

    let acknowledged = 0;
    let kills = 0;
    let resent = 0;
    let resentAlreadyKnown = 0;
    const restartMs: number[] = [];
    let restarting: Promise<void> = Promise.resolve();
    const killAndRestart = async () => {
      const t0 = performance.now();
      await running.kill();
      kills++;
      await running.start([], scaled(60_000));
      restartMs.push(performance.now() - t0);
    };
    const submit = async (hex: string): Promise<void> => {
      for (let again = false; ; again = true) {
        await restarting;
        let res: Response;
        try {
          res = await fetch(`${running.url}/v1/transactions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ hex }),
            signal: AbortSignal.timeout(scaled(30_000)),
          });
        } catch {
          // the node died under this request: wait for it, then send the same bytes again
          if (!again) resent++;
          await restarting;
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        const body = (await res.json().catch(() => undefined)) as { error?: { code: string } } | undefined;
        if (res.status === 202 || body?.error?.code === 'ALREADY_KNOWN') {
          if (res.status !== 202) resentAlreadyKnown++;
          acknowledged++;
          // Kill at once after every killEvery-th acknowledgement, whatever else is in flight.
          if (acknowledged % s.killEvery === 0) restarting = restarting.then(killAndRestart);
          return;
        }
        throw new Error(`bid refused: HTTP ${res.status} ${JSON.stringify(body)}`);
      }
    };
    let nextVpp = 0;
    await Promise.all(
      Array.from({ length: s.clients }, async () => {
        for (let v = nextVpp++; v < s.vpps; v = nextVpp++)
          for (const bid of bids.slice(v * s.intervals, (v + 1) * s.intervals)) await submit(bid.hex);
      }),
    );
    await restarting;

    const status = async () =>
      (await (await fetch(`${running.url}/v1/status`)).json()) as { mempoolSize: number; height: number };
    const pendingAfterLastRestart = (await status()).mempoolSize;
    await running.stop();
    await running.start(['--mine', '--threads', '1'], scaled(60_000));
    await waitFor('every bid mined', async () => (await status()).mempoolSize === 0, scaled(120_000));
    const statuses: Record<string, number> = {};
    for (const bid of bids) {
      const r = await fetch(`${running.url}/v1/transactions/${bid.hash}`);
      const st = r.status === 404 ? 'not found' : ((await r.json()) as { status: string }).status;
      statuses[st] = (statuses[st] ?? 0) + 1;
    }
    await running.stop();

    const verifier = new SignatureVerifier(domain, 0);
    const chain = await Chain.open(join(dataDir, 'chain'), params, { verifier });
    let found = 0;
    try {
      for (const bid of bids) {
        const stored = getBid(chain.headState, bid.interval, bid.vpp);
        if (stored?.side === bid.side && JSON.stringify(stored.steps) === JSON.stringify(bid.steps)) found++;
      }
    } finally {
      await chain.close();
      await verifier.close();
    }
    return {
      bids: bids.length,
      acknowledged,
      kills,
      restartMs,
      pendingAfterLastRestart,
      resent,
      resentAlreadyKnown,
      statuses,
      found,
    };
  } finally {
    await node?.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
}
