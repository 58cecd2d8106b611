import { rmSync } from 'node:fs';
import { loadGenesisFile } from '../../consensus/genesis.ts';
import { type ChainParams, GenesisError } from '../../protocol/params.ts';
import { initDataDir } from '../node.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

const command: Command = {
  name: 'init',
  summary:
    'Initialise a data directory from a genesis file (its ledger, node key and a copy of the genesis).',
  usage:
    'init --datadir DIR [--genesis FILE] [--timestamp now|MS] [--force]\n' +
    '  --genesis    genesis file (default: genesis.json of this repository)\n' +
    '  --timestamp  override the genesis time, e.g. "now" for a fresh devnet\n' +
    '  --force      wipe DIR first',
  async run(argv) {
    const { values } = parseFlags(argv, {
      datadir: { type: 'string' },
      genesis: { type: 'string', default: new URL('../../genesis.json', import.meta.url).pathname },
      timestamp: { type: 'string' },
      force: { type: 'boolean', default: false },
    });
    if (!values.datadir) throw new UsageError('--datadir is required');
    let params: ChainParams;
    try {
      params = loadGenesisFile(values.genesis!);
    } catch (err) {
      if (err instanceof GenesisError) throw new UsageError(err.message);
      throw err;
    }
    if (values.timestamp !== undefined) {
      params.timestamp =
        values.timestamp === 'now' ? Date.now() : intFlag(values.timestamp, 'timestamp', 0, 0, 2 ** 48);
    }
    if (values.force) rmSync(values.datadir, { recursive: true, force: true });
    try {
      const { genesisHash } = await initDataDir(values.datadir, params);
      console.log(
        `initialised ${values.datadir}\nchain ${params.name} (id ${params.chainId})\ngenesis ${genesisHash}`,
      );
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return 0;
  },
};
export default command;
