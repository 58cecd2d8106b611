// The one logging interface of the network layer. Network receives it (NetworkOptions.log) and writes
// through it what an operator needs to see: peers connected and disconnected, penalties and bans,
// peers of another chain, discovered peers. The shape is pino's (fields first, then the message), so a
// pino logger (or a child with a component) can be passed as it is; p2p never imports node/ or a
// logging library. Without one, consoleP2pLog writes one line per event to stdout (info) or stderr (warn).

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface P2pLog {
  info(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
}

/** `p2p: <message> key=value …`, undefined fields left out. */
export function formatLogLine(fields: LogFields, msg: string): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return `p2p: ${msg}${parts.length ? ` ${parts.join(' ')}` : ''}`;
}

/** The default: one line per event on the console (the node's log file when a supervisor runs it). */
export const consoleP2pLog: P2pLog = {
  info: (fields, msg) => console.log(formatLogLine(fields, msg)),
  warn: (fields, msg) => console.warn(formatLogLine(fields, msg)),
};

/** Writes nothing (tests that count events rather than read lines). */
export const silentP2pLog: P2pLog = { info: () => undefined, warn: () => undefined };
