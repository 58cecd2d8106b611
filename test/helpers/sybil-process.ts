// The Sybil attack of sybils.ts as a process of its own (started by tests, in network namespaces with
// `ip netns exec`): prints one JSON line per event on stdout, exits 0 once every sybil is refused by every
// target, and stops at once on SIGTERM.
//   node test/helpers/sybil-process.ts --genesis <hex> --target <multiaddr>[,<multiaddr>…] --count N
//        [--host IP] [--every MS] [--give-up N] [--give-up-unreached N]
// --give-up N: an identity stops after N refused dials in a row once it had been let in (default 5; 0:
// never, the caller stops the attack when it has seen the bans). --give-up-unreached N: the same for a
// target that never let it in (default 0: never; where an address ban keeps the identities out, the
// process would otherwise never finish).
import { parseArgs } from 'node:util';
import { fromHex } from '../../protocol/bytes.ts';
import { runSybils } from './sybils.ts';

function fail(message: string): never {
  console.error(`sybil-process: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    genesis: { type: 'string' },
    target: { type: 'string' },
    count: { type: 'string' },
    host: { type: 'string' },
    every: { type: 'string' },
    'give-up': { type: 'string' },
    'give-up-unreached': { type: 'string' },
  },
});
if (!values.genesis || !/^[0-9a-f]{64}$/.test(values.genesis)) fail('--genesis must be 64 hex digits');
if (!values.target) fail('--target is required');
const targets = values.target.split(',');
for (const t of targets)
  if (!/^\/ip4\/[\d.]+\/tcp\/\d+\/p2p\/\w+$/.test(t)) fail(`not a peer multiaddr: ${t}`);
const count = Number(values.count ?? '20');
if (!Number.isInteger(count) || count < 1 || count > 200) fail('--count must be 1..200');
const every = Number(values.every ?? '100');
if (!Number.isInteger(every) || every < 10) fail('--every must be an integer >= 10 (ms)');
const giveUp = Number(values['give-up'] ?? '5');
if (!Number.isInteger(giveUp) || giveUp < 0) fail('--give-up must be >= 0');
const giveUpUnreached = Number(values['give-up-unreached'] ?? '0');
if (!Number.isInteger(giveUpUnreached) || giveUpUnreached < 0) fail('--give-up-unreached must be >= 0');
if (values.host !== undefined && !/^[\d.]+$/.test(values.host)) fail('--host must be an IPv4 address');

const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
await runSybils(
  {
    genesisHash: fromHex(values.genesis),
    targets,
    count,
    host: values.host,
    publishEveryMs: every,
    refusalsToGiveUp: giveUp,
    refusalsToGiveUpUnreached: giveUpUnreached,
  },
  (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
  stop.signal,
);
process.exit(0);
