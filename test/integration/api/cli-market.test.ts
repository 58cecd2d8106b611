// Bids and bills through the CLI (child processes) against two running nodes. Robust on a busy machine:
// the interval is far enough ahead (its gate 8 s plus 4 s per unit of load factor away, scaled(): the load
// per core when the test starts, 1 to 6, as starting a CLI process slows down with it; 12 s on a quiet
// machine, 28 s at most, before 25-30 s whatever the load) that both CLI processes start and submit before
// it, they run side by side, and every wait is for a condition.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VppClient } from '../../../client/index.ts';
import { writeKeyFile } from '../../../node/keyfile.ts';
import { keys } from '../../helpers/builder.ts';
import { runCli } from '../../helpers/cli.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { gateLead, scaled, stretched } from '../../helpers/time.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-cli-market-'));
let net: TestNet | undefined;
afterAll(async () => {
  await net?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs a CLI command with --json; a failure shows its exit code and what it printed. */
async function vpp(...args: string[]): Promise<unknown> {
  const r = await runCli([...args, '--json'], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`vppchain ${args[0]} exited ${r.code}: ${r.err}${r.out}`);
  return JSON.parse(r.out);
}

describe('bids and bills through the CLI against running nodes', () => {
  it(
    'a bid is mined, the auction clears, the bill matches the clearing, and is confirmed only when deep enough',
    async () => {
      const intervalMs = stretched(2000);
      const gateLeadMs = gateLead({ fixedMs: 8000, perLoadMs: 4000, maxMs: 28_000 });
      const params = netParams({
        market: {
          ...netParams().market,
          intervalMs,
          maxIntervalsAhead: Math.ceil(gateLeadMs / intervalMs) + 2,
          minConfirmations: 2,
        },
      });
      net = await startNet(params, [{ mine: true, api: true }, { api: true }]);
      const [miner, other] = net.nodes as [
        NonNullable<TestNet['nodes'][0]>,
        NonNullable<TestNet['nodes'][0]>,
      ];
      await waitFor(
        'connected',
        () => miner.network!.peerCount === 1 && other.chain.height >= 1,
        scaled(60_000),
      );
      const buyerKey = join(tmp, 'vpp1.json');
      const sellerKey = join(tmp, 'vpp2.json');
      writeKeyFile(buyerKey, keys.vpp1);
      writeKeyFile(sellerKey, keys.vpp2);
      const client = new VppClient(other.apiUrl!);
      // Interval current + n starts (its gate) more than (n - 1) intervals from now: at least gateLeadMs.
      const k =
        BigInt((await client.auction('current')).interval) + BigInt(Math.ceil(gateLeadMs / intervalMs) + 1);

      // Bids go to the node that does not mine: they must reach the miner by gossip. Both CLIs at once.
      const [buy, sell] = (await Promise.all([
        vpp(
          'bid',
          '--node',
          other.apiUrl!,
          '--key',
          buyerKey,
          '--interval',
          String(k),
          '--side',
          'buy',
          '--steps',
          '2@250000,1@310000',
          '--wait',
        ),
        vpp(
          'bid',
          '--node',
          other.apiUrl!,
          '--key',
          sellerKey,
          '--interval',
          String(k),
          '--side',
          'sell',
          '--steps',
          '1.5@100000',
        ),
      ])) as [{ status: string; hash: string }, { hash: string }];
      expect(buy.status).toBe('confirmed');
      const receipt = (await client.transaction(buy.hash)) as {
        status: string;
        receipt: { events: { name: string; data: Record<string, unknown> }[] };
        transaction: { payload: Record<string, unknown> };
      };
      expect(receipt.receipt.events).toEqual([
        expect.objectContaining({
          contract: 'auction',
          name: 'BidPlaced',
          data: expect.objectContaining({ interval: String(k), side: 'buy', totalWh: 3000 }),
        }),
      ]);
      expect(receipt.transaction.payload).toMatchObject({
        kind: 'call',
        contract: 2,
        method: 0,
        contractName: 'auction',
        methodName: 'placeBid',
      });
      await client.waitForConfirmation(sell.hash, { timeoutMs: scaled(60_000) });

      await waitFor(
        'auction cleared',
        async () => (await client.auction(k)).status === 'cleared',
        scaled(90_000),
      );
      const shown = (await vpp('auction', '--node', other.apiUrl!, '--interval', String(k))) as Awaited<
        ReturnType<VppClient['auction']>
      >;
      expect(shown.clearing!.tradedWh).toBe('1500');
      const buyer = shown.clearing!.participants.find((p) => p.vpp === keys.vpp1.address)!;
      const seller = shown.clearing!.participants.find((p) => p.vpp === keys.vpp2.address)!;

      const page = (await vpp(
        'bills',
        '--node',
        other.apiUrl!,
        '--key',
        buyerKey,
        '--from',
        String(k),
        '--to',
        String(k),
      )) as Awaited<ReturnType<VppClient['bills']>>;
      const bill = page.bills[0]!;
      expect(bill.lines).toContainEqual({ kind: 'auction-buy', wh: '1500', amount: `-${buyer.payment}` });
      expect(BigInt(bill.total)).toBe(-BigInt(buyer.payment) - BigInt(buyer.gridPayment));
      const sellerPage = await client.bills(keys.vpp2.address, { from: k, to: k });
      expect(sellerPage.bills[0]!.lines).toContainEqual({
        kind: 'auction-sell',
        wh: '1500',
        amount: seller.payment,
      });

      // Confirmation follows depth: never reported confirmed above its depth, and confirmed at its depth.
      const depth = bill.clearing!.confirmations;
      const deeper = await client.bills(keys.vpp1.address, { from: k, to: k, minConfirmations: depth + 50 });
      expect(deeper.bills[0]!.confirmed).toBe(false);
      const atDepth = await client.bills(keys.vpp1.address, { from: k, to: k, minConfirmations: depth });
      expect(atDepth.bills[0]!.confirmed).toBe(true);
      const confirmed = await client.waitForBill(keys.vpp1.address, k, {
        minConfirmations: 2,
        timeoutMs: scaled(60_000),
      });
      expect(confirmed.clearing!.confirmations).toBeGreaterThanOrEqual(2);
    },
    scaled(240_000),
  );
});
