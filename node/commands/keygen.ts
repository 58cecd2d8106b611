import { existsSync } from 'node:fs';
import { devKeyPair, generateKeyPair } from '../../protocol/keys.ts';
import { writeKeyFile } from '../keyfile.ts';
import { type Command, parseFlags, UsageError } from './command.ts';

const command: Command = {
  name: 'keygen',
  summary: 'Create a secp256k1 key file (JSON with address, public and secret key; mode 0600).',
  usage:
    'keygen [--out FILE] [--dev NAME] [--force] [--json]\n  --dev NAME  the well-known development key of NAME (public knowledge: devnets only)',
  async run(argv) {
    const { values } = parseFlags(argv, {
      out: { type: 'string' },
      dev: { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    if (values.dev !== undefined && !/^[\w.-]{1,64}$/.test(values.dev))
      throw new UsageError('--dev must be 1..64 letters, digits, . _ or -');
    const key = values.dev ? devKeyPair(values.dev) : generateKeyPair();
    if (values.out) {
      if (existsSync(values.out) && !values.force)
        throw new UsageError(`${values.out} exists (use --force to overwrite)`);
      writeKeyFile(values.out, key);
    }
    if (values.json)
      console.log(
        JSON.stringify({
          address: key.address,
          publicKey: Buffer.from(key.publicKey).toString('hex'),
          file: values.out ?? null,
        }),
      );
    else
      console.log(
        values.out
          ? `address ${key.address}\nwritten to ${values.out}`
          : `address ${key.address}\n(no --out given: the key was not saved)`,
      );
    return 0;
  },
};
export default command;
