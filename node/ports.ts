// Busy ports said in one line. `vppchain node`, `devnet` and `demo` probe every port they will listen on
// before they start anything, and `vppchain node` also recognises EADDRINUSE from libp2p's or fastify's
// own listen (another process may take a port between the probe and the listen). Either way the person
// reads which port, what it was for and the flag that changes it, and the process exits with code 1.
import { createServer } from 'node:net';
import { RunError } from './commands/command.ts';

/** A port a command is about to listen on: what for, and which flag moves it. */
export interface PortClaim {
  port: number;
  host: string;
  /** What the port is for, as the person reads it: 'p2p', 'api', 'api of node-1'. */
  what: string;
  /** The flag that chooses another port: '--p2p-port', '--api-base-port'. */
  flag: string;
}

export class PortInUseError extends RunError {
  override name = 'PortInUseError';
  readonly claim: PortClaim;

  constructor(claim: PortClaim) {
    super(`port ${claim.port} is in use (${claim.what}); choose another with ${claim.flag}`);
    this.claim = claim;
  }
}

/**
 * Listens on the port once and lets it go: false when another process holds it. Any other refusal
 * (an address this machine does not have, a privileged port) is a RunError naming the port.
 */
export function portIsFree(port: number, host: string, what = 'port'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(new RunError(`cannot listen on ${host}:${port} (${what}): ${err.code ?? err.message}`));
    });
    probe.listen({ port, host }, () => probe.close(() => resolve(true)));
  });
}

/** Probes every claim (port 0, "any free port", is never busy); throws PortInUseError for the first busy one. */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  for (const c of claims) {
    if (c.port === 0) continue;
    if (!(await portIsFree(c.port, c.host, c.what))) throw new PortInUseError(c);
  }
}

// Node's listen error reads "listen EADDRINUSE: address already in use 127.0.0.1:30300"; libp2p quotes
// it inside its own UnsupportedListenAddressesError, so the message is where both carry the port.
const IN_USE_RE = /EADDRINUSE\b[^\n]*?\s\S+:(\d{1,5})\b/;

function* errorChain(err: unknown, depth = 0): Generator<unknown> {
  if (depth > 5 || err === null || err === undefined) return;
  yield err;
  if (typeof err !== 'object') return;
  const e = err as { cause?: unknown; errors?: unknown };
  yield* errorChain(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* errorChain(inner, depth + 1);
}

/**
 * The claim an error says is in use, if it is an EADDRINUSE for one of them: checked on the error, its
 * cause and inner errors (code and port fields, then the message). Undefined for any other error.
 */
export function portInUse(err: unknown, claims: readonly PortClaim[]): PortInUseError | undefined {
  for (const e of errorChain(err)) {
    const fields = (typeof e === 'object' ? e : {}) as { code?: unknown; port?: unknown; message?: unknown };
    let port: number | undefined;
    if (fields.code === 'EADDRINUSE' && typeof fields.port === 'number') port = fields.port;
    else {
      const text = typeof e === 'string' ? e : typeof fields.message === 'string' ? fields.message : '';
      const m = IN_USE_RE.exec(text);
      if (m) port = Number(m[1]);
    }
    const claim = port === undefined ? undefined : claims.find((c) => c.port === port);
    if (claim) return new PortInUseError(claim);
  }
  return undefined;
}
