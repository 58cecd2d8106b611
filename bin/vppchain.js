#!/usr/bin/env node
// The package's CLI entry. vppchain needs Node >= 22 (libp2p 3, type stripping); machines whose system
// node is older run it on the Node that the project installs as a dev dependency (the `node` package).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
if (major >= 22) {
  await import(join(root, 'node', 'cli.ts'));
} else {
  const bundled = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(`vppchain needs Node >= 22 (found ${process.versions.node}); run 'npm ci' first.`);
    process.exit(1);
  }
  // A child, not an exec (Node cannot replace its own process): signals sent to this wrapper alone
  // (kill <pid>, a supervisor's SIGTERM) are passed on, and the wrapper exits as the child did.
  const child = spawn(bundled, [join(root, 'node', 'cli.ts'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    });
  }
  child.on('error', (err) => {
    console.error(`vppchain: cannot start ${bundled}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
