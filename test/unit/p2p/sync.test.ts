// Range sync with a fake host: status requests are bounded (one in flight per peer, catch-ups no more often
// than MIN_CATCH_UP_INTERVAL_MS, one deferred rather than lost), a sync that imported blocks announces the
// new head, an undecodable block served by a peer is counted with the refused blocks, and a peer whose
// chain reorganised between two responses is not punished for it.
import type { PeerId } from '@libp2p/interface';
import { describe, expect, it } from 'vitest';
import type { SyncHost } from '../../../p2p/host.ts';
import { PeerAction } from '../../../p2p/peers.ts';
import {
  chainNames,
  decodeRange,
  encodeStatus,
  MAX_BLOCKS_PER_REQUEST,
  type Status,
} from '../../../p2p/protocol.ts';
import { MIN_CATCH_UP_INTERVAL_MS, SyncService } from '../../../p2p/sync.ts';
import { type Block, encodeBlock, encodeHeader, headerHash } from '../../../protocol/block.ts';
import { bytesEqual, fromHex } from '../../../protocol/bytes.ts';
import { ChainBuilder, testParams } from '../../helpers/builder.ts';
import { waitFor } from '../../helpers/net.ts';
import { mainChainStatus } from '../../helpers/sync-host.ts';

const params = testParams();
const b = new ChainBuilder(params);
const theirs = b.extend(b.genesisId, 3);
const genesisHash = fromHex(b.genesisId);
const names = chainNames(genesisHash);
const peer = { toString: () => 'peer-a' } as PeerId;
const status = (height: number, work: bigint): Status => ({
  chainId: params.chainId,
  genesisHash,
  headHash: height === 0 ? genesisHash : headerHash(theirs[height - 1]!.header),
  headHeight: height,
  totalWork: work,
});

function fakeHost(opts: { garbleBlock?: boolean; statusGate?: Promise<void>; served?: Block[] } = {}) {
  const seen = {
    asked: [] as string[],
    statusRequests: 0,
    imported: [] as [number, string][],
    announced: 0,
    undecodable: [] as string[],
    penalties: [] as [string, PeerAction][],
    errors: [] as unknown[],
  };
  const main: Uint8Array[] = [genesisHash];
  const host: SyncHost = {
    names,
    blockLimits: params,
    status: () => status(main.length - 1, BigInt(main.length)),
    mainHashAt: async (h) => main[h],
    request: async (_peer, protocol, body) => {
      seen.asked.push(protocol);
      if (protocol === names.status) {
        seen.statusRequests++;
        await opts.statusGate;
        return [encodeStatus(status(3, 100n))];
      }
      const { start, count } = decodeRange(body, 256);
      const range = [b.get(b.genesisId).block, ...(opts.served ?? theirs)].slice(start, start + count);
      if (protocol === names.headersByRange) return range.map((x) => encodeHeader(x.header));
      return range.map((x: Block) => (opts.garbleBlock ? new Uint8Array([1, 2, 3]) : encodeBlock(x)));
    },
    importBlock: async (block, from) => {
      seen.imported.push([block.header.height, from]);
      main.push(headerHash(block.header));
      return 'head';
    },
    importBlocks: async (blocks, from) => {
      const outcomes: PromiseSettledResult<'head'>[] = [];
      for (const block of blocks) {
        seen.imported.push([block.header.height, from]);
        main.push(headerHash(block.header));
        outcomes.push({ status: 'fulfilled', value: 'head' });
      }
      return outcomes;
    },
    refuseUndecodable: (reason) => seen.undecodable.push(reason),
    announceHead: () => seen.announced++,
    penalise: (p, action) => seen.penalties.push([p, action]),
    internalError: (e) => seen.errors.push(e.error),
    sameChain: () => undefined,
    otherChain: () => undefined,
  };
  return { host, seen };
}

/** A clock the test moves on, and the timers scheduled on it (the test runs them). */
function testClock() {
  const timers: { fn: () => void; ms: number }[] = [];
  const clock = {
    t: 1_000,
    timers,
    now: () => clock.t,
    schedule: (fn: () => void, ms: number) => timers.push({ fn, ms }),
    cancel: () => undefined,
  };
  return clock;
}

describe('SyncService', () => {
  it('one status request in flight per peer; catch-ups no sooner than the minimum interval, one deferred', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const clock = testClock();
    const { timers } = clock;
    const { host, seen } = fakeHost({ statusGate: gate });
    const sync = new SyncService(host, clock);
    const first = sync.handshake(peer);
    await sync.handshake(peer); // the first is still in flight
    await sync.handshake(peer, { catchUp: true }); // remembered: one catch-up after the first
    expect(seen.statusRequests).toBe(1);
    release();
    await first;
    expect(seen.imported.map(([h]) => h)).toEqual([1, 2, 3]);
    // The catch-up asked for during the request waits for the end of its interval; orphans that keep
    // arriving from the peer add no request and no second timer.
    expect(timers.map((x) => x.ms)).toEqual([MIN_CATCH_UP_INTERVAL_MS]);
    clock.t += 400;
    for (let i = 0; i < 20; i++) await sync.handshake(peer, { catchUp: true });
    expect(seen.statusRequests).toBe(1);
    expect(sync.handshakesSkipped).toBe(22);
    expect(timers).toHaveLength(1);
    clock.t += MIN_CATCH_UP_INTERVAL_MS;
    timers[0]!.fn();
    await waitFor('the deferred catch-up sent', () => seen.statusRequests === 2);
    // A plain handshake (connection, periodic poll) is held back only while one is in flight.
    await new Promise((r) => setTimeout(r, 0));
    await sync.handshake(peer);
    expect(seen.statusRequests).toBe(3);
    // An orphan 300 ms after that request: deferred to the end of its interval, not dropped.
    clock.t += 300;
    await sync.handshake(peer, { catchUp: true });
    expect(seen.statusRequests).toBe(3);
    expect(timers.map((x) => x.ms)).toEqual([MIN_CATCH_UP_INTERVAL_MS, MIN_CATCH_UP_INTERVAL_MS - 300]);
    await sync.stop();
  });

  it('a sync that imported blocks announces the head once; blocks are imported as sent by the peer', async () => {
    const { host, seen } = fakeHost();
    await new SyncService(host).handshake(peer);
    expect(seen.imported).toEqual([
      [1, 'peer-a'],
      [2, 'peer-a'],
      [3, 'peer-a'],
    ]);
    expect(seen.announced).toBe(1);
    expect(seen.errors).toEqual([]);
  });

  it('a node at genesis asks for no headers; a first block that does not extend its genesis costs the peer', async () => {
    const { host, seen } = fakeHost();
    await new SyncService(host).handshake(peer);
    expect(seen.asked).toEqual([names.status, names.blocksByRange]);
    expect(seen.imported.map(([h]) => h)).toEqual([1, 2, 3]);
    // Another chain's blocks behind a status naming our genesis: refused at the first parent check.
    const other = new ChainBuilder(testParams({ chainId: params.chainId + 1 }));
    const foreign = fakeHost({ served: other.extend(other.genesisId, 3) });
    await new SyncService(foreign.host).handshake(peer);
    expect(foreign.seen.imported).toEqual([]);
    expect(foreign.seen.penalties).toEqual([['peer-a', PeerAction.Fatal]]);
  });

  it('an undecodable block in a range is counted as refused (DECODE) and costs the peer', async () => {
    const { host, seen } = fakeHost({ garbleBlock: true });
    await new SyncService(host).handshake(peer);
    expect(seen.imported).toEqual([]);
    expect(seen.announced).toBe(0);
    expect(seen.undecodable).toEqual([
      expect.stringContaining('undecodable block in range sync from peer-a'),
    ]);
    expect(seen.penalties).toEqual([['peer-a', PeerAction.HighTolerance]]);
  });

  it('a peer whose chain reorganised between two responses is not punished: the sync stops, a catch-up follows', async () => {
    // The peer serves its first 64 blocks from chain A, then reorganises to B, which forks from A at 40
    // and is heavier: the next response starts with a block that does not extend A's block 64. That is no
    // offence (an honest peer's chain moves while it is synced from, on a network with several miners),
    // unlike a block that does not extend the genesis or its predecessor in the same response.
    const moving = new ChainBuilder(params);
    const a = moving.extend(moving.genesisId, MAX_BLOCKS_PER_REQUEST + 10);
    const bChain = [...a.slice(0, 40), ...moving.extend(moving.idOf(a[39]!), 40, 'ff'.repeat(20))];
    let served = a;
    const clock = testClock();
    const { timers } = clock;
    const penalties: [string, PeerAction][] = [];
    const main: Uint8Array[] = [genesisHash];
    const tipOf = (chain: Block[]): Status => ({
      chainId: params.chainId,
      genesisHash,
      headHash: headerHash(chain.at(-1)!.header),
      headHeight: chain.length,
      totalWork: BigInt(1_000 + chain.length),
    });
    const host: SyncHost = {
      names,
      blockLimits: params,
      status: () => mainChainStatus(params.chainId, main),
      mainHashAt: async (h) => main[h],
      request: async (_peer, protocol, body) => {
        if (protocol === names.status) return [encodeStatus(tipOf(served))];
        const { start, count } = decodeRange(body, 256);
        const range = [moving.get(moving.genesisId).block, ...served].slice(start, start + count);
        if (protocol === names.blocksByRange && start === 1) served = bChain; // after this response
        if (protocol === names.headersByRange) return range.map((x) => encodeHeader(x.header));
        return range.map((x) => encodeBlock(x));
      },
      importBlock: async () => 'head',
      importBlocks: async (blocks) => {
        for (const block of blocks) {
          main.length = block.header.height; // a block replaces the main chain from its height on
          main.push(headerHash(block.header));
        }
        return blocks.map(() => ({ status: 'fulfilled', value: 'head' }) as const);
      },
      refuseUndecodable: () => undefined,
      announceHead: () => undefined,
      penalise: (p, action) => penalties.push([p, action]),
      internalError: (e) => {
        throw e.error;
      },
      sameChain: () => undefined,
      otherChain: () => undefined,
    };
    const sync = new SyncService(host, clock);
    await sync.handshake(peer);
    expect(main.length - 1).toBe(MAX_BLOCKS_PER_REQUEST); // A's first batch imported, the second refused
    expect(penalties).toEqual([]);
    expect(timers.map((x) => x.ms)).toEqual([MIN_CATCH_UP_INTERVAL_MS]);
    clock.t += MIN_CATCH_UP_INTERVAL_MS;
    timers[0]!.fn(); // the catch-up: B's status, the common block at 40, B's blocks from 41
    await waitFor('synced to B', () => bytesEqual(main.at(-1)!, headerHash(bChain.at(-1)!.header)));
    expect(main.length - 1).toBe(bChain.length);
    expect(penalties).toEqual([]);
    await sync.stop();
  });
});
