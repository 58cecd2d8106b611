import { formatHashRate } from '../report.ts';
import {
  clientFor,
  GBP_NOTE,
  gbp,
  isoTime,
  NODE_FLAGS_USAGE,
  nodeFlags,
  table,
  withClient,
} from './api-common.ts';
import { type Command, parseFlags } from './command.ts';

const command: Command = {
  name: 'status',
  summary: "A node's chain status: chain, head, difficulty, peers, mempool, sync (GET /v1/status).",
  usage: `status [--node URL] [--json]\n${NODE_FLAGS_USAGE}`,
  async run(argv) {
    const { values } = parseFlags(argv, { ...nodeFlags });
    const client = clientFor(values.node);
    return withClient(values.json, async () => {
      const s = await client.status();
      if (values.json) console.log(JSON.stringify(s));
      else
        console.log(
          table([
            ['node version', s.version ?? 'not reported (older than 0.1.0)'],
            ['chain', `${s.chainName ?? '?'} (id ${s.chainId})`],
            ['genesis', s.genesisHash],
            ['height', s.height],
            ['head', s.headHash],
            ['head time', s.headTimestamp === undefined ? null : isoTime(s.headTimestamp)],
            ['total work', s.totalWork],
            ['difficulty', `${s.difficulty} (bits ${s.bits})`],
            ['peers', s.peers],
            ['mempool', s.mempoolSize],
            ['syncing', s.syncing],
            ['mining', s.mining ? formatHashRate(s.hashRate ?? 0) : 'no'],
            ['minimum fee', s.minTxFee === undefined ? null : gbp(s.minTxFee)],
          ]) + `\n${GBP_NOTE}`,
        );
      return 0;
    });
  },
};
export default command;
