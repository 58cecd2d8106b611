// `npm start` / `vppchain demo`: the whole system end to end (node/system-demo.ts), on the built-in demo
// (agent/scenario/demo.json) or on the user's own system scenario (--scenario FILE).
import { writeFileSync } from 'node:fs';
import { builtInDemo, loadSystemScenario, type SystemScenario } from '../../agent/scenario/system.ts';
import { ScenarioError } from '../../market/scenario.ts';
import { parseOnNodeExit } from '../supervisor.ts';
import { runSystemDemo } from '../system-demo.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

const FRAMEWORKS = ['weak', 'decentralized', 'central'] as const;

const command: Command = {
  name: 'demo',
  summary:
    'The whole system: a devnet (grid + VPP nodes, mining), one agent per VPP running its day-ahead market and bidding its real-time deviations, the grid metering after delivery; prints every interval and a cost summary. Runs the built-in demo or your own VPPs (--scenario FILE, docs/scenario.md).',
  usage:
    'demo [--scenario FILE] [--intervals N] [--out DIR] [--raw] [--hold] [--interval-ms MS] [--block-ms MS]\n' +
    '            [--start-minute M] [--framework weak|decentralized|central] [--vpps N] [--prosumers N]\n' +
    '            [--dir DIR] [--p2p-base-port P] [--api-base-port P] [--json-out FILE] [--on-node-exit restart|stop]\n' +
    '  --scenario FILE   a system scenario (your VPPs, prosumers, CSV profiles, tariffs, timing; docs/scenario.md);\n' +
    '                    default: the built-in demo, agent/scenario/demo.json (3 VPPs of 10 CLNR homes)\n' +
    "  --intervals N     stop after N intervals with exit code 0 (default: the scenario's, else until Ctrl-C)\n" +
    '  --out DIR         write the results: intervals.csv, bills.csv (per VPP and prosumer), savings.csv,\n' +
    '                    dayahead/<VPP>/ (the day-ahead outputs) and report.html with the whole run\n' +
    '  --raw             money in token base units instead of GBP (1,000,000 base units = £1)\n' +
    '  --hold            after the last interval and the summary, keep the nodes and the dashboard up until Ctrl-C\n' +
    "  --interval-ms MS  real time per delivery interval (default: the scenario's, 12000 in the demo)\n" +
    "  --block-ms MS     target block time (default: the scenario's, 1000 in the demo)\n" +
    "  --start-minute M  minute of the simulated day of the first interval (default: the scenario's, 660 = 11:00)\n" +
    "  --framework F     the day-ahead market of every VPP (default: the scenario's, weak)\n" +
    '  --vpps N, --prosumers N   the built-in demo only: N VPPs (default 3), N prosumers each (default 10)\n' +
    '  --json-out FILE   write every interval and the summary as JSON\n' +
    '  --on-node-exit    a node that exits is restarted with backoff (default), or with "stop" the demo\n' +
    '                    stops every node and exits with code 1\n' +
    '  A port in use is one line on stderr and exit code 1; the nodes stop when the demo does, however it ends.',
  async run(argv) {
    const { values } = parseFlags(argv, {
      scenario: { type: 'string' },
      intervals: { type: 'string' },
      out: { type: 'string' },
      raw: { type: 'boolean', default: false },
      vpps: { type: 'string' },
      prosumers: { type: 'string' },
      'interval-ms': { type: 'string' },
      'block-ms': { type: 'string' },
      framework: { type: 'string' },
      dir: { type: 'string', default: 'devnet' },
      'p2p-base-port': { type: 'string' },
      'api-base-port': { type: 'string' },
      'start-minute': { type: 'string' },
      'json-out': { type: 'string' },
      'on-node-exit': { type: 'string' },
      hold: { type: 'boolean', default: false },
    });
    let scenario: SystemScenario;
    try {
      if (values.scenario !== undefined) {
        const misplaced = (['vpps', 'prosumers'] as const).filter((f) => values[f] !== undefined);
        if (misplaced.length)
          throw new UsageError(
            `--${misplaced[0]} applies to the built-in demo only: set the VPPs in the scenario file`,
          );
        scenario = loadSystemScenario(values.scenario);
      } else
        scenario = builtInDemo({
          vpps: intFlag(values.vpps, 'vpps', 3, 1, 20),
          prosumers: intFlag(values.prosumers, 'prosumers', 10, 1, 200),
        });
    } catch (err) {
      if (err instanceof ScenarioError) throw new UsageError(err.message);
      throw err;
    }
    const s = { ...scenario, chain: { ...scenario.chain } };
    if (values.framework !== undefined) {
      if (!(FRAMEWORKS as readonly string[]).includes(values.framework))
        throw new UsageError(`--framework must be one of ${FRAMEWORKS.join(', ')}`);
      s.framework = values.framework as SystemScenario['framework'];
    }
    s.chain.intervalMs = intFlag(values['interval-ms'], 'interval-ms', s.chain.intervalMs, 3000, 3_600_000);
    s.chain.blockTimeMs = intFlag(values['block-ms'], 'block-ms', s.chain.blockTimeMs, 200, 60_000);
    if (s.chain.blockTimeMs * 3 > s.chain.intervalMs)
      throw new UsageError('--interval-ms must be at least three block times');
    s.startMinute = intFlag(values['start-minute'], 'start-minute', s.startMinute, 0, 1439);
    if (s.startMinute % s.minutesPerInterval !== 0)
      throw new UsageError(
        `--start-minute must be a multiple of ${s.minutesPerInterval} (the scenario's minutes per interval)`,
      );
    s.intervals = intFlag(values.intervals, 'intervals', s.intervals, 1, 100_000);
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // On a terminal the day-ahead progress is one line redrawn in place; in a log, a line every few seconds.
    const tty = process.stdout.isTTY === true;
    let open = false;
    const status = (line: string | null) => {
      if (line === null) {
        if (open) process.stdout.write('\r\x1b[K');
        open = false;
        return;
      }
      process.stdout.write(`\r\x1b[K${line.slice(0, (process.stdout.columns ?? 120) - 1)}`);
      open = true;
    };
    try {
      const result = await runSystemDemo({
        dir: values.dir!,
        scenario: s,
        hold: values.hold,
        raw: values.raw,
        ...(values.out !== undefined ? { out: values.out } : {}),
        p2pBasePort: intFlag(values['p2p-base-port'], 'p2p-base-port', 30300, 1024, 65000),
        apiBasePort: intFlag(values['api-base-port'], 'api-base-port', 8600, 1024, 65000),
        onNodeExit: parseOnNodeExit(values['on-node-exit']),
        signal: ctl.signal,
        log: (line) => console.log(line),
        ...(tty ? { status } : {}),
      });
      if (values['json-out'])
        writeFileSync(
          values['json-out'],
          JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2),
        );
    } catch (err) {
      if (ctl.signal.aborted) {
        console.log('stopped before the first interval completed');
        return 0;
      }
      throw err;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  },
};
export default command;
