// `npm start` / `vppchain demo`: the whole system end to end (node/system-demo.ts), on the built-in demo
// (agent/scenario/demo.json) or on the user's own system scenario (--scenario FILE). Configured by flags,
// VPPCHAIN_* variables and a config file (node/config-schema.ts, DEMO_CONFIG); keys without a value take
// the scenario's. The report (intervals, summary) is the command's answer and goes to stdout; the
// supervisor's lines (node exits, restarts, readiness) are log records (--log-level, --log-format,
// --log-file). With --log-format json and no --log-file the report's lines are records too (component
// demo), so that stdout is JSON lines and nothing else; with a log file, the report stays text on stdout.
import { writeFileSync } from 'node:fs';
import { builtInDemo, loadSystemScenario, type SystemScenario } from '../../agent/scenario/system.ts';
import { ScenarioError } from '../../market/scenario.ts';
import { describeSource } from '../config.ts';
import { usageLines } from '../config-output.ts';
import { configFor, DEMO_CONFIG, printConfigOf } from '../config-schema.ts';
import { createLogger } from '../log.ts';
import { runSystemDemo } from '../system-demo.ts';
import { type Command, UsageError } from './command.ts';

/** The built-in demo's size when neither the flags, the environment nor the file say. */
const BUILT_IN = { vpps: 3, prosumers: 10 };

const command: Command = {
  name: 'demo',
  summary:
    'The whole system: a devnet (grid + VPP nodes, mining), one agent per VPP running its day-ahead market and bidding its real-time deviations, the grid metering after delivery; prints every interval and a cost summary. Runs the built-in demo or your own VPPs (--scenario FILE, docs/scenario.md).',
  usage: `demo [options]\n${usageLines(DEMO_CONFIG)}\n  A port in use is one line on stderr and exit code 1; the nodes stop when the demo does, however it ends.`,
  async run(argv) {
    const config = configFor('demo', argv);
    if (config.printConfig) {
      console.log(printConfigOf('demo', config));
      return 0;
    }
    const v = config.values;
    const from = (k: keyof typeof DEMO_CONFIG) => describeSource(config.sources[k]);
    let scenario: SystemScenario;
    try {
      if (v.scenario !== undefined) {
        const misplaced = (['vpps', 'prosumers'] as const).find((k) => v[k] !== undefined);
        if (misplaced)
          throw new UsageError(
            `${from(misplaced)} applies to the built-in demo only: set the VPPs in the scenario file`,
          );
        scenario = loadSystemScenario(v.scenario);
      } else
        scenario = builtInDemo({
          vpps: v.vpps ?? BUILT_IN.vpps,
          prosumers: v.prosumers ?? BUILT_IN.prosumers,
        });
    } catch (err) {
      if (err instanceof ScenarioError) throw new UsageError(err.message);
      throw err;
    }
    const s = { ...scenario, chain: { ...scenario.chain } };
    if (v.framework !== undefined) s.framework = v.framework as SystemScenario['framework'];
    s.chain.intervalMs = v['interval-ms'] ?? s.chain.intervalMs;
    s.chain.blockTimeMs = v['block-ms'] ?? s.chain.blockTimeMs;
    if (s.chain.blockTimeMs * 3 > s.chain.intervalMs)
      throw new UsageError(
        `interval-ms (${s.chain.intervalMs}, ${from('interval-ms')}) must be at least three block times (block-ms ${s.chain.blockTimeMs}, ${from('block-ms')})`,
      );
    s.startMinute = v['start-minute'] ?? s.startMinute;
    if (s.startMinute % s.minutesPerInterval !== 0)
      throw new UsageError(
        `start-minute (${s.startMinute}, ${from('start-minute')}) must be a multiple of ${s.minutesPerInterval} (the scenario's minutes per interval)`,
      );
    s.intervals = v.intervals ?? s.intervals;

    const jsonOnStdout = v['log-format'] === 'json' && v['log-file'] === undefined;
    const logger = createLogger({ level: v['log-level'], format: v['log-format'], file: v['log-file'] });
    const supervisorLog = logger.child({ component: 'supervisor' });
    // The report for people on stdout; JSON records (component demo) when stdout is the JSON log.
    const demoLog = logger.child({ component: 'demo' });
    const report = jsonOnStdout
      ? (line: string) => {
          if (line.trim() !== '') demoLog.info(line.trim());
        }
      : (line: string) => console.log(line);

    const ctl = new AbortController();
    const stop = () => ctl.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // On a terminal the day-ahead progress is one line redrawn in place; in a log, a line every few seconds.
    const tty = process.stdout.isTTY === true && !jsonOnStdout;
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
        dir: v.dir,
        scenario: s,
        hold: v.hold,
        raw: v.raw,
        ...(v.out !== undefined ? { out: v.out } : {}),
        p2pBasePort: v['p2p-base-port'],
        apiBasePort: v['api-base-port'],
        onNodeExit: v['on-node-exit'],
        signal: ctl.signal,
        log: report,
        supervisorLog: (line, level) => supervisorLog[level](line),
        logLevel: v['log-level'],
        logFormat: v['log-format'],
        ...(tty ? { status } : {}),
      });
      if (v['json-out'])
        writeFileSync(
          v['json-out'],
          JSON.stringify(result, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2),
        );
    } catch (err) {
      if (ctl.signal.aborted) {
        report('stopped before the first interval completed');
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
