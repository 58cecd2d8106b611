// `npm start`: a fresh single-node chain that mines and carries real signed transfers between the
// genesis accounts (grid and VPPs, whose development keys are well known), printing every block.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { TxError } from '../../consensus/errors.ts';
import { devKeyPair, type KeyPair } from '../../consensus/keys.ts';
import { loadGenesisFile } from '../../consensus/params.ts';
import { envelope, signTx } from '../../consensus/tx.ts';
import { initDataDir, VppNode } from '../node.ts';
import { blockLine } from '../report.ts';
import { type Command, intFlag, parseFlags } from './command.ts';

const command: Command = {
  name: 'demo',
  summary:
    'Start a fresh local chain from genesis.json (time: now), mine, and send transfers between the grid and VPP accounts.',
  usage:
    'demo [--datadir DIR] [--blocks N] [--threads N]\n' +
    '  --datadir  where the ledger goes (default: data/demo, wiped at start)\n' +
    '  --blocks   stop after N mined blocks (default: run until Ctrl-C)',
  async run(argv) {
    const { values } = parseFlags(argv, {
      datadir: { type: 'string', default: join('data', 'demo') },
      blocks: { type: 'string' },
      threads: { type: 'string' },
    });
    const stopAfter = intFlag(values.blocks, 'blocks', 0, 1, 1_000_000);
    const threads = intFlag(values.threads, 'threads', 1, 1, 64);
    const params = loadGenesisFile(new URL('../../genesis.json', import.meta.url).pathname);
    params.timestamp = Date.now();
    rmSync(values.datadir!, { recursive: true, force: true });
    const { genesisHash } = await initDataDir(values.datadir!, params);
    const node = await VppNode.open({ dataDir: values.datadir!, mine: true, minerThreads: threads });
    const accounts: { name: string; key: KeyPair }[] = params.accounts.map((a) => ({
      name: a.name,
      key: devKeyPair(a.name),
    }));
    console.log(
      `vppchain demo: chain ${params.name} (id ${params.chainId}), genesis ${genesisHash.slice(0, 16)}…, target block time ${params.blockTimeMs} ms`,
    );
    console.log(`accounts: ${accounts.map((a) => `${a.name} ${a.key.address}`).join(', ')}`);

    let sent = 0;
    let refused = 0;
    const nextNonce = new Map<string, bigint>();
    const traffic = setInterval(async () => {
      const from = accounts[Math.floor(Math.random() * accounts.length)]!;
      const to = accounts.filter((a) => a !== from)[Math.floor(Math.random() * (accounts.length - 1))]!;
      const onChain = node.chain.account(from.key.address).nonce;
      const nonce = (nextNonce.get(from.name) ?? 0n) > onChain ? nextNonce.get(from.name)! : onChain;
      const tx = signTx(
        {
          nonce,
          fee: params.minTxFee,
          senderPubKey: from.key.publicKey,
          payload: {
            kind: 'transfer',
            to: to.key.address,
            amount: BigInt(1 + Math.floor(Math.random() * 1_000_000)),
          },
        },
        from.key,
        node.chain.domain,
      );
      try {
        await node.mempool.add(envelope(tx));
        nextNonce.set(from.name, nonce + 1n);
        sent++;
      } catch (err) {
        if (!(err instanceof TxError)) throw err;
        refused++;
      }
    }, 400);

    let mined = 0;
    const done = new Promise<void>((resolve) => {
      node.miner!.on('mined', (b) => {
        mined++;
        console.log(blockLine(b, params.powLimitBits, node.miner!.hashRate(), 'mined'));
        if (stopAfter && mined >= stopAfter) resolve();
      });
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    node.start();
    await done;
    clearInterval(traffic);
    await node.stop();
    console.log(
      `\nstopped at height ${node.chain.height}: ${mined} blocks mined, ${sent} transfers submitted (${refused} refused), ${node.mempool.size} pending`,
    );
    for (const a of accounts)
      console.log(`  ${a.name.padEnd(6)} balance ${node.chain.account(a.key.address).balance}`);
    return 0;
  },
};
export default command;
