import { readKeyFile } from '../keyfile.ts';
import { VppNode } from '../node.ts';
import { blockLine } from '../report.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

const command: Command = {
  name: 'node',
  summary: 'Run a node on a data directory: import, validate and (with --mine) mine blocks.',
  usage:
    'node --datadir DIR [--mine] [--miner-key FILE] [--threads N]\n' +
    '  --mine        mine blocks (fees go to the node key, or to --miner-key)\n' +
    '  --threads N   mining worker threads (default: cores - 1, at least 1)',
  async run(argv) {
    const { values } = parseFlags(argv, {
      datadir: { type: 'string' },
      mine: { type: 'boolean', default: false },
      'miner-key': { type: 'string' },
      threads: { type: 'string' },
    });
    if (!values.datadir) throw new UsageError('--datadir is required');
    const threads = intFlag(values.threads, 'threads', 0, 1, 64) || undefined;
    const minerKey = values['miner-key'] ? readKeyFile(values['miner-key']) : undefined;
    let node: VppNode;
    try {
      node = await VppNode.open({
        dataDir: values.datadir,
        mine: values.mine,
        minerKey,
        minerThreads: threads,
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    console.log(
      `node ${node.nodeKey.address} on ${node.params.name}, height ${node.chain.height}, head ${node.chain.tip.id.slice(0, 16)}…`,
    );
    node.miner?.on('mined', (b) =>
      console.log(blockLine(b, node.params.powLimitBits, node.miner!.hashRate(), 'mined')),
    );
    node.start();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log('stopping…');
    await node.stop();
    return 0;
  },
};
export default command;
