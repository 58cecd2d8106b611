// Linux network namespaces for multi-host tests: one namespace per host with its own IP address, all
// joined by veth pairs to one bridge in the root namespace (which also has an address, so the test process
// reaches every host's API). Names carry a random id, so runs never collide; destroy() removes the
// namespaces (and with them their veth ends) and the bridge, and is also run when the process exits, so
// nothing is left behind when a test fails. Needs root and the `ip` tool (iproute2); netnsSupport() says
// why not, for a test to skip loudly.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsHost {
  index: number;
  ns: string;
  ip: string;
  /** The root-namespace end of the host's veth pair (cut the host off by setting it down). */
  link: string;
}

export interface NetnsLab {
  id: string;
  bridge: string;
  /** The bridge's address: the test process's own address on the lab's network. */
  gateway: string;
  hosts: NetnsHost[];
  /** Starts `argv` inside host `i`'s namespace (`ip netns exec`); the child is stopped by destroy(). */
  spawn(i: number, argv: string[]): ChildProcess;
  /** Cuts host `i` off the bridge, or connects it again. */
  setLink(i: number, up: boolean): void;
  destroy(): Promise<void>;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
}

/** undefined when namespaces can be used here, else why not. */
export function netnsSupport(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root';
  const probe = `vppprobe${randomBytes(3).toString('hex')}`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return undefined;
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message}`;
  }
}

/** A /24 in 10.0.0.0/8 that no route of this machine uses yet. */
function freeSubnet(): string {
  const routes = spawnSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (let attempt = 0; attempt < 100; attempt++) {
    const prefix = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`;
    if (!routes.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 subnet found');
}

export function createLab(hostCount: number): NetnsLab {
  const id = randomBytes(3).toString('hex');
  const subnet = freeSubnet();
  const bridge = `vpb${id}`;
  const gateway = `${subnet}.254`;
  const hosts: NetnsHost[] = [];
  const children = new Set<ChildProcess>();
  let destroyed = false;

  const teardown = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const h of hosts) spawnSync('ip', ['netns', 'del', h.ns]);
    spawnSync('ip', ['link', 'del', bridge]);
  };
  // Also when the process ends without reaching destroy() (a crashed worker, process.exit).
  process.once('exit', teardown);

  try {
    ip(['link', 'add', bridge, 'type', 'bridge']);
    ip(['addr', 'add', `${gateway}/24`, 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
    for (let i = 0; i < hostCount; i++) {
      const host: NetnsHost = {
        index: i,
        ns: `vppns${id}h${i}`,
        ip: `${subnet}.${i + 1}`,
        link: `vh${id}${i}`,
      };
      const inner = `vn${id}${i}`;
      hosts.push(host);
      ip(['netns', 'add', host.ns]);
      ip(['link', 'add', host.link, 'type', 'veth', 'peer', 'name', inner]);
      ip(['link', 'set', inner, 'netns', host.ns]);
      ip(['-n', host.ns, 'link', 'set', inner, 'name', 'eth0']);
      ip(['-n', host.ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0']);
      ip(['-n', host.ns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', host.ns, 'link', 'set', 'lo', 'up']);
      ip(['link', 'set', host.link, 'master', bridge]);
      ip(['link', 'set', host.link, 'up']);
    }
  } catch (err) {
    teardown();
    process.off('exit', teardown);
    throw err;
  }

  return {
    id,
    bridge,
    gateway,
    hosts,
    spawn(i, argv) {
      const h = hosts[i];
      if (!h) throw new RangeError(`no host ${i}`);
      // `ip netns exec` execs the command: the child is the process itself, signals reach it directly.
      const child = spawn('ip', ['netns', 'exec', h.ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    setLink(i, up) {
      ip(['link', 'set', hosts[i]!.link, up ? 'up' : 'down']);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      // SIGTERM first (nodes close their ledgers), SIGKILL after 10 s.
      await Promise.all(
        [...children].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const kill = setTimeout(() => c.kill('SIGKILL'), 10_000);
              c.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
      teardown();
      process.off('exit', teardown);
    },
  };
}
