// The Grafana board in docs/grafana/ against a live node, the test standing in for Grafana: every query of
// every panel and variable names only metrics that the node's GET /metrics exports, each with samples
// once the node has done what the panels show (a market interval cleared, metered and confirmed, a block
// refused, a transaction submitted, the VPPs' day-ahead results published); the labels a query groups
// by, matches on or puts in a legend are labels those metrics carry.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../helpers/builder.ts';
import { boards, familyOf, panelsOf, queriesOf } from './board.ts';
import { metricNamesOf, variableMetric } from './promql.ts';
import {
  MarketScenario,
  METERING_HEIGHT,
  metricFamilies,
  params,
  parseSamples,
  type Sample,
} from './scenario.ts';

/** Labels Prometheus adds at scrape time. */
const SCRAPE_LABELS = new Set(['instance', 'job']);
/** The board's data source: Grafana's variable syntax, not a template literal. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

describe('the Grafana boards, as files', () => {
  it('exist, and every panel queries the board’s Prometheus data source', () => {
    expect(boards.length).toBeGreaterThan(0);
    for (const [file, b] of boards) {
      expect(b.uid, file).toBeTruthy();
      const panels = panelsOf(b);
      expect(new Set(panels.map((p) => p.id)).size, `${file}: panel ids are unique`).toBe(panels.length);
      for (const p of panels) {
        expect(p.gridPos.x + p.gridPos.w, `${file}: ${p.title} fits 24 columns`).toBeLessThanOrEqual(24);
        if (p.type === 'row') continue;
        expect(p.targets?.length, `${file}: ${p.title} has queries`).toBeGreaterThan(0);
        expect(p.datasource, `${file}: ${p.title}`).toEqual(DATASOURCE);
      }
      const variables = b.templating.list.map((v) => v.name);
      expect(variables, file).toEqual(expect.arrayContaining(['datasource', 'instance']));
      for (const v of b.templating.list.filter((x) => x.type === 'query'))
        expect(variableMetric(typeof v.query === 'string' ? v.query : v.query.query), v.name).toBeTruthy();
    }
  });

  it('name at least one metric in every query', () => {
    for (const [file, b] of boards)
      for (const q of queriesOf(b))
        expect(metricNamesOf(q.expr).length, `${file}: ${q.where}`).toBeGreaterThan(0);
  });
});

describe('the Grafana boards against a live node', () => {
  let s: MarketScenario;
  let dir: string;
  let text: string;
  let samples: Sample[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vppchain-grafana-'));
    const vppFile = join(dir, 'vpps.json');
    writeFileSync(
      vppFile,
      JSON.stringify({
        vpps: [
          {
            name: 'vpp-1',
            address: keys.vpp1.address,
            dayAhead: {
              status: 'done',
              iteration: 57,
              maxIterations: 500,
              relativeImbalance: 2e-7,
              certifiedGap: 0.0003,
              converged: true,
              seconds: 4.25,
            },
          },
        ],
      }),
    );
    s = await MarketScenario.start(vppFile);
    await s.growTo(METERING_HEIGHT + params.market.minConfirmations - 1, s.txs());
    // A block with a wrong state root: refused at import and marked invalid while connecting.
    const bad = s.b.next(s.tip, { stateRoot: new Uint8Array(32).fill(7) });
    await expect(s.api.node.chain.processBlock(bad)).rejects.toMatchObject({ code: 'BAD_STATE_ROOT' });
    // A transaction submitted through the API (refused: its nonce was used long ago).
    const stale = s.b.transfer(keys.vpp1, keys.vpp2, 1n, 0n);
    const r = await fetch(`${s.api.url}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hex: Buffer.from(stale.bytes).toString('hex') }),
    });
    expect(r.status).toBe(400);
    text = await s.scrape();
    samples = parseSamples(text);
  });
  afterAll(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every metric a query names is exported by the node, with samples', () => {
    const families = metricFamilies(text);
    const missing: string[] = [];
    const empty: string[] = [];
    for (const [file, b] of boards)
      for (const q of queriesOf(b))
        for (const name of metricNamesOf(q.expr)) {
          if (!familyOf(name, families)) missing.push(`${file}: ${q.where}: ${name}`);
          else if (!samples.some((x) => x.name === name)) empty.push(`${file}: ${q.where}: ${name}`);
        }
    expect(missing, 'metrics the node does not export').toEqual([]);
    expect(empty, 'metrics without samples').toEqual([]);
  });

  it('every label a query matches on, groups by or shows in a legend is a label of its metrics', () => {
    const labelsOf = (names: string[]) =>
      new Set([
        ...SCRAPE_LABELS,
        ...samples.filter((x) => names.includes(x.name)).flatMap((x) => Object.keys(x.labels)),
      ]);
    const wrong: string[] = [];
    for (const [file, b] of boards)
      for (const q of queriesOf(b)) {
        const names = metricNamesOf(q.expr);
        const known = labelsOf(names);
        const expr = q.expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
        const used = [
          ...[...expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap(
            (m) => m[1]!.split(',').map((l) => l.trim()),
          ),
          ...[...(q.legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!),
        ].filter((l) => l !== '');
        for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
          const own = labelsOf([m[1]!]);
          for (const l of m[2]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g))
            if (!own.has(l[1]!)) wrong.push(`${file}: ${q.where}: ${m[1]} has no label ${l[1]}`);
        }
        for (const l of used)
          if (!known.has(l)) wrong.push(`${file}: ${q.where}: no metric of it has label ${l}`);
      }
    expect(wrong).toEqual([]);
  });
});
