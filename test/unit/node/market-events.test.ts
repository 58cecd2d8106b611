// Market events are read from receipts after each head change: I/O that fails when the node stops while a
// head change is being published. That failure is dropped, others are reported; neither may become an
// unhandled rejection (which ends a node process, and ended the system bench's process).
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Chain } from '../../../consensus/chain.ts';
import { EventBus, publishMarketEvents } from '../../../node/events.ts';
import { ChainBuilder, testParams } from '../../helpers/builder.ts';

function failingChain(databaseOpen: boolean): Chain {
  const chain = new EventEmitter() as unknown as Chain & { databaseOpen: boolean };
  Object.assign(chain, {
    databaseOpen,
    getReceipts: async () => {
      throw new Error('Database is not open');
    },
  });
  return chain;
}

async function headChange(chain: Chain): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const builder = new ChainBuilder(testParams());
    const block = builder.next(builder.genesisId);
    (chain as unknown as EventEmitter).emit('head', { connected: [block], disconnected: [] });
    // The receipts' read rejects in a microtask; Node reports an unhandled rejection once the microtasks
    // of that turn have run, before the next turns' immediates.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    return unhandled;
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

describe('market events when receipts cannot be read', () => {
  it('drops the failure of a closed ledger', async () => {
    const errors: unknown[] = [];
    const chain = failingChain(false);
    publishMarketEvents(chain, new EventBus(), (e) => errors.push(e));
    expect(await headChange(chain)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('reports any other failure, as an error and not an unhandled rejection', async () => {
    const errors: unknown[] = [];
    const chain = failingChain(true);
    publishMarketEvents(chain, new EventBus(), (e) => errors.push(e));
    expect(await headChange(chain)).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/Database is not open/);
  });
});
