import { isAddress } from '../../protocol/keys.ts';
import {
  clientFor,
  GBP_NOTE,
  gbp,
  keyFrom,
  NODE_FLAGS_USAGE,
  nodeFlags,
  table,
  withClient,
} from './api-common.ts';
import { type Command, parseFlags, UsageError } from './command.ts';

const command: Command = {
  name: 'account',
  summary: 'An account at the head: balance, locked, nonce, pending nonce, role (GET /v1/accounts/:address).',
  usage: `account (--address 0x… | --key FILE) [--node URL] [--json]\n${NODE_FLAGS_USAGE}`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      ...nodeFlags,
      address: { type: 'string' },
      key: { type: 'string' },
    });
    if ((values.address === undefined) === (values.key === undefined))
      throw new UsageError('give exactly one of --address ADDR or --key FILE');
    let address: string;
    if (values.address !== undefined) {
      address = values.address.toLowerCase();
      if (!isAddress(address))
        throw new UsageError(`--address must be an address: 0x and 40 hex digits, got '${values.address}'`);
    } else address = keyFrom(values.key, true).address;
    const client = clientFor(values.node);
    return withClient(values.json, async () => {
      const a = await client.account(address);
      if (values.json) console.log(JSON.stringify(a));
      else
        console.log(
          table([
            ['address', a.address],
            ['role', a.role ? `${a.role}${a.name ? ` (${a.name})` : ''}` : null],
            ['balance', gbp(a.balance)],
            ['locked', `${gbp(a.locked)} (held by open bids)`],
            ['spendable', gbp(a.spendable)],
            ['nonce', a.nonce],
            ['pending nonce', `${a.pendingNonce} (${a.pendingCount} pending)`],
            ['at height', a.height],
          ]) + `\n${GBP_NOTE}`,
        );
      return 0;
    });
  },
};
export default command;
