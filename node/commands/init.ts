// `vppchain init`: a data directory from a genesis file (its ledger, node key, libp2p key and a copy of the
// genesis). It prints what an operator needs before the node runs: the genesis hash (the same on every
// machine initialised from the same file), the node's peer id and the multiaddr other nodes bootstrap
// with (from --p2p-host/--p2p-port, or this machine's addresses and the default port). The genesis time is
// the file's, so that every machine gets the same genesis; a genesis too old to mine on is said (node
// refuses it while the chain has no block, genesis.ts).
import { rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { loadGenesisFile, staleGenesis } from '../../consensus/genesis.ts';
import { loadOrCreatePeerKey, peerIdOfKey } from '../../p2p/identity.ts';
import { type ChainParams, GenesisError } from '../../protocol/params.ts';
import { initDataDir, p2pKeyPath } from '../node.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';
import { parseTimestamp, REPO_GENESIS, staleGenesisWords } from './genesis.ts';

const DEFAULT_P2P_PORT = 30300;

/** This machine's IPv4 addresses other machines may reach (not loopback); loopback if it has none. */
export function machineAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  return out.length > 0 ? out : ['127.0.0.1'];
}

const command: Command = {
  name: 'init',
  summary:
    'Initialise a data directory from a genesis file (its ledger, node key and a copy of the genesis); print its peer id and multiaddr.',
  usage:
    'init --datadir DIR [--genesis FILE] [--timestamp now|MS|ISO] [--p2p-host H] [--p2p-port P] [--force] [--json]\n' +
    "  --genesis    genesis file (default: this repository's genesis.json; for a new network of several\n" +
    "               machines make one with 'vppchain genesis' and use that file everywhere)\n" +
    '  --timestamp  override the genesis time, e.g. "now" for a single-machine chain (each run gives another genesis)\n' +
    '  --p2p-host   the address `vppchain node --p2p-host` will listen on, for the printed multiaddr\n' +
    "               (default: this machine's addresses)\n" +
    `  --p2p-port   the port \`vppchain node --p2p-port\` will use (default ${DEFAULT_P2P_PORT})\n` +
    '  --force      wipe DIR first\n' +
    '  --json       print {datadir, chain, chainId, genesisHash, genesisTime, peerId, multiaddrs} as JSON',
  async run(argv) {
    const { values } = parseFlags(argv, {
      datadir: { type: 'string' },
      genesis: { type: 'string', default: REPO_GENESIS },
      timestamp: { type: 'string' },
      'p2p-host': { type: 'string' },
      'p2p-port': { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    if (!values.datadir) throw new UsageError('--datadir is required');
    const port = intFlag(values['p2p-port'], 'p2p-port', DEFAULT_P2P_PORT, 1, 65535);
    const host = values['p2p-host'];
    if (host !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(host))
      throw new UsageError(`--p2p-host must be an IPv4 address, got '${host}'`);
    let params: ChainParams;
    try {
      params = loadGenesisFile(values.genesis!);
    } catch (err) {
      if (err instanceof GenesisError) throw new UsageError(err.message);
      throw err;
    }
    if (values.timestamp !== undefined) params.timestamp = parseTimestamp(values.timestamp);
    if (values.force) rmSync(values.datadir, { recursive: true, force: true });
    let genesisHash: string;
    try {
      ({ genesisHash } = await initDataDir(values.datadir, params));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const peerId = peerIdOfKey(await loadOrCreatePeerKey(p2pKeyPath(values.datadir)));
    // 0.0.0.0 listens everywhere: peers reach it at the machine's own addresses.
    const hosts = host === undefined || host === '0.0.0.0' ? machineAddresses() : [host];
    const multiaddrs = hosts.map((h) => `/ip4/${h}/tcp/${port}/p2p/${peerId}`);
    const genesisTime = new Date(params.timestamp).toISOString();
    if (values.json) {
      console.log(
        JSON.stringify({
          datadir: values.datadir,
          chain: params.name,
          chainId: params.chainId,
          genesisHash,
          genesisTime,
          peerId,
          multiaddrs,
        }),
      );
    } else {
      console.log(
        [
          `initialised ${values.datadir}`,
          `chain ${params.name} (id ${params.chainId}), genesis time ${genesisTime}`,
          `genesis ${genesisHash}`,
          `peer id ${peerId}`,
          ...multiaddrs.map((m) => `multiaddr ${m}`),
          `(other nodes bootstrap with a multiaddr above: run this node with --p2p-host ${host ?? '0.0.0.0'} --p2p-port ${port})`,
        ].join('\n'),
      );
    }
    const stale = staleGenesis(params, Date.now());
    if (stale) console.error(`vppchain: note: ${staleGenesisWords(params, stale)}`);
    return 0;
  },
};
export default command;
