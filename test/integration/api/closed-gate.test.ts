// The closed-gate bid, from outside with the SDK against two nodes (bids go to the one that does not mine):
// a bid for an interval whose gate has closed, queued behind a pending transfer of the same sender, is
// refused at submission with GATE_CLOSED in words (it used to be answered 202 and then vanish); a bid for
// an open interval queued behind a nonce gap is answered 202 and, once its gate passes, ends as dropped
// with reason gate-closed, seen on GET /v1/transactions/:hash, on the tx.dropped event stream and by the
// SDK's wait on both nodes, instead of staying pending forever.
import { afterAll, describe, expect, it } from 'vitest';
import { VppApiError, VppClient, VppTxDroppedError } from '../../../client/index.ts';
import type { NodeEventJson } from '../../../client/types.ts';
import { placeBidCall } from '../../../contracts-vm/abi/calls.ts';
import { keys } from '../../helpers/builder.ts';
import { netParams, startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

let net: TestNet | undefined;
afterAll(() => net?.close());

const steps = [{ qty: 1000, price: 250_000 }];

describe('bids for closed gates', () => {
  it(
    'refuses a closed-gate bid behind a transfer; drops a gapped bid with gate-closed when its gate passes',
    async () => {
      const base = netParams();
      const params = netParams({ market: { ...base.market, intervalMs: 3000, maxIntervalsAhead: 8 } });
      net = await startNet(params, [{ mine: true, api: true }, { api: true }]);
      const [miner, edge] = net.nodes as [TestNet['nodes'][0], TestNet['nodes'][0]];
      await waitFor('connected, mining', () => miner!.network!.peerCount === 1 && edge!.chain.height >= 1);
      const client = new VppClient(edge!.apiUrl!);
      const current = BigInt((await client.auction('current')).interval);

      // vpp1: a transfer (202), then a bid for the interval in delivery at the next nonce after it.
      const transfer = await client.transfer({ key: keys.vpp1, to: keys.vpp2.address, amount: 5n });
      const refused = await client
        .call(keys.vpp1, placeBidCall(current, 'buy', steps), { nonce: transfer.tx.nonce + 1n })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(refused).toBeInstanceOf(VppApiError);
      expect((refused as VppApiError).code).toBe('GATE_CLOSED');
      expect((refused as VppApiError).message).toMatch(
        new RegExp(
          `^the gate of interval ${current} closed at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, [\\d.]+ (ms|s) ago: `,
        ),
      );
      // 50 intervals ahead behind a nonce gap: refused too (it could not be mined before it opens)
      const far = await client
        .call(keys.vpp1, placeBidCall(current + 50n, 'buy', steps), { nonce: transfer.tx.nonce + 3n })
        .then(
          () => undefined,
          (e: unknown) => e as VppApiError,
        );
      expect(far?.code).toBe('INTERVAL_TOO_FAR');
      await client.waitForConfirmation(transfer.hash, { timeoutMs: scaled(60_000) });

      // vpp2: a bid for an open interval behind a nonce gap (its pending nonce is never sent).
      const events: NodeEventJson[] = [];
      const ctl = new AbortController();
      // (the transfer's wait closes its own event stream as it returns)
      await waitFor('no event stream open', () => edge!.events.subscriberCount === 0, scaled(10_000));
      const stream = (async () => {
        for await (const e of client.subscribe({ kinds: ['tx.dropped'], signal: ctl.signal })) events.push(e);
      })();
      await waitFor('subscribed', () => edge!.events.subscriberCount === 1, scaled(10_000));
      const next = BigInt((await client.account(keys.vpp2.address)).pendingNonce);
      const target = BigInt((await client.auction('current')).interval) + 3n;
      const gapped = await client.call(keys.vpp2, placeBidCall(target, 'sell', steps), { nonce: next + 1n });
      expect((await client.transaction(gapped.hash)).status).toBe('pending');
      await waitFor(
        'the bid reached the miner by gossip',
        () => miner!.mempool.has(gapped.hash),
        scaled(30_000),
      );

      const err = await client.waitForConfirmation(gapped.hash, { timeoutMs: scaled(90_000) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(VppTxDroppedError);
      expect(err).toMatchObject({ hash: gapped.hash, reason: 'gate-closed', code: 'GATE_CLOSED' });
      for (const node of [edge!, miner!]) {
        // Each node drops it at its own first head after its clock passed the gate: a block found just
        // before the gate is a head before it on the miner and after it on the edge, which it reaches later.
        const nodeClient = new VppClient(node.apiUrl!);
        await waitFor(
          'the bid dropped on this node too',
          async () => (await nodeClient.transaction(gapped.hash)).status !== 'pending',
          30_000,
        );
        const t = await nodeClient.transaction(gapped.hash);
        expect(t).toMatchObject({
          status: 'dropped',
          reason: 'gate-closed',
          code: 'GATE_CLOSED',
          sender: keys.vpp2.address,
          nonce: String(next + 1n),
          message: expect.stringContaining(`the gate of interval ${target} closed at `),
        });
      }
      await waitFor(
        'the tx.dropped event',
        () => events.some((e) => (e.data as { hash?: string }).hash === gapped.hash),
        scaled(10_000),
      );
      ctl.abort();
      await stream;
      expect(events.filter((e) => (e.data as { hash: string }).hash === gapped.hash)).toEqual([
        expect.objectContaining({
          kind: 'tx.dropped',
          data: expect.objectContaining({ reason: 'gate-closed' }),
        }),
      ]);
    },
    scaled(180_000),
  );
});
