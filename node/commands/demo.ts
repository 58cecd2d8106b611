// `npm start` / `vppchain demo`: the whole system end to end (node/system-demo.ts).
import { writeFileSync } from 'node:fs';
import { FRAMEWORKS, type FrameworkName } from '../../market/result.ts';
import { parseOnNodeExit } from '../supervisor.ts';
import { runSystemDemo } from '../system-demo.ts';
import { type Command, intFlag, parseFlags, UsageError } from './command.ts';

const command: Command = {
  name: 'demo',
  summary:
    'The whole system: a devnet (grid + VPP nodes, mining), one agent per VPP running its day-ahead market and bidding its real-time deviations, the grid metering after delivery; prints every interval and a cost summary.',
  usage:
    'demo [--intervals N] [--vpps N] [--prosumers N] [--interval-ms MS] [--block-ms MS] [--framework weak|decentralized|central]\n' +
    '            [--dir DIR] [--p2p-base-port P] [--api-base-port P] [--start-minute M] [--json-out FILE]\n' +
    '            [--hold] [--on-node-exit restart|stop]\n' +
    '  --intervals N     stop after N intervals with exit code 0 (default: run until Ctrl-C)\n' +
    '  --hold            after the last interval and the summary, keep the nodes and the dashboard up until Ctrl-C\n' +
    '  --vpps N          VPPs, each with its own node (default 3); --prosumers per VPP (default 10)\n' +
    '  --interval-ms MS  real time per delivery interval (default 12000; each stands for 5 minutes of the day)\n' +
    '  --block-ms MS     target block time (default 1000)\n' +
    '  --start-minute M  minute of the simulated day of the first interval (default 660 = 11:00)\n' +
    '  --json-out FILE   write every interval and the summary as JSON\n' +
    '  --on-node-exit    a node that exits is restarted with backoff (default), or with "stop" the demo\n' +
    '                    stops every node and exits with code 1\n' +
    '  A port in use is one line on stderr and exit code 1; the nodes stop when the demo does, however it ends.',
  async run(argv) {
    const { values } = parseFlags(argv, {
      intervals: { type: 'string' },
      vpps: { type: 'string' },
      prosumers: { type: 'string' },
      'interval-ms': { type: 'string' },
      'block-ms': { type: 'string' },
      framework: { type: 'string', default: 'weak' },
      dir: { type: 'string', default: 'devnet' },
      'p2p-base-port': { type: 'string' },
      'api-base-port': { type: 'string' },
      'start-minute': { type: 'string' },
      'json-out': { type: 'string' },
      'on-node-exit': { type: 'string' },
      hold: { type: 'boolean', default: false },
    });
    const framework = values.framework as FrameworkName;
    if (!FRAMEWORKS.includes(framework) || framework === 'traditional') {
      throw new UsageError(
        `--framework must be one of ${FRAMEWORKS.filter((f) => f !== 'traditional').join(', ')}`,
      );
    }
    const intervalMs = intFlag(values['interval-ms'], 'interval-ms', 12_000, 3000, 3_600_000);
    const blockTimeMs = intFlag(values['block-ms'], 'block-ms', 1000, 200, 60_000);
    if (blockTimeMs * 3 > intervalMs)
      throw new UsageError('--interval-ms must be at least three block times');
    const startMinute = intFlag(values['start-minute'], 'start-minute', 660, 0, 1435);
    if (startMinute % 5 !== 0) throw new UsageError('--start-minute must be a multiple of 5');
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const result = await runSystemDemo({
        dir: values.dir!,
        vpps: intFlag(values.vpps, 'vpps', 3, 1, 20),
        prosumersPerVpp: intFlag(values.prosumers, 'prosumers', 10, 1, 200),
        intervalMs,
        blockTimeMs,
        intervals: intFlag(values.intervals, 'intervals', 0, 1, 100_000),
        hold: values.hold,
        framework,
        p2pBasePort: intFlag(values['p2p-base-port'], 'p2p-base-port', 30300, 1024, 65000),
        apiBasePort: intFlag(values['api-base-port'], 'api-base-port', 8600, 1024, 65000),
        startMinute,
        onNodeExit: parseOnNodeExit(values['on-node-exit']),
        signal: ctl.signal,
        log: (line) => console.log(line),
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
