// `vppchain version` (also `vppchain --version` and `-V`): the version, the Node.js runtime and the
// platform; with --json as an object for scripts.
import { VERSION, versionLine } from '../version.ts';
import { type Command, parseFlags } from './command.ts';

const command: Command = {
  name: 'version',
  summary: "This vppchain's version, the Node.js it runs on and the platform (also vppchain --version, -V).",
  usage: 'version [--json]',
  async run(argv) {
    const { values } = parseFlags(argv, { json: { type: 'boolean', default: false } });
    if (values.json)
      console.log(
        JSON.stringify({
          version: VERSION,
          node: process.version,
          platform: process.platform,
          arch: process.arch,
        }),
      );
    else console.log(versionLine());
    return 0;
  },
};
export default command;
