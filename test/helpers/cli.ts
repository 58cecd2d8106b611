// Runs the vppchain CLI as a child process, as a person would, without blocking the test's event loop
// (spawnSync would stall vitest's own timers): resolves with the exit code and output once it exits, or
// rejects, killing it, past a deadline for a quiet machine stretched by VPPCHAIN_TEST_TIME_FACTOR.
import { spawn } from 'node:child_process';
import { scaled } from './time.ts';

export const CLI = new URL('../../node/cli.ts', import.meta.url).pathname;
/** The package's entry (bin/vppchain.js), which re-executes on Node 24 when the system node is older. */
export const BIN = new URL('../../bin/vppchain.js', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function runCli(
  args: readonly string[],
  opts: { entry?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  const entry = opts.entry ?? CLI;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const limit = scaled(opts.timeoutMs ?? 60_000);
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vppchain ${args.join(' ')} did not exit within ${limit} ms\n${out}\n${err}`));
    }, limit);
    child.on('error', (e) => {
      clearTimeout(deadline);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, out, err });
    });
  });
}
