// One `vppchain node` as a child process on a fixed API port, for crash tests: start it, wait until its API
// answers, kill it with SIGKILL (the process gets no chance to flush or close anything) and start it again
// on the same data directory. Runs node/cli.ts on this Node (24) directly, so a kill hits the node itself,
// not a wrapper.
import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './net.ts';

export class NodeProcess {
  readonly url: string;
  private readonly args: string[];
  private child?: ChildProcess;
  private exited?: Promise<void>;
  /** The last lines the node wrote (stdout and stderr), for failure messages. */
  readonly log: string[] = [];

  constructor(dataDir: string, apiPort: number, extraArgs: string[] = []) {
    this.url = `http://127.0.0.1:${apiPort}`;
    const cli = new URL('../../node/cli.ts', import.meta.url).pathname;
    this.args = [
      cli,
      'node',
      '--datadir',
      dataDir,
      '--api-port',
      String(apiPort),
      '--p2p-port',
      '0',
      ...extraArgs,
    ];
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the node (with more flags, e.g. --mine) and resolves once GET /v1/status answers. */
  async start(moreArgs: string[] = [], timeoutMs = 60_000): Promise<void> {
    if (this.child) throw new Error('node process already running');
    const child = spawn(process.execPath, [...this.args, ...moreArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.log.push(line);
      this.log.splice(0, Math.max(0, this.log.length - 200));
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void this.exited.then(() => (gone = true));
    await waitFor(
      `node at ${this.url} answering`,
      async () => {
        if (gone) throw new Error(`node exited during start:\n${this.log.join('\n')}`);
        try {
          const r = await fetch(`${this.url}/v1/status`, { signal: AbortSignal.timeout(2000) });
          return r.ok;
        } catch {
          return false;
        }
      },
      timeoutMs,
    );
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  /** SIGTERM (a clean stop), and wait until the process is gone; SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}
