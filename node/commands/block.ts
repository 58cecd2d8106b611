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
import { type Command, parseFlags, UsageError } from './command.ts';

const command: Command = {
  name: 'block',
  summary: 'A block by height, hash or "latest", with its transactions (GET /v1/blocks/:id).',
  usage: `block ID [--node URL] [--json]\n  ID              a height, a 64-hex block hash, or latest\n${NODE_FLAGS_USAGE}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { ...nodeFlags }, true);
    if (positionals.length !== 1) throw new UsageError('give one block ID (height, hash or latest)');
    const id = positionals[0]!;
    if (!/^(latest|[0-9]{1,10}|(0x)?[0-9a-fA-F]{64})$/.test(id))
      throw new UsageError(`block ID must be a height, a 64-hex hash or latest, got '${id}'`);
    const client = clientFor(values.node);
    return withClient(values.json, async () => {
      const b = await client.block(id);
      if (values.json) {
        console.log(JSON.stringify(b));
        return 0;
      }
      console.log(
        table([
          ['height', b.height],
          ['hash', b.hash],
          ['parent', b.parentHash],
          ['time', isoTime(b.timestamp)],
          ['miner', b.miner],
          ['difficulty', `${b.difficulty} (bits ${b.bits})`],
          ['nonce', b.nonce],
          [
            'main chain',
            b.mainChain ? `yes, ${b.confirmations} confirmation${b.confirmations === 1 ? '' : 's'}` : 'no',
          ],
          ['size', `${b.size} bytes`],
          ['transactions', b.txCount],
        ]),
      );
      for (const t of b.transactions) {
        const p = t.payload;
        const what =
          p.kind === 'transfer' && 'to' in p
            ? `transfer ${gbp(String(p.amount))} to ${String(p.to)}`
            : `${p.kind}`;
        console.log(`  ${t.hash.slice(0, 16)}…  ${t.sender}  nonce ${t.nonce}  fee ${gbp(t.fee)}  ${what}`);
      }
      if (b.transactions.length > 0) console.log(GBP_NOTE);
      return 0;
    });
  },
};
export default command;
