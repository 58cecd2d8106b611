// The node's logs: JSON lines for machines (level names, ISO times, component, message, fields, errors with
// their stack), pretty lines for people from the same records, levels filtering, a log file appended to,
// and a record's message recovered from either form (what the supervisor quotes of a node that exited).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, errField, formatPretty, messageOf } from '../../../node/log.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-log-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function capture(format: 'json' | 'pretty', level: 'info' | 'debug' | 'warn' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, format, stream: { write: (l) => lines.push(l) } });
  return { logger, lines };
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('logs', () => {
  it('JSON lines: one object per record with level name, ISO time, component, message and fields', () => {
    const { logger, lines } = capture('json');
    const p2p = logger.child({ component: 'p2p' });
    p2p.info({ peer: '12D3KooWabc', peers: 2 }, 'peer connected');
    p2p.warn('clock skewed');
    p2p.debug('not written at info');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      level: 'info',
      component: 'p2p',
      msg: 'peer connected',
      peer: '12D3KooWabc',
      peers: 2,
      pid: process.pid,
    });
    expect(first.time).toMatch(ISO);
    expect(Math.abs(Date.parse(first.time) - Date.now())).toBeLessThan(60_000);
    expect(second).toMatchObject({ level: 'warn', msg: 'clock skewed' });
  });

  it('an error is a field with its type, message and stack', () => {
    const { logger, lines } = capture('json');
    logger
      .child({ component: 'miner' })
      .error({ ...errField(new RangeError('no template')), height: 7 }, 'failed');
    const r = JSON.parse(lines[0]!);
    expect(r.err).toMatchObject({ type: 'RangeError', message: 'no template' });
    expect(r.err.stack).toContain('log.test.ts');
    expect(r.height).toBe(7);
    // Not an Error: kept as the message of one.
    logger.error(errField('plain text'), 'thrown');
    expect(JSON.parse(lines[1]!).err.message).toBe('plain text');
  });

  it('levels: debug writes debug records; warn drops info', () => {
    const debug = capture('json', 'debug');
    debug.logger.debug('seen');
    expect(debug.lines).toHaveLength(1);
    const warn = capture('json', 'warn');
    warn.logger.info('dropped');
    warn.logger.error('kept');
    expect(warn.lines.map((l) => JSON.parse(l).msg)).toEqual(['kept']);
  });

  it('pretty lines: time, level, component, message, then fields as key=value and the stack indented', () => {
    const { logger, lines } = capture('pretty');
    logger.child({ component: 'node' }).info({ height: 12, head: 'ab cd' }, 'node started');
    logger.child({ component: 'miner' }).error(errField(new Error('boom')), 'cannot mine');
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}\[node\] node started height=12 head="ab cd"\n$/,
    );
    const [head, ...stack] = lines[1]!.trimEnd().split('\n');
    expect(head).toMatch(/Z ERROR \[miner\] cannot mine$/);
    expect(stack[0]).toBe('    Error: boom');
    expect(stack.length).toBeGreaterThan(1);
    expect(stack.every((l) => l.startsWith('    '))).toBe(true);
    // Colour only when asked (a terminal); a line that is not a record passes through.
    expect(formatPretty(JSON.stringify({ level: 'warn', time: 't', msg: 'm' }), true)).toContain(
      '\x1b[33mWARN',
    );
    expect(formatPretty('not json\n')).toBe('not json\n');
  });

  it("a record's message from either form, and other lines as they are", () => {
    const json = capture('json');
    json.logger.child({ component: 'node' }).info({ x: 1 }, 'stopping (SIGTERM)…');
    const pretty = capture('pretty');
    pretty.logger.child({ component: 'node' }).warn('port 8545 is in use');
    expect(messageOf(json.lines[0]!.trim())).toBe('stopping (SIGTERM)…');
    expect(messageOf(pretty.lines[0]!.trim())).toBe('port 8545 is in use');
    expect(messageOf('vppchain: data is not a vppchain data directory')).toBe(
      'vppchain: data is not a vppchain data directory',
    );
  });

  it('a log file is appended to, synchronously', () => {
    const file = join(tmp, 'sub', 'node.log');
    const first = createLogger({ level: 'info', format: 'json', file });
    first.info('one');
    expect(readFileSync(file, 'utf8')).toContain('"msg":"one"'); // on disk before any flush
    writeFileSync(file, `${readFileSync(file, 'utf8')}kept\n`);
    createLogger({ level: 'info', format: 'pretty', file }).info('two');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('kept');
    expect(lines[2]).toMatch(/INFO {2}two$/);
  });
});
