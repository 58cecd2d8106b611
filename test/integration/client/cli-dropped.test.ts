// The CLI tells a person when the node dropped what it was waiting for: `transfer --wait` whose transaction
// is replaced (same nonce, higher fee) while it waits exits 1 with the reason in words on stderr, and with
// --json the error shape with code DROPPED and the record's details on stdout. The node does not mine, so
// the first transaction can only end replaced.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VppClient } from '../../../client/index.ts';
import { writeKeyFile } from '../../../node/keyfile.ts';
import { devKeyPair } from '../../../protocol/keys.ts';
import { type ApiNode, startApiNode } from '../../helpers/api-node.ts';
import { keys } from '../../helpers/builder.ts';
import { runCli } from '../../helpers/cli.ts';
import { netParams, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-cli-dropped-'));
const keyFile = join(tmp, 'vpp1.json');
let api: ApiNode;

beforeAll(async () => {
  writeKeyFile(keyFile, keys.vpp1);
  api = await startApiNode(netParams());
});
afterAll(async () => {
  await api.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('vppchain transfer --wait and a dropped transaction', () => {
  it(
    'exits 1 saying why the node dropped it, instead of waiting for its timeout',
    async () => {
      const to = devKeyPair('cli-dropped-recipient').address;
      const waiting = runCli(
        [
          'transfer',
          '--node',
          api.url,
          '--key',
          keyFile,
          '--to',
          to,
          '--amount',
          '5',
          '--fee',
          '10',
          '--wait',
          '--timeout',
          '300',
          '--json',
        ],
        { timeoutMs: 120_000 },
      );
      await waitFor(
        'the CLI submitted',
        () => api.node.mempool.pendingOf(keys.vpp1.address).length === 1,
        scaled(60_000),
      );
      const first = api.node.mempool.pendingOf(keys.vpp1.address)[0]!;
      const { hash } = await new VppClient(api.url).transfer({
        key: keys.vpp1,
        to,
        amount: 6n,
        fee: 20n,
        nonce: 0n,
      });
      const r = await waiting;
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `vppchain: DROPPED: another transaction with the same nonce and a higher fee replaced it.\n  transaction ${first.id} was dropped (replaced): replaced by ${hash}, which has the same nonce 0 and pays fee 20 base units (this one paid 10)\n`,
      );
      expect(JSON.parse(r.out)).toEqual({
        error: {
          code: 'DROPPED',
          message: expect.stringContaining(`transaction ${first.id} was dropped (replaced)`),
          details: { hash: first.id, reason: 'replaced', replacedBy: hash },
        },
      });
    },
    scaled(180_000),
  );
});
