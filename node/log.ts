// Structured logging for the node and the supervisor (pino): levels, ISO timestamps, a component name
// per part of the process (node, chain, miner, p2p, api, devnet, ...), as JSON lines for machines or as
// pretty lines for people, on stdout or appended to a file. Writes are synchronous: a line logged just
// before a crash or a kill is on disk, and the devnet supervisor quotes a failed node's last line.
// The pretty form is a small formatter of our own over pino's JSON lines (pino-pretty would bring a dozen
// packages for the same one line per record):
//   2025-12-02T08:30:00.123Z INFO  [node] node 0x5b2b… on vppchain-devnet, height 12
// A record's other fields follow as key=value; an error's stack follows on indented lines.
import pino, { type DestinationStream, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type { Logger };

export interface LogOptions {
  level: LogLevel;
  format: LogFormat;
  /** Append to this file (created with its directory if missing) instead of writing to stdout. */
  file?: string;
  /** Colour the level in pretty lines; default: stdout is a terminal and NO_COLOR is not set. */
  color?: boolean;
  /** Write here instead (tests): one string per record, a line ending in '\n'. */
  stream?: { write(line: string): void };
}

/** Fields of a record that the pretty form shows in its own place, or not at all. */
const HIDDEN = new Set(['time', 'level', 'component', 'msg', 'pid', 'hostname', 'err']);

const LEVEL_COLOURS: Record<string, string> = {
  fatal: '\x1b[35m',
  error: '\x1b[31m',
  warn: '\x1b[33m',
  info: '\x1b[32m',
  debug: '\x1b[36m',
  trace: '\x1b[90m',
};

const fieldText = (v: unknown): string => {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
};

/** One of pino's JSON lines as a pretty line (a line that is not a JSON object is passed through). */
export function formatPretty(line: string, color = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
    if (record === null || typeof record !== 'object') return line;
  } catch {
    return line;
  }
  const level = String(record.level ?? 'info');
  const label = level.toUpperCase().padEnd(5);
  const shown = color ? `${LEVEL_COLOURS[level] ?? ''}${label}\x1b[0m` : label;
  const component = record.component === undefined ? '' : ` [${String(record.component)}]`;
  const extras = Object.entries(record)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => ` ${k}=${fieldText(v)}`)
    .join('');
  let text = `${String(record.time ?? '')} ${shown}${component} ${String(record.msg ?? '')}${extras}`;
  const err = record.err as { stack?: unknown; message?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const stack = typeof err.stack === 'string' ? err.stack : String(err.message ?? '');
    text += `\n${stack
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}`;
  }
  return `${text}\n`;
}

/** The message of a log line in either form (for quoting a node's last line); other lines as they are. */
export function messageOf(line: string): string {
  if (line.startsWith('{')) {
    try {
      const record = JSON.parse(line) as { msg?: unknown };
      if (typeof record.msg === 'string') return record.msg;
    } catch {
      // not a JSON record
    }
  }
  const pretty = /^\d{4}-\d\d-\d\dT[\d:.]+Z (FATAL|ERROR|WARN |INFO |DEBUG|TRACE)( \[[^\]]*\])? (.*)$/.exec(
    line,
  );
  return pretty ? pretty[3]! : line;
}

let fatalLogger: { logger: Logger; toStdout: boolean } | undefined;

/**
 * Logs a fatal error (an exception nobody handled) through the process's logger, if one was created.
 * Returns true when that already reached the process's output, false when the caller should also write
 * it to stderr (no logger yet, or the log goes to a file).
 */
export function logFatal(text: string): boolean {
  if (!fatalLogger) return false;
  try {
    fatalLogger.logger.fatal(text);
  } catch {
    return false;
  }
  return fatalLogger.toStdout;
}

/**
 * The process's root logger; components are children (`logger.child({ component: 'p2p' })`). With a
 * file, SIGHUP reopens it (for logrotate's move-then-signal).
 */
export function createLogger(o: LogOptions): Logger {
  let out: DestinationStream;
  if (o.stream) out = o.stream;
  else if (o.file) {
    const file = pino.destination({ dest: o.file, append: true, mkdir: true, sync: true });
    process.on('SIGHUP', () => file.reopen());
    out = file;
  } else out = pino.destination({ dest: 1, sync: true });
  const color = o.color ?? (!o.file && !o.stream && process.stdout.isTTY === true && !process.env.NO_COLOR);
  const sink =
    o.format === 'pretty' ? { write: (line: string) => out.write(formatPretty(line, color)) } : out;
  const logger = pino(
    {
      level: o.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
  if (!o.stream) fatalLogger = { logger, toStdout: !o.file };
  return logger;
}

/** A logger for embedding (tests, tools): warnings and errors as pretty lines on stderr. */
export function stderrLogger(): Logger {
  const err = pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level: 'warn',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => err.write(formatPretty(line)) },
  );
}

/** An error (or anything thrown) as a field pino serialises with its stack. */
export const errField = (error: unknown): { err: Error } => ({
  err: error instanceof Error ? error : new Error(String(error)),
});
