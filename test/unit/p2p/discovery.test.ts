// Peer discovery and peers of another chain, without a network: the peer-record check that gossip
// validation applies (well-formed records pass, malformed ones are named, unknown fields are skipped), the
// dial policy on discovered peers (one dial per peer and backoff, none to a connected, refused or own id,
// bounded in flight and by the connection target), the hold on another chain's peers, and the hello on
// connect: a status of another chain is reported to the host with both chains and never penalised, a node
// without the hello is asked by our chain's status protocol, one that speaks neither is another chain's.
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PeerId, PeerInfo } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { describe, expect, it } from 'vitest';
import {
  DISCOVERY_DIAL_BACKOFF_MS,
  DISCOVERY_TARGET_PEERS,
  DiscoveryDialer,
  type DiscoveryPorts,
  dialAddrs,
  MAX_DISCOVERY_DIALS,
  MAX_PEER_RECORD_ADDRS,
  peerRecordProblem,
  stampAnnouncements,
  stampPeerRecord,
} from '../../../p2p/discovery.ts';
import type { SyncHost } from '../../../p2p/host.ts';
import {
  describeOtherChain,
  OTHER_CHAIN_HOLD_MS,
  OtherChainPeers,
  otherChainReport,
} from '../../../p2p/other-chain.ts';
import type { PeerAction } from '../../../p2p/peers.ts';
import { chainNames, encodeStatus, HELLO_PROTOCOL, type Status } from '../../../p2p/protocol.ts';
import { ResponseError } from '../../../p2p/reqresp.ts';
import { SyncService } from '../../../p2p/sync.ts';

/** A pubsub-peer-discovery record: field 1 the public key, field 2 each address (protobuf). */
function record(fields: [number, Uint8Array][]): Uint8Array {
  const out: number[] = [];
  for (const [field, bytes] of fields) {
    out.push((field << 3) | 2);
    let n = bytes.length;
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n, ...bytes);
  }
  return Uint8Array.from(out);
}

const key = await generateKeyPair('Ed25519');
const pub = publicKeyToProtobuf(key.publicKey);
const peerId = peerIdFromPrivateKey(key);
const addr = multiaddr('/ip4/10.0.0.7/tcp/30300').bytes;

describe('peer records (gossip validation of the discovery topic)', () => {
  it('accepts a well-formed record and skips unknown fields', () => {
    expect(peerRecordProblem(record([[1, pub]]))).toBeUndefined();
    expect(
      peerRecordProblem(
        record([
          [1, pub],
          [2, addr],
          [2, addr],
        ]),
      ),
    ).toBeUndefined();
    const withExtra = Uint8Array.from([
      ...record([
        [1, pub],
        [2, addr],
      ]),
      0x18,
      0x05,
      ...record([[9, addr]]),
    ]);
    expect(peerRecordProblem(withExtra)).toBeUndefined();
  });

  it('names what is wrong with a malformed one', () => {
    const ok = record([
      [1, pub],
      [2, addr],
    ]);
    expect(peerRecordProblem(ok.subarray(0, ok.length - 3))).toBe('truncated field');
    expect(peerRecordProblem(record([[2, addr]]))).toBe('no public key');
    expect(
      peerRecordProblem(
        record([
          [1, pub],
          [1, pub],
        ]),
      ),
    ).toBe('two public keys');
    expect(peerRecordProblem(record([[1, Uint8Array.from([1, 2, 3])]]))).toMatch(/^invalid public key/);
    expect(
      peerRecordProblem(
        record([
          [1, pub],
          [2, Uint8Array.from([0xff, 0xff])],
        ]),
      ),
    ).toMatch(/^invalid multiaddr/);
    const many = Array.from({ length: MAX_PEER_RECORD_ADDRS + 1 }, () => [2, addr] as [number, Uint8Array]);
    expect(peerRecordProblem(record([[1, pub], ...many]))).toMatch(/more than 64 addresses|bytes/);
    expect(peerRecordProblem(Uint8Array.from([0x0f]))).toBe('unsupported wire type 7');
  });

  it('announcements are stamped: each a new message, still a valid record; a failed one is dropped', async () => {
    const sent: Uint8Array[] = [];
    const pubsub = {
      publish: async (_topic: string, data?: Uint8Array) => {
        sent.push(data!);
        if (sent.length === 3) throw new Error('PublishError.Duplicate');
        return { recipients: [] };
      },
    };
    stampAnnouncements(pubsub, 'peers', () => 1_795_564_800_000);
    const rec = record([
      [1, pub],
      [2, addr],
    ]);
    for (let i = 0; i < 3; i++) await pubsub.publish('peers', rec); // the third fails: no rejection
    await pubsub.publish('blocks', rec);
    expect(new Set(sent.slice(0, 3).map((b) => Buffer.from(b).toString('hex'))).size).toBe(3);
    expect(sent[3]).toBe(rec); // other topics untouched
    for (const b of sent) expect(peerRecordProblem(b)).toBeUndefined();
    expect(peerRecordProblem(stampPeerRecord(rec, 2 ** 52))).toBeUndefined();
  });

  it('dial addresses end in the peer id; an address naming another peer is dropped', async () => {
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
    const addrs = dialAddrs(peerId, [
      multiaddr('/ip4/10.0.0.7/tcp/30300'),
      multiaddr(`/ip4/10.0.0.8/tcp/30300/p2p/${peerId}`),
      multiaddr(`/ip4/10.0.0.9/tcp/30300/p2p/${other}`),
    ]);
    expect(addrs.map(String)).toEqual([
      `/ip4/10.0.0.7/tcp/30300/p2p/${peerId}`,
      `/ip4/10.0.0.8/tcp/30300/p2p/${peerId}`,
    ]);
  });
});

describe('DiscoveryDialer', () => {
  async function setup() {
    const ids = await Promise.all(
      Array.from({ length: 8 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))),
    );
    const state = { t: 1_000_000, connections: 0, connected: new Set<string>(), refused: new Set<string>() };
    const dials: string[] = [];
    let release: (() => void) | undefined;
    let gate: Promise<void> | undefined;
    const ports: DiscoveryPorts = {
      self: ids[0]!.toString(),
      connections: () => state.connections,
      isConnected: (p) => state.connected.has(p),
      isRefused: (p) => state.refused.has(p),
      dial: async (p: string, _addrs: Multiaddr[]) => {
        dials.push(p);
        await gate;
      },
    };
    const dialer = new DiscoveryDialer(ports, () => state.t);
    const info = (id: PeerId): PeerInfo => ({ id, multiaddrs: [multiaddr('/ip4/10.0.0.7/tcp/30300')] });
    const hold = () => {
      gate = new Promise<void>((r) => {
        release = r;
      });
    };
    return { ids, state, dials, dialer, info, hold, release: () => release?.() };
  }

  it('dials a new peer once per backoff; never itself, a connected or a refused peer', async () => {
    const { ids, state, dials, dialer, info } = await setup();
    await dialer.discovered(info(ids[1]!));
    await dialer.discovered(info(ids[1]!)); // the next announcement, within the backoff
    expect(dials).toEqual([ids[1]!.toString()]);
    state.t += DISCOVERY_DIAL_BACKOFF_MS;
    await dialer.discovered(info(ids[1]!));
    expect(dials).toHaveLength(2);
    state.connected.add(ids[2]!.toString());
    state.refused.add(ids[3]!.toString());
    for (const i of [0, 2, 3]) await dialer.discovered(info(ids[i]!));
    await dialer.discovered({ id: ids[4]!, multiaddrs: [] }); // nothing to dial
    expect(dials).toHaveLength(2);
    dialer.enabled = false;
    await dialer.discovered(info(ids[5]!));
    expect(dials).toHaveLength(2);
  });

  it('stops at the connection target and bounds the dials in flight', async () => {
    const { ids, state, dials, dialer, info, hold, release } = await setup();
    state.connections = DISCOVERY_TARGET_PEERS;
    await dialer.discovered(info(ids[1]!));
    expect(dials).toEqual([]);
    state.connections = 0;
    hold();
    const pending = ids.slice(1).map((id) => dialer.discovered(info(id)));
    expect(dials).toHaveLength(MAX_DISCOVERY_DIALS);
    release();
    await Promise.all(pending);
    expect(dialer.dials).toBe(MAX_DISCOVERY_DIALS);
  });
});

describe('peers of another chain', () => {
  it('are held off for OTHER_CHAIN_HOLD_MS, reported once per hold', () => {
    let t = 0;
    const held = new OtherChainPeers(() => t);
    expect(held.hold('p')).toBe(true);
    expect(held.hold('p')).toBe(false);
    expect(held.isHeld('p')).toBe(true);
    t += OTHER_CHAIN_HOLD_MS + 1;
    expect(held.isHeld('p')).toBe(false);
    expect(held.hold('p')).toBe(true);
  });

  const ours: Status = {
    chainId: 7301,
    genesisHash: new Uint8Array(32).fill(0xaa),
    headHash: new Uint8Array(32).fill(0xaa),
    headHeight: 0,
    totalWork: 1n,
  };
  const theirs: Status = { ...ours, chainId: 4242, genesisHash: new Uint8Array(32).fill(0xbb) };
  const names = chainNames(ours.genesisHash);
  const peer = { toString: () => 'peer-b' } as PeerId;

  /** A host whose peer answers the protocols in `speaks` with `answer`. */
  function host(speaks: string[], answer: Status) {
    const seen = {
      asked: [] as string[],
      other: [] as [string, Status, string][],
      same: [] as string[],
      penalties: [] as [string, PeerAction][],
      errors: [] as unknown[],
    };
    const h: SyncHost = {
      names,
      blockLimits: { maxBlockBytes: 1 << 20, maxBlockTxs: 10 },
      status: () => ours,
      mainHashAt: async () => ours.genesisHash,
      request: async (_peer, protocol) => {
        seen.asked.push(protocol);
        if (!speaks.includes(protocol)) throw new ResponseError('unsupported', `no ${protocol}`);
        return [encodeStatus(answer)];
      },
      importBlock: async () => 'head',
      importBlocks: async (blocks) => blocks.map(() => ({ status: 'fulfilled', value: 'head' }) as const),
      refuseUndecodable: () => undefined,
      announceHead: () => undefined,
      penalise: (p, action) => seen.penalties.push([p, action]),
      internalError: (e) => seen.errors.push(e.error),
      sameChain: (p) => seen.same.push(p),
      otherChain: (p, s, via) => seen.other.push([p, s, via]),
    };
    return { h, seen };
  }

  it('a hello answered with another chain is reported with both chains, not penalised', async () => {
    const { h, seen } = host([HELLO_PROTOCOL], theirs);
    await new SyncService(h).handshake(peer, { hello: true });
    expect(seen.asked).toEqual([HELLO_PROTOCOL]);
    expect(seen.other).toEqual([['peer-b', theirs, 'asked']]);
    expect(seen.same).toEqual([]);
    expect(seen.penalties).toEqual([]);
    const line = describeOtherChain(otherChainReport('peer-b', ours, theirs, 'asked'));
    expect(line).toContain(`chain id 4242, genesis ${'bb'.repeat(32)}`);
    expect(line).toContain(`ours: chain id 7301, genesis ${'aa'.repeat(32)}`);
  });

  it('a status received from another chain (it asked us) is reported as answered', async () => {
    const { h, seen } = host([], theirs);
    await new SyncService(h).onStatus(peer, theirs, 'answered');
    expect(seen.other).toEqual([['peer-b', theirs, 'answered']]);
    expect(seen.penalties).toEqual([]);
  });

  it('a node without the hello is asked by our status protocol and counted; one that speaks neither is not counted', async () => {
    const older = host([names.status], ours);
    await new SyncService(older.h).handshake(peer, { hello: true });
    expect(older.seen.asked).toEqual([HELLO_PROTOCOL, names.status]);
    expect(older.seen.same).toEqual(['peer-b']);
    expect(older.seen.other).toEqual([]);
    const stranger = host([], ours);
    await new SyncService(stranger.h).handshake(peer, { hello: true });
    expect(stranger.seen.asked).toEqual([HELLO_PROTOCOL, names.status]);
    expect(stranger.seen.other).toEqual([]);
    expect(stranger.seen.same).toEqual([]);
    expect(stranger.seen.penalties).toEqual([]);
  });
});
