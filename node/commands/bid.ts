import type { BidStep } from '../../client/index.ts';
import { MAX_PRICE, MAX_STEPS_PER_BID } from '../../contracts-vm/auction/limits.ts';
import { clientFor, gbp, keyFrom, NODE_FLAGS_USAGE, nodeFlags, table, withClient } from './api-common.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

const STEP_RE = /^(\d{1,7}(?:\.\d{1,3})?)@(\d{1,10})$/;

/** "1.5@250000,0.5@310000": kWh (up to 3 decimals, i.e. whole Wh) @ token base units per kWh. */
export function parseSteps(spec: string): BidStep[] {
  const parts = spec.split(',').map((s) => s.trim());
  if (parts.length < 1 || parts.length > MAX_STEPS_PER_BID)
    throw new UsageError(`--steps: 1..${MAX_STEPS_PER_BID} steps`);
  return parts.map((p, i) => {
    const m = STEP_RE.exec(p);
    if (!m) throw new UsageError(`--steps: step ${i + 1} '${p}' is not kWh@price (e.g. 1.5@250000)`);
    const [whole, frac = ''] = m[1]!.split('.');
    const qty = Number(whole) * 1000 + Number(frac.padEnd(3, '0'));
    const price = Number(m[2]);
    if (qty < 1) throw new UsageError(`--steps: step ${i + 1} must be at least 0.001 kWh`);
    if (price > MAX_PRICE)
      throw new UsageError(
        `--steps: step ${i + 1} price must be at most ${MAX_PRICE} base units per kWh (${gbp(MAX_PRICE)}/kWh), got ${price}`,
      );
    return { qty, price };
  });
}

const command: Command = {
  name: 'bid',
  summary:
    "Sign a step bid for an interval's real-time auction locally with --key and submit it (a newer bid replaces an older one).",
  usage:
    'bid --key FILE --interval K --side buy|sell --steps "kWh@price,..." [--wait] [--timeout S] [--node URL] [--json]\n' +
    '  --steps    quantity blocks: kWh (up to 3 decimals) @ price per kWh in token base units, e.g. "1.5@250000,0.5@310000"\n' +
    '             (1,000,000 base units = 1 token = £1: 250000 is £0.25 per kWh)\n' +
    '             a buyer bids the most it pays per block; a seller the least it accepts\n' +
    '  --wait     wait until the bid is in a block on the main chain\n' +
    NODE_FLAGS_USAGE,
  async run(argv) {
    const { values } = parseFlags(argv, {
      ...nodeFlags,
      key: { type: 'string' },
      interval: { type: 'string' },
      side: { type: 'string' },
      steps: { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
    });
    if (values.interval === undefined || !/^\d{1,15}$/.test(values.interval))
      throw new UsageError('--interval K (a whole number) is required');
    if (values.side !== 'buy' && values.side !== 'sell') throw new UsageError('--side must be buy or sell');
    if (!values.steps) throw new UsageError('--steps is required');
    const steps = parseSteps(values.steps);
    const timeoutS = intFlag(values.timeout, 'timeout', 120, 1, 86_400);
    const key = keyFrom(values.key, true);
    const client = clientFor(values.node);
    const side = values.side;
    return withClient(values.json, async () => {
      const { hash } = await client.bid({ key, interval: values.interval!, side, steps });
      const confirmed = values.wait
        ? await client.waitForConfirmation(hash, { timeoutMs: timeoutS * 1000 })
        : undefined;
      const out = {
        hash,
        vpp: key.address,
        interval: values.interval,
        side,
        steps,
        status: confirmed ? 'confirmed' : 'pending',
        height: confirmed?.blockHeight ?? null,
      };
      if (values.json) console.log(JSON.stringify(out));
      else
        console.log(
          table([
            ['bid', hash],
            ['vpp', key.address],
            ['interval', values.interval!],
            ['side', side],
            ['steps', steps.map((s) => `${s.qty} Wh @ ${s.price}`).join(', ')],
            ['status', confirmed ? `confirmed in block ${confirmed.blockHeight}` : 'pending'],
          ]),
        );
      return 0;
    });
  },
};
export default command;
