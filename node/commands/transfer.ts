import { isAddress } from '../../protocol/keys.ts';
import { clientFor, gbp, keyFrom, NODE_FLAGS_USAGE, nodeFlags, table, withClient } from './api-common.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

const U64_RE = /^(0|[1-9][0-9]{0,19})$/;
const U64_MAX = (1n << 64n) - 1n;

function u64Flag(v: string | undefined, name: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (!U64_RE.test(v) || BigInt(v) > U64_MAX)
    throw new UsageError(
      `--${name} must be a whole number of token base units (1,000,000 = £1) from 0 to ${U64_MAX}, got '${v}'`,
    );
  return BigInt(v);
}

const command: Command = {
  name: 'transfer',
  summary:
    'Sign a transfer locally with --key (the secret key never leaves this process) and submit it to a node.',
  usage:
    'transfer --key FILE --to ADDR --amount N [--fee N] [--nonce N] [--wait] [--timeout S] [--node URL] [--json]\n' +
    '  --amount N      token base units (> 0; 1,000,000 base units = 1 token = £1)\n' +
    "  --fee N         token base units (default: the chain's minimum fee)\n" +
    "  --nonce N       default: the account's pending nonce\n" +
    '  --wait          wait until the transfer is in a block on the main chain\n' +
    '  --timeout S     how long --wait waits (default 120 s)\n' +
    NODE_FLAGS_USAGE,
  async run(argv) {
    const { values } = parseFlags(argv, {
      ...nodeFlags,
      key: { type: 'string' },
      to: { type: 'string' },
      amount: { type: 'string' },
      fee: { type: 'string' },
      nonce: { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
    });
    if (values.to === undefined) throw new UsageError('--to ADDR is required');
    const to = values.to.toLowerCase();
    if (!isAddress(to))
      throw new UsageError(`--to must be an address: 0x and 40 hex digits, got '${values.to}'`);
    const amount = u64Flag(values.amount, 'amount');
    if (amount === undefined) throw new UsageError('--amount N is required');
    if (amount === 0n) throw new UsageError('--amount must be positive');
    const fee = u64Flag(values.fee, 'fee');
    const nonce = u64Flag(values.nonce, 'nonce');
    const timeoutS = intFlag(values.timeout, 'timeout', 120, 1, 86_400);
    const key = keyFrom(values.key, true);
    const client = clientFor(values.node);
    return withClient(values.json, async () => {
      const { hash, tx } = await client.transfer({ key, to, amount, fee, nonce });
      if (!values.wait) {
        if (values.json) console.log(JSON.stringify({ hash, status: 'pending', nonce: tx.nonce.toString() }));
        else
          console.log(
            table([
              ['submitted', hash],
              ['from', key.address],
              ['to', to],
              ['amount', gbp(amount)],
              ['nonce', tx.nonce.toString()],
            ]),
          );
        return 0;
      }
      if (!values.json) console.error(`submitted ${hash}; waiting for a block…`);
      const c = await client.waitForConfirmation(hash, { timeoutMs: timeoutS * 1000 });
      if (values.json) console.log(JSON.stringify(c));
      else
        console.log(
          table([
            ['confirmed', hash],
            ['block', `${c.blockHeight} ${c.blockHash}`],
            ['index', c.index],
            ['confirmations', c.confirmations],
          ]),
        );
      return 0;
    });
  },
};
export default command;
