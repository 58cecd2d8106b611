// `vppchain prosumer`: a prosumer as its own network party in its VPP's day-ahead market.
//   prosumer run --data DIR --vpp MULTIADDR   holds only DIR's data (prosumer.json, key.json), dials the
//                                             VPP's coordinator, answers the market's rounds with masked
//                                             vectors and keeps its schedule and bill in DIR/outcome.json;
//                                             --data may repeat to host several prosumers in one process
//                                             (simulations), each still its own party with its own key.
//   prosumer split --out DIR (--scenario FILE | --prosumers N [--seed S])
//                                             turns a scenario into a VPP file (public: tariffs, ids,
//                                             public keys) and one data directory per prosumer.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateScenario } from '../../market/generator.ts';
import { ProsumerParty } from '../../market/pool/party.ts';
import { loadScenario, parseScenario, ScenarioError } from '../../market/scenario.ts';
import {
  KEY_FILE,
  loadProsumerFile,
  PROSUMER_FILE,
  prosumerJson,
  vppJson,
  writeJsonAtomic,
  writeOutcome,
} from '../../market-net/files.ts';
import { ProsumerHost } from '../../market-net/prosumer-host.ts';
import { generateKeyPair } from '../../protocol/keys.ts';
import { KeyFileError, readKeyFile, writeKeyFile } from '../keyfile.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

const usage = [
  'prosumer run --data DIR [--data DIR ...] --vpp MULTIADDR [--once] [--allow-reveal]',
  'prosumer split --out DIR (--scenario FILE | --prosumers N [--seed S])',
].join('\n       ');

async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    data: { type: 'string', multiple: true },
    vpp: { type: 'string' },
    once: { type: 'boolean', default: false },
    'allow-reveal': { type: 'boolean', default: false },
  });
  const dirs = values.data ?? [];
  if (dirs.length === 0) throw new UsageError('--data DIR is required (a prosumer data directory)');
  if (!values.vpp)
    throw new UsageError("--vpp MULTIADDR is required (the coordinator's address, with /p2p/)");
  const hosted = dirs.map((dir) => {
    let data: ReturnType<typeof loadProsumerFile>;
    let key: ReturnType<typeof readKeyFile>;
    try {
      data = loadProsumerFile(join(dir, PROSUMER_FILE));
      key = readKeyFile(join(dir, KEY_FILE));
    } catch (err) {
      if (err instanceof ScenarioError || err instanceof KeyFileError) throw new UsageError(err.message);
      throw err;
    }
    const party = new ProsumerParty(
      { prosumer: data.prosumer, secretKey: key.secretKey, identity: key.publicKey },
      { allowReveal: values['allow-reveal'] },
    );
    return {
      party,
      keep: (outcome: ProsumerParty['outcome']) => {
        if (!outcome) return;
        writeOutcome(dir, outcome);
        console.log(
          `${party.id}: ${outcome.status === 'market' ? 'cleared in the market' : 'out of the market, trades with the grid'}; bill ${outcome.cost.toFixed(4)} (own ${outcome.ownCost.toFixed(4)}, P2P ${outcome.p2pPayment.toFixed(4)}, imbalance ${outcome.imbalanceCharge.toFixed(4)}) written to ${join(dir, 'outcome.json')}`,
        );
      },
    };
  });
  let host: ProsumerHost;
  try {
    host = await ProsumerHost.start({
      prosumers: hosted,
      vpp: values.vpp,
      log: (line) => console.error(`prosumer: ${line}`),
    });
  } catch (err) {
    throw new UsageError(`--vpp: ${(err as Error).message}`);
  }
  console.log(`prosumer host for ${hosted.map((h) => h.party.id).join(', ')}: dialling ${values.vpp}`);
  const reason = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    if (values.once) host.finished().then(() => resolve('the clearing is done'));
  });
  console.log(`stopping (${reason})`);
  await host.stop();
  return 0;
}

function split(argv: string[]): number {
  const { values } = parseFlags(argv, {
    out: { type: 'string' },
    scenario: { type: 'string' },
    prosumers: { type: 'string' },
    seed: { type: 'string' },
  });
  if (!values.out) throw new UsageError('--out DIR is required');
  if ((values.scenario === undefined) === (values.prosumers === undefined))
    throw new UsageError('give either --scenario FILE or --prosumers N');
  let scenario: ReturnType<typeof loadScenario>;
  try {
    scenario = values.scenario
      ? loadScenario(values.scenario)
      : parseScenario(
          generateScenario({
            prosumers: intFlag(values.prosumers, 'prosumers', 10, 1, 100_000),
            seed: intFlag(values.seed, 'seed', 1, 0, 2 ** 31),
          }),
        );
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
  if (existsSync(join(values.out, 'vpp.json')))
    throw new UsageError(`${values.out} already holds a vpp.json`);
  mkdirSync(values.out, { recursive: true });
  const members = scenario.prosumers.map((p) => {
    if (!/^[\w.-]{1,64}$/.test(p.id)) throw new UsageError(`prosumer id '${p.id}' cannot name a directory`);
    const dir = join(values.out!, p.id);
    mkdirSync(dir, { recursive: true });
    const key = generateKeyPair();
    writeKeyFile(join(dir, KEY_FILE), key);
    writeJsonAtomic(join(dir, PROSUMER_FILE), prosumerJson(p, scenario));
    return { id: p.id, publicKey: key.publicKey };
  });
  writeJsonAtomic(join(values.out, 'vpp.json'), vppJson(scenario, members));
  console.log(
    `wrote ${join(values.out, 'vpp.json')} (public: tariffs, ids, keys) and ${members.length} prosumer directories`,
  );
  return 0;
}

const command: Command = {
  name: 'prosumer',
  summary:
    "a prosumer as its own party in its VPP's day-ahead market (run), or a scenario split into a VPP file\n" +
    'and prosumer data directories (split).',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'run') return run(rest);
    if (sub === 'split') return split(rest);
    throw new UsageError(`prosumer needs a subcommand: run or split (got '${sub ?? ''}')`);
  },
};
export default command;
