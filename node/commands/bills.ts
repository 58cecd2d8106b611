import { isAddress } from '../../protocol/keys.ts';
import { clientFor, GBP_NOTE, gbp, keyFrom, NODE_FLAGS_USAGE, nodeFlags, withClient } from './api-common.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

const command: Command = {
  name: 'bills',
  summary: "A VPP's bills per interval, with every line item and whether consensus has confirmed them.",
  usage:
    'bills (--address ADDR | --key FILE) [--from K] [--to K] [--min-confirmations N] [--node URL] [--json]\n' +
    '  --from/--to          interval range (default: the last 1,000 intervals)\n' +
    "  --min-confirmations  depth required to call a bill confirmed (default: the chain's)\n" +
    NODE_FLAGS_USAGE,
  async run(argv) {
    const { values } = parseFlags(argv, {
      ...nodeFlags,
      address: { type: 'string' },
      key: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'min-confirmations': { type: 'string' },
    });
    const address = values.address?.toLowerCase() ?? keyFrom(values.key, false)?.address;
    if (!address) throw new UsageError('--address ADDR or --key FILE is required');
    if (!isAddress(address))
      throw new UsageError(`--address must be an address: 0x and 40 hex digits, got '${values.address}'`);
    const from = values.from === undefined ? undefined : intFlag(values.from, 'from', 0);
    const to = values.to === undefined ? undefined : intFlag(values.to, 'to', 0);
    const minConfirmations =
      values['min-confirmations'] === undefined
        ? undefined
        : intFlag(values['min-confirmations'], 'min-confirmations', 0, 0, 10_000);
    const client = clientFor(values.node);
    return withClient(values.json, async () => {
      const page = await client.bills(address, { from, to, minConfirmations });
      if (values.json) {
        console.log(JSON.stringify(page));
        return 0;
      }
      console.log(
        `bills of ${address}, intervals ${page.from}..${page.to} (confirmed at ${page.minConfirmations} confirmations); ${GBP_NOTE}`,
      );
      if (page.bills.length === 0) console.log('no bills');
      for (const b of page.bills) {
        const depth = b.metering ?? b.clearing;
        console.log(
          `\ninterval ${b.interval}: total ${gbp(b.total)}  ${b.confirmed ? 'confirmed' : 'pending'}${depth ? ` (${depth.confirmations} confirmations)` : ''}${b.meteredWh === null ? '' : `  metered ${b.meteredWh} Wh`}`,
        );
        for (const l of b.lines)
          console.log(`  ${l.kind.padEnd(16)} ${l.wh.padStart(10)} Wh  ${gbp(l.amount).padStart(18)}`);
      }
      return 0;
    });
  },
};
export default command;
