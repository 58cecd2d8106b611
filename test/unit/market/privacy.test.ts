// The message boundary: coordinators see prices and quantities, never prosumer data.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PoolPrices } from '../../../market/agent.ts';
import { type AgentHost, startAgents } from '../../../market/agent-host.ts';
import { clearDecentralized } from '../../../market/decentralized.ts';
import { tradingGraph } from '../../../market/graph.ts';
import { clearWeak } from '../../../market/weak.ts';
import { generated } from './helpers.ts';

const source = (file: string) => readFileSync(new URL(`../../../market/${file}`, import.meta.url), 'utf8');
const imports = (text: string) => [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);

describe('privacy of prosumer data', () => {
  it('the coordinator and the peer network import no prosumer model, solver or scenario code', () => {
    for (const file of ['weak.ts', 'decentralized.ts']) {
      const text = source(file);
      for (const imported of imports(text)) {
        expect(
          ['./agent-host.ts', './clearing.ts', './result.ts', './types.ts', './agent.ts'],
          `${file} imports ${imported}`,
        ).toContain(imported);
      }
      // From agent.ts and types.ts only message and tariff types, erased at run time.
      expect(text).toMatch(/import type \{ PeerMessage \} from '\.\/agent\.ts'|^(?![\s\S]*agent\.ts)/);
      expect(text).not.toMatch(/\bloadKw\b|\bpvKw\b|\bbattery\b|\bflexibleLoads\b/);
    }
  });

  it('the weakly-centralised coordinator exchanges only prices out and quantities back', async () => {
    const scenario = generated(6, 3);
    const inner = await startAgents(scenario, 'pool', 0);
    const sent: PoolPrices[] = [];
    const received: unknown[] = [];
    const recording: AgentHost = {
      ...inner,
      poolStep: async (msg, recover) => {
        sent.push(structuredClone(msg));
        const replies = await inner.poolStep(msg, recover);
        received.push(...replies);
        return replies;
      },
    };
    const result = await clearWeak(recording, scenario.tariffs, { maxIterations: 400 });
    expect(result.converged).toBe(true);
    expect(sent).toHaveLength(result.iterations);
    for (const m of sent) {
      expect(Object.keys(m).sort()).toEqual(['meanTrade', 'prices', 'rho']);
      expect(m.prices).toHaveLength(scenario.periods);
    }
    for (const r of received) {
      expect(Object.keys(r as object).sort()).toEqual(['ownCost', 'trade']);
      expect((r as { trade: Float64Array }).trade).toHaveLength(scenario.periods);
    }
    // Counted traffic: a broadcast of 2T+1 numbers to each prosumer and T+1 back, per iteration.
    const T = scenario.periods;
    expect(result.messages).toBe(2 * 6 * result.iterations);
    expect(result.bytes).toBe(6 * result.iterations * (16 + 8 * (2 * T + 1) + 16 + 8 * (T + 1)));
    await inner.close();
  });

  it('peers exchange only their offers to each other along the trading graph', async () => {
    const scenario = generated(8, 4);
    const graph = tradingGraph(8, { type: 'sparse', degree: 3, seed: 2 });
    const inner = await startAgents(scenario, graph, 2);
    const seen: { from: number; to: number }[] = [];
    const recording: AgentHost = {
      ...inner,
      peerStep: async (inbox, rho) => {
        const round = await inner.peerStep(inbox, rho);
        for (const m of round.outbox) {
          expect(Object.keys(m).sort()).toEqual(['from', 'to', 'trade']);
          seen.push({ from: m.from, to: m.to });
        }
        return round;
      },
    };
    const result = await clearDecentralized(
      recording,
      scenario.tariffs,
      graph,
      scenario.prosumers.map((p) => p.id),
      { maxIterations: 600 },
    );
    await inner.close();
    expect(result.converged).toBe(true);
    for (const { from, to } of seen) expect(graph[from]).toContain(to);
    const edges = graph.reduce((s, n) => s + n.length, 0);
    expect(result.messages).toBe(edges * result.iterations);
    // Bilateral trades are reciprocal at the end: what i sells to j, j buys from i.
    for (const pair of result.pairTrades!) {
      const i = scenario.prosumers.findIndex((p) => p.id === pair.from);
      const j = scenario.prosumers.findIndex((p) => p.id === pair.to);
      expect(graph[i]).toContain(j);
    }
  });
});
