// The demo's chain: a genesis with the scenario's clock (block time, interval length, confirmations, the
// grid's real-time prices), and waiting for conditions on the nodes with a deadline that ends in one line
// naming what did not happen and where the logs are.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SystemScenario } from '../../agent/scenario/system.ts';
import { loadGenesisFile } from '../../consensus/genesis.ts';
import { targetToBits } from '../../protocol/difficulty.ts';
import { type ChainParams, genesisToJson } from '../../protocol/params.ts';
import { RunError } from '../commands/command.ts';

/** How many intervals ahead the demo chain takes bids (and so how far ahead schedules are committed). */
export const DEMO_INTERVALS_AHEAD = 4;

/**
 * genesis.json with the scenario's clock, written to a temporary file for the devnet. Nodes mine on ~2
 * cores together: the initial target aims at one block per blockTimeMs for ~1.5 MH/s in total; aserti3-2d
 * corrects it from there.
 */
export function demoGenesis(s: SystemScenario): { file: string; params: ChainParams } {
  const params = loadGenesisFile(new URL('../../genesis.json', import.meta.url).pathname);
  const { blockTimeMs, intervalMs, minConfirmations } = s.chain;
  params.blockTimeMs = blockTimeMs;
  params.halfLifeMs = 30_000;
  params.initialBits = targetToBits((1n << 256n) / BigInt(Math.round(1_500_000 * (blockTimeMs / 1000))));
  params.market = {
    ...params.market,
    ...s.gridPrices,
    intervalMs,
    maxIntervalsAhead: DEMO_INTERVALS_AHEAD,
    minConfirmations,
  };
  const m = params.market;
  const gbp = (units: number) => (units / 1_000_000).toFixed(4);
  if (m.gridBuyPrice > m.gridSellPrice)
    throw new RunError(
      `the grid would buy at £${gbp(m.gridBuyPrice)}/kWh but sell at £${gbp(m.gridSellPrice)}/kWh: give gridPrices.sell (at least buy) in the scenario`,
    );
  if (m.imbalanceLongPrice > m.imbalanceShortPrice)
    throw new RunError(
      `imbalanceLong (£${gbp(m.imbalanceLongPrice)}/kWh) exceeds imbalanceShort (£${gbp(m.imbalanceShortPrice)}/kWh): give both in the scenario's gridPrices`,
    );
  const file = join(mkdtempSync(join(tmpdir(), 'vppchain-demo-')), 'genesis.json');
  writeFileSync(file, JSON.stringify(genesisToJson(params), null, 2));
  return { file, params };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/** Stopped from outside (Ctrl-C, SIGTERM, or the supervisor's --on-node-exit stop). */
export class Stopped extends Error {}

/**
 * Polls `fn` until it gives a value. Giving up after timeoutMs is a RunError: one line that says what
 * did not happen and where the nodes' logs are, not a stack trace.
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  signal: AbortSignal,
  timeoutMs: number,
  logs: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw new Stopped('stopped');
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // the node may be busy or restarting; try again until the deadline
    }
    if (Date.now() > deadline)
      throw new RunError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; see ${logs}`,
      );
    await sleep(200, signal);
  }
}
