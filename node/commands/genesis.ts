// `vppchain genesis`: makes the genesis of a new network (accounts, parameters, a timestamp that defaults to
// now) as one file to copy to every machine, and prints its hash, which every node's `init` and status
// then show. The parameters come from a template (the repository's genesis.json unless --from names one),
// changed by --chain-id, --name and --param KEY=VALUE; --account replaces the template's accounts. The
// result is checked as every node checks a genesis file (consensus/genesis.ts) before it is written.
// Also the words for a genesis too old to mine on (staleGenesisWords), which `init` and `node` share.
import { existsSync, writeFileSync } from 'node:fs';
import { type GenesisAge, genesisBlock, loadGenesisFile, parseChainParams } from '../../consensus/genesis.ts';
import { toHex } from '../../protocol/bytes.ts';
import { type ChainParams, GenesisError, genesisToJson } from '../../protocol/params.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

export const REPO_GENESIS = new URL('../../genesis.json', import.meta.url).pathname;

/** `now`, milliseconds since 1970, or an ISO 8601 time. */
export function parseTimestamp(value: string, flag = '--timestamp'): number {
  if (value === 'now') return Date.now();
  if (/^\d+$/.test(value)) return intFlag(value, flag.slice(2), 0, 0, 2 ** 48);
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t))
    throw new UsageError(
      `${flag} must be 'now', milliseconds since 1970 or an ISO 8601 time, got '${value}'`,
    );
  return t;
}

/** NAME:ROLE:ADDRESS:BALANCE → a genesis account in genesis.json's shape (checked with the whole file). */
function parseAccount(spec: string): Record<string, string> {
  const parts = spec.split(':');
  if (parts.length !== 4)
    throw new UsageError(
      `--account must be NAME:ROLE:ADDRESS:BALANCE (e.g. grid:grid:0x1a94…:1000000), got '${spec}'`,
    );
  const [name, role, address, balance] = parts as [string, string, string, string];
  return { name, role, address: address.toLowerCase(), balance };
}

/** KEY=VALUE on a top-level parameter or market.KEY; numbers stay numbers, the rest stay strings. */
function setParam(json: Record<string, unknown>, spec: string): void {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param must be KEY=VALUE (e.g. blockTimeMs=5000), got '${spec}'`);
  const path = spec.slice(0, eq).split('.');
  const raw = spec.slice(eq + 1);
  let target = json;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null)
      throw new UsageError(`--param: no parameter group '${key}'`);
    target = next as Record<string, unknown>;
  }
  const key = path.at(-1)!;
  if (!(key in target) || key === 'accounts' || typeof target[key] === 'object')
    throw new UsageError(`--param: no parameter '${path.join('.')}' (see the template's keys)`);
  target[key] = typeof target[key] === 'number' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
}

const days = (ms: number) => ms / 86_400_000;

/** Why mining on a genesis this old would flood, and what to do instead (for init's note and node's refusal). */
export function staleGenesisWords(params: ChainParams, age: GenesisAge): string {
  const when = new Date(params.timestamp).toISOString();
  const ago =
    days(age.ageMs) >= 1
      ? `${days(age.ageMs).toFixed(1)} days`
      : `${(age.ageMs / 3_600_000).toFixed(1)} hours`;
  return (
    `the genesis of ${params.name} is from ${when}, ${ago} ago, and this chain has no block yet: mining on it would ` +
    `start at the easiest difficulty and mine about ${age.catchUpBlocks.toLocaleString('en')} blocks at full speed ` +
    `until the chain caught up with the time (the difficulty rule is anchored at the genesis). For a new network, ` +
    `make a fresh genesis with 'vppchain genesis --out FILE' and initialise every machine from that one file ` +
    `('vppchain init --force --genesis FILE'); to join a network that already runs on this genesis, start the node ` +
    'without --mine until it has synced, or pass --allow-old-genesis'
  );
}

const command: Command = {
  name: 'genesis',
  summary: 'Make the genesis file of a new network (accounts, parameters, timestamp now) and print its hash.',
  usage:
    'genesis --out FILE [--from TEMPLATE] [--chain-id N] [--name NAME] [--timestamp now|MS|ISO]\n' +
    '                [--account NAME:ROLE:ADDRESS:BALANCE ...] [--param KEY=VALUE ...] [--force] [--json]\n' +
    '  --out        where to write the genesis file (copy it to every machine of the network)\n' +
    "  --from       template for the parameters and accounts (default: this repository's genesis.json)\n" +
    "  --chain-id   the chain id (a new network should have its own; default: the template's)\n" +
    '  --name       the chain name\n' +
    '  --timestamp  the genesis time (default: now; a node refuses to mine on a genesis over an hour old\n' +
    '               while its chain has no block)\n' +
    "  --account    an account, repeatable; replaces the template's: role grid|vpp, balance in base units\n" +
    '  --param      a parameter, repeatable: blockTimeMs=5000, market.intervalMs=60000, minTxFee=10, ...\n' +
    '  --force      overwrite FILE\n' +
    '  --json       print {file, name, chainId, timestamp, genesisHash, accounts} as JSON',
  async run(argv) {
    const { values } = parseFlags(argv, {
      out: { type: 'string' },
      from: { type: 'string', default: REPO_GENESIS },
      'chain-id': { type: 'string' },
      name: { type: 'string' },
      timestamp: { type: 'string', default: 'now' },
      account: { type: 'string', multiple: true },
      param: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    if (!values.out) throw new UsageError('--out FILE is required (where to write the genesis)');
    if (existsSync(values.out) && !values.force)
      throw new UsageError(`${values.out} exists; pass --force to overwrite it`);
    let params: ChainParams;
    try {
      const json = genesisToJson(loadGenesisFile(values.from!));
      if (values['chain-id'] !== undefined)
        json.chainId = intFlag(values['chain-id'], 'chain-id', 0, 1, 0xffffffff);
      if (values.name !== undefined) json.name = values.name;
      json.timestamp = parseTimestamp(values.timestamp!);
      if (values.account?.length) json.accounts = values.account.map(parseAccount);
      for (const p of values.param ?? []) setParam(json, p);
      params = parseChainParams(json);
    } catch (err) {
      if (err instanceof GenesisError) throw new UsageError(`the genesis would be invalid: ${err.message}`);
      throw err;
    }
    writeFileSync(values.out, `${JSON.stringify(genesisToJson(params), null, 2)}\n`);
    const genesisHash = toHex(genesisBlock(params).hash);
    const time = new Date(params.timestamp).toISOString();
    if (values.json) {
      const { name, chainId, timestamp, accounts } = params;
      console.log(
        JSON.stringify({
          file: values.out,
          name,
          chainId,
          timestamp,
          genesisHash,
          accounts: accounts.length,
        }),
      );
      return 0;
    }
    console.log(
      `wrote ${values.out}\nchain ${params.name} (id ${params.chainId}), genesis time ${time}, ${params.accounts.length} account${params.accounts.length === 1 ? '' : 's'}\n` +
        `genesis ${genesisHash}\n` +
        `next: copy ${values.out} to every machine and run there: vppchain init --datadir DIR --genesis ${values.out}`,
    );
    return 0;
  },
};
export default command;
