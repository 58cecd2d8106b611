// `vppchain auction <subcommand>`: the real-time auction from the command line. `clear` runs the very same
// clearing and VCG code as the chain on a JSON file; later subcommands (e.g. querying a node for an
// interval's result) slot into the `subcommands` table.
import { readFileSync } from 'node:fs';
import { AuctionInputError, type ClearingResult, clearAuction } from '../../contracts-vm/auction/index.ts';
import { clientFor, GBP_NOTE, gbp, isoTime, nodeFlags, withClient } from './api-common.ts';
import { type Command, parseFlags, UsageError } from './command.ts';

interface Subcommand {
  usage: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

const subcommands: Record<string, Subcommand> = {
  clear: {
    usage: 'clear --input FILE [--json]',
    summary: 'clear one interval offline from a JSON file of grid prices and bids',
    run: runClear,
  },
  show: {
    usage: 'show --interval K|current|next [--node URL] [--json]   (also: vppchain auction --interval K)',
    summary: "an interval's auction on a node: window, status, bids once closed, clearing and VCG payments",
    run: runShow,
  },
};

const usage = Object.values(subcommands)
  .map((s, i) => `${i === 0 ? '' : '       vppchain '}auction ${s.usage}`)
  .join('\n');

const command: Command = {
  name: 'auction',
  summary: [
    'real-time VCG auction of energy deviations',
    ...Object.entries(subcommands).map(([name, s]) => `  ${name.padEnd(8)} ${s.summary}`),
  ].join('\n'),
  usage,
  async run(argv) {
    // `vppchain auction --interval K` is short for `vppchain auction show --interval K`.
    const [name, ...rest] = argv[0]?.startsWith('--') ? ['show', ...argv] : argv;
    const sub = name === undefined ? undefined : subcommands[name];
    if (!sub) {
      const known = Object.keys(subcommands).join(', ');
      throw new UsageError(
        name ? `unknown auction subcommand '${name}' (known: ${known})` : `usage: vppchain ${usage}`,
      );
    }
    return sub.run(rest);
  },
};
export default command;

async function runShow(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...nodeFlags, interval: { type: 'string' } });
  const k = values.interval;
  if (k === undefined || !/^(\d{1,15}|current|next)$/.test(k))
    throw new UsageError('auction show: --interval K|current|next is required');
  const client = clientFor(values.node);
  return withClient(values.json, async () => {
    const a = await client.auction(/^\d+$/.test(k) ? BigInt(k) : (k as 'current' | 'next'));
    if (values.json) {
      console.log(JSON.stringify(a, null, 2));
      return 0;
    }
    console.log(
      `interval ${a.interval}: ${a.status}, ${a.bidCount} bids, gate ${isoTime(a.window.close)}; ${GBP_NOTE}`,
    );
    console.log(
      `prices per kWh: grid sells ${gbp(a.prices.gridSellPrice)}, buys ${gbp(a.prices.gridBuyPrice)}; imbalance short ${gbp(a.prices.imbalanceShortPrice)}, long ${gbp(a.prices.imbalanceLongPrice)}`,
    );
    for (const b of a.bids ?? [])
      console.log(
        `  bid ${b.vpp} ${b.side} ${b.steps.map((s) => `${s.qty} Wh at ${gbp(String(s.price))}/kWh`).join(', ')}`,
      );
    const c = a.clearing;
    if (c) {
      console.log(
        `cleared in block ${c.height}: traded ${c.tradedWh} Wh, welfare ${gbp(c.welfare)}, deficit ${gbp(c.deficit)} (covered by the operator)`,
      );
      console.log(
        `grid sold ${c.grid.soldWh} Wh for ${gbp(c.grid.revenue)}, bought ${c.grid.boughtWh} Wh for ${gbp(c.grid.expense)}`,
      );
      console.log(
        'vpp                                          side   traded Wh             payment   grid Wh        grid payment',
      );
      for (const p of c.participants) {
        console.log(
          `${p.vpp}   ${p.side.padEnd(4)} ${p.qtyWh.padStart(11)} ${gbp(p.payment).padStart(19)} ${p.gridWh.padStart(9)} ${gbp(p.gridPayment).padStart(19)}`,
        );
      }
    }
    return 0;
  });
}

async function runClear(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { input: { type: 'string' }, json: { type: 'boolean' } });
  if (!values.input) throw new UsageError('auction clear: --input FILE is required');
  const result = clearFile(values.input);
  console.log(values.json ? JSON.stringify(jsonReport(result), null, 2) : table(result));
  return 0;
}

function clearFile(file: string): ClearingResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  try {
    // clearAuction validates its input itself; an invalid file surfaces as an AuctionInputError.
    return clearAuction(parsed as Parameters<typeof clearAuction>[0]);
  } catch (err) {
    if (err instanceof AuctionInputError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}

/** Money as a JSON number while it is a safe integer, else as a decimal string (no silent precision loss). */
export function jsonMoney(amount: bigint): number | string {
  const n = Number(amount);
  return Number.isSafeInteger(n) ? n : amount.toString();
}

export function jsonReport(r: ClearingResult) {
  return {
    welfare: jsonMoney(r.welfare),
    deficit: jsonMoney(r.deficit),
    grid: { sold: r.grid.sold, bought: r.grid.bought },
    participants: r.participants.map((p) => ({
      id: p.id,
      side: p.side,
      qty: p.qty,
      payment: jsonMoney(p.payment),
    })),
  };
}

function table(r: ClearingResult): string {
  const header = ['id', 'side', 'qty Wh', 'payment', 'grid Wh', 'grid payment'];
  const rows = r.participants.map((p) => [
    p.id,
    p.side,
    String(p.qty),
    String(p.payment),
    String(p.gridQty),
    String(p.gridPayment),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [
    `traded ${r.tradedQty} Wh; welfare ${r.welfare}; deficit ${r.deficit} (covered by the operator)`,
    `grid sold ${r.grid.sold} Wh for ${r.grid.revenue}, bought ${r.grid.bought} Wh for ${r.grid.expense}; operator net ${r.operatorNet}`,
    '(money in token base units: buyers pay, sellers receive)',
    '',
    line(header),
    ...rows.map(line),
  ].join('\n');
}
