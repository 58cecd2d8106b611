// The connection gater's rules (admission.ts): configured peers pass address bans and the per-address
// limit; other peers are refused when their id or address is banned or when MAX_INBOUND_PEERS_PER_IP other
// unconfigured peers are connected inbound from their address.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Connection, MultiaddrConnection, PeerId } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_INBOUND_PEERS_PER_IP, PeerAdmission, parsePeerAddr } from '../../../p2p/admission.ts';
import { gossipScoring } from '../../../p2p/gossip-scoring.ts';
import { PeerAction, PeerScores } from '../../../p2p/peers.ts';

let ids: PeerId[] = [];
beforeAll(async () => {
  ids = await Promise.all(
    Array.from({ length: MAX_INBOUND_PEERS_PER_IP + 4 }, async () =>
      peerIdFromPrivateKey(await generateKeyPair('Ed25519')),
    ),
  );
});

const conn = (peer: PeerId, ip: string, direction: 'inbound' | 'outbound' = 'inbound'): Connection =>
  ({
    remotePeer: peer,
    remoteAddr: multiaddr(`/ip4/${ip}/tcp/4000`),
    direction,
    status: 'open',
  }) as Connection;
const maConn = (ip: string) => ({ remoteAddr: multiaddr(`/ip4/${ip}/tcp/5000`) }) as MultiaddrConnection;
const addrOf = (peer: PeerId, ip: string) => `/ip4/${ip}/tcp/30300/p2p/${peer}`;

function setup() {
  const scores = new PeerScores();
  const open: Connection[] = [];
  const admission = new PeerAdmission({ scores, connections: () => open });
  return { scores, open, admission, gater: admission.gater() };
}

describe('PeerAdmission', () => {
  it('limits unconfigured inbound peers per address; configured peers and other addresses pass', async () => {
    const { open, admission, gater } = setup();
    const configured = ids.at(-1)!;
    admission.configure(addrOf(configured, '10.0.0.9'));
    const sybils = ids.slice(0, MAX_INBOUND_PEERS_PER_IP);
    for (const p of sybils) {
      expect(await gater.denyInboundEncryptedConnection!(p, maConn('10.0.0.5'))).toBe(false);
      open.push(conn(p, '10.0.0.5'));
    }
    // Outbound connections (we chose them) and configured peers are not counted.
    open.push(conn(configured, '10.0.0.5'), conn(ids[MAX_INBOUND_PEERS_PER_IP + 1]!, '10.0.0.5', 'outbound'));
    const next = ids[MAX_INBOUND_PEERS_PER_IP]!;
    expect(admission.refusalOf(next.toString(), '10.0.0.5')).toMatch(
      `${MAX_INBOUND_PEERS_PER_IP} unconfigured peers already connected from 10.0.0.5`,
    );
    expect(await gater.denyInboundEncryptedConnection!(next, maConn('10.0.0.5'))).toBe(true);
    // A full address is refused before the encryption handshake (cheap); another address is not.
    expect(await gater.denyInboundConnection!(maConn('10.0.0.5'))).toBe(true);
    expect(await gater.denyInboundConnection!(maConn('10.0.0.6'))).toBe(false);
    // After the handshake: a peer already connected from there may open another connection, and the
    // configured one always may (it also connects by our own outbound dial).
    expect(await gater.denyInboundEncryptedConnection!(sybils[0]!, maConn('10.0.0.5'))).toBe(false);
    expect(await gater.denyInboundEncryptedConnection!(configured, maConn('10.0.0.5'))).toBe(false);
    expect(await gater.denyInboundEncryptedConnection!(next, maConn('10.0.0.6'))).toBe(false);
    // Once one leaves, the next is admitted.
    open.shift();
    expect(await gater.denyInboundConnection!(maConn('10.0.0.5'))).toBe(false);
    expect(await gater.denyInboundEncryptedConnection!(next, maConn('10.0.0.5'))).toBe(false);
  });

  it('an address ban shuts out unconfigured peers there, not a configured peer behind the same address', async () => {
    const { scores, admission, gater } = setup();
    const [attacker, neighbour, configured] = ids as [PeerId, PeerId, PeerId];
    admission.configure(addrOf(configured, '10.0.0.7'));
    scores.noteAddress(attacker.toString(), '10.0.0.7');
    expect(scores.penalise(attacker.toString(), PeerAction.Fatal).banned).toBe(true);

    expect(await gater.denyInboundEncryptedConnection!(attacker, maConn('10.0.0.7'))).toBe(true);
    expect(await gater.denyInboundEncryptedConnection!(neighbour, maConn('10.0.0.7'))).toBe(true);
    expect(await gater.denyInboundEncryptedConnection!(configured, maConn('10.0.0.7'))).toBe(false);
    // Before encryption only the address is known: the configured peer's address is let through to the
    // check above; an address with only unconfigured peers is refused at once.
    expect(await gater.denyInboundConnection!(maConn('10.0.0.7'))).toBe(false);
    scores.noteAddress(neighbour.toString(), '10.0.0.8');
    scores.penalise(neighbour.toString(), PeerAction.Fatal);
    expect(await gater.denyInboundConnection!(maConn('10.0.0.8'))).toBe(true);
    // A banned peer id is refused everywhere, configured or not, and never dialled.
    scores.penalise(configured.toString(), PeerAction.Fatal);
    expect(await gater.denyInboundEncryptedConnection!(configured, maConn('10.0.0.7'))).toBe(true);
    expect(await gater.denyDialPeer!(configured)).toBe(true);
  });

  it('loopback is never banned as an address (honest local nodes share it)', async () => {
    const { scores, gater } = setup();
    const [attacker, honest] = ids as [PeerId, PeerId];
    scores.noteAddress(attacker.toString(), '127.0.0.1');
    scores.penalise(attacker.toString(), PeerAction.Fatal);
    expect(await gater.denyInboundConnection!(maConn('127.0.0.1'))).toBe(false);
    expect(await gater.denyInboundEncryptedConnection!(honest, maConn('127.0.0.1'))).toBe(false);
  });

  it('learns the addresses configured peers connect from: they join gossipsub’s colocation whitelist', () => {
    const { admission } = setup();
    const [configured, other] = ids as [PeerId, PeerId];
    admission.configure(addrOf(configured, '10.0.0.1'));
    const scoring = gossipScoring([addrOf(configured, '10.0.0.1')], admission.configuredIps);
    expect(scoring.directPeers.map((p) => p.id.toString())).toEqual([configured.toString()]);
    expect(scoring.scoreParams.IPColocationFactorWhitelist).toBe(admission.configuredIps);
    admission.noteConnection(configured.toString(), '192.168.1.20');
    admission.noteConnection(other.toString(), '192.168.1.30');
    expect([...admission.configuredIps].sort()).toEqual(['10.0.0.1', '192.168.1.20']);
  });

  it('parses peer multiaddrs', () => {
    const [p] = ids as [PeerId];
    expect(parsePeerAddr(addrOf(p, '10.1.2.3'))).toEqual({ peerId: p.toString(), ip: '10.1.2.3' });
    expect(parsePeerAddr('/dns4/example.org/tcp/1')).toEqual({ peerId: undefined, ip: undefined });
  });
});
