// The version of this vppchain (package.json's), as `vppchain --version`, `GET /v1/status` and the logs
// show it, with the Node.js runtime it runs on.
import { readFileSync } from 'node:fs';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

/** The package's version, e.g. "0.1.0". */
export const VERSION: string = readVersion();

/** One line for `vppchain --version`: the version, the runtime and the platform. */
export function versionLine(): string {
  return `vppchain ${VERSION} (node ${process.version}, ${process.platform} ${process.arch})`;
}
