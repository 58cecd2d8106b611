// Sybil attackers for tests: many libp2p identities on one address, each dialling the targets and
// publishing a fresh invalid block (proof of work far above its claimed target: a reject, a fatal offence)
// every `publishEveryMs` until every target refuses it (banned). Run in-process with runSybils(), or as a
// child process (sybil-process.ts) so that the attack has a process, and in network namespaces an
// address, of its own. Progress is reported as events; JSON lines from the child process.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { type GossipSub, gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { chainNames } from '../../p2p/protocol.ts';
import { computeTxRoot, encodeBlock, HEADER_VERSION } from '../../protocol/block.ts';
import { toHex } from '../../protocol/bytes.ts';
import { sha256 } from '../../protocol/hash.ts';

export interface SybilOptions {
  genesisHash: Uint8Array;
  /** Multiaddrs (with /p2p/<id>) of the nodes to attack. */
  targets: string[];
  count: number;
  /** Address to listen on and dial from (default 127.0.0.1). */
  host?: string;
  publishEveryMs?: number;
  /**
   * Dials to a target refused in a row, after having been connected, before it counts as refusing
   * (default 5; 0: never give up, and the caller stops the attack once it has seen the bans itself).
   */
  refusalsToGiveUp?: number;
  /**
   * The same for a target never reached (its address ban, or the per-address limit, kept us out); 0: never
   * give up (on loopback, where no address is banned, every identity gets its turn).
   */
  refusalsToGiveUpUnreached?: number;
}

export type SybilEvent =
  | { event: 'started'; sybil: number; peerId: string }
  /** The target let the identity in (its subscription arrived over the connection). */
  | { event: 'connected'; sybil: number; target: string }
  | { event: 'published'; sybil: number; target: string; blocks: number }
  /** Every target refuses the identity now; `everConnected`: some target had let it in. */
  | { event: 'refused'; sybil: number; peerId: string; everConnected: boolean }
  | { event: 'stale'; sybil: number; target: string; subscribed: boolean; published: number }
  | { event: 'error'; sybil: number; message: string };

/** A decodable block whose hash is far above the target its bits claim. */
export function invalidBlock(genesisHash: Uint8Array, serial: number): Uint8Array {
  const miner = toHex(sha256(new TextEncoder().encode(`sybil ${serial}`)).subarray(0, 20));
  return encodeBlock({
    header: {
      version: HEADER_VERSION,
      height: 1,
      parentHash: genesisHash,
      txRoot: computeTxRoot(`0x${miner}`, []),
      stateRoot: new Uint8Array(32),
      timestamp: Date.now(),
      bits: 0x1d00ffff,
      nonce: serial >>> 0,
    },
    miner: `0x${miner}`,
    txs: [],
  });
}

/** A connection with no verdict (ban) after this long is dropped and dialled again. */
const STALE_CONNECTION_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the attack; resolves when every sybil is refused by every target, or `signal` aborts. */
export async function runSybils(
  opts: SybilOptions,
  onEvent: (e: SybilEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const names = chainNames(opts.genesisHash);
  const every = opts.publishEveryMs ?? 100;
  const giveUp = opts.refusalsToGiveUp === 0 ? Number.POSITIVE_INFINITY : (opts.refusalsToGiveUp ?? 5);
  const giveUpUnreached = opts.refusalsToGiveUpUnreached || Number.POSITIVE_INFINITY;
  let serial = Math.floor(Math.random() * 2 ** 30);
  const one = async (index: number): Promise<void> => {
    const node: Libp2p<{ pubsub: GossipSub }> = await createLibp2p({
      addresses: { listen: [`/ip4/${opts.host ?? '127.0.0.1'}/tcp/0`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: (m) => sha256(m.data),
          floodPublish: true,
        }),
      },
    });
    node.services.pubsub.subscribe(names.blocksTopic);
    onEvent({ event: 'started', sybil: index, peerId: node.peerId.toString() });
    const targets = opts.targets.map((addr) => ({
      addr,
      id: peerIdFromString(
        multiaddr(addr)
          .getComponents()
          .find((c) => c.name === 'p2p')!.value!,
      ),
      /** The target let this identity in: it heard the target's subscription over a connection. */
      reached: false,
      /** A connection is dialled and not yet known to be let in (a refusal after the handshake can look
       * like a successful dial until the target closes it). */
      pending: false,
      refusals: 0,
      published: 0,
      /** When the current connection was made: one that brings no ban for too long is dropped. */
      since: 0,
    }));
    type Target = (typeof targets)[number];
    const done = (t: Target) => t.refusals >= (t.reached ? giveUp : giveUpUnreached);
    // Each target is attacked on its own, at the same time as the others.
    const attack = async (t: Target): Promise<void> => {
      while (!signal?.aborted && !done(t)) {
        await step(t);
        await sleep(every);
      }
    };
    const step = async (t: Target): Promise<void> => {
      if (node.getConnections(t.id).length === 0) {
        // A connection that closed before the target said anything was a refusal too.
        if (t.pending) t.refusals++;
        t.pending = false;
        try {
          await node.dial(multiaddr(t.addr), { signal: AbortSignal.timeout(3000) });
          t.pending = true;
          t.since = Date.now();
        } catch {
          // Refused (banned, or the per-address limit), or the target's rate limit: tried again.
          t.refusals++;
        }
        return;
      }
      const subscribed = node.services.pubsub.getSubscribers(names.blocksTopic).some((p) => p.equals(t.id));
      if (subscribed && t.pending) {
        t.pending = false;
        t.refusals = 0;
        if (!t.reached) onEvent({ event: 'connected', sybil: index, target: t.addr });
        t.reached = true;
      }
      // Neither banned nor hearing the target's subscription for a while: this connection goes nowhere
      // (on a loaded machine a close can be slow to arrive); drop it and dial again.
      if (Date.now() - t.since > STALE_CONNECTION_MS) {
        onEvent({ event: 'stale', sybil: index, target: t.addr, subscribed, published: t.published });
        await node.hangUp(t.id).catch(() => undefined);
        return;
      }
      if (!subscribed) return;
      // floodPublish: the block goes to every target this identity is connected to.
      await node.services.pubsub
        .publish(names.blocksTopic, invalidBlock(opts.genesisHash, serial++))
        .catch(() => undefined);
      t.published++;
      if (t.published === 1) onEvent({ event: 'published', sybil: index, target: t.addr, blocks: 1 });
    };
    try {
      await Promise.all(targets.map(attack));
      if (!signal?.aborted)
        onEvent({
          event: 'refused',
          sybil: index,
          peerId: node.peerId.toString(),
          everConnected: targets.some((t) => t.reached),
        });
    } catch (err) {
      onEvent({ event: 'error', sybil: index, message: (err as Error).stack ?? String(err) });
    } finally {
      await node.stop();
    }
  };
  await Promise.all(Array.from({ length: opts.count }, (_, i) => one(i)));
}
