// The whole system on a scenario of the user's own: `vppchain demo --config demo.toml --scenario system.json
// --hold` as a child process (the file names the results directory, the JSON record and a JSON log file), with two VPPs built from CSV meter data the test writes (test/helpers/system-
// scenario.ts). In headless Chromium, the dashboard shows its loading state before the first results, then
// every chart with axis titles, a legend and the API's data; screenshots are kept in test-artifacts/. The
// exported CSVs are checked against the chain's bills through the API, the run's report.html and a
// day-ahead report like the dashboard, and the demo's own record against the rules (bids before the gate,
// clearing at the first block past it, bills = clearing, tokens conserved, summary = sum of the intervals).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { PublishedRun } from '../../api/vpps.ts';
import { VppClient } from '../../client/index.ts';
import { parseCsv } from '../../market/csv.ts';
import type { DemoSummary, IntervalReport } from '../../node/system-demo.ts';
import { dashboardState, readChart, rowSet } from '../helpers/charts.ts';
import { freePortRange, waitFor } from '../helpers/net.ts';
import { writeTwoVppScenario } from '../helpers/system-scenario.ts';
import { scaled } from '../helpers/time.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts', import.meta.url).pathname;
const INTERVALS = 3;
const tmp = mkdtempSync(join(tmpdir(), 'vppchain-e2e-'));
let demo: ChildProcess | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  // Its nodes run with --exit-with-parent: they stop when the demo is gone.
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const gbp = (units: string | number | bigint) => Number(units) / 1e6;

describe('the whole system on two VPPs of the user\u2019s own', () => {
  it('runs from a scenario file with CSV profiles; dashboard, exports and reports show what the chain settled', {
    timeout: scaled(900_000),
  }, async () => {
    const scenario = writeTwoVppScenario(tmp, { intervals: INTERVALS, intervalMs: 8000, blockTimeMs: 800 });
    // Part of the configuration from a TOML file (relative paths are the file's), part from flags.
    const out = join(tmp, 'results');
    const jsonOut = join(tmp, 'demo.json');
    const logFile = join(tmp, 'logs', 'demo.log');
    const config = join(tmp, 'demo.toml');
    writeFileSync(
      config,
      '[demo]\nout = "results"\njson-out = "demo.json"\nlog-format = "json"\nlog-file = "logs/demo.log"\n',
    );
    const base = await freePortRange(6);
    const api = `http://127.0.0.1:${base + 3}`;
    const client = new VppClient(api);
    const haveBrowser = existsSync(CHROMIUM);
    if (!haveBrowser)
      console.warn(
        `\n*** ${CHROMIUM} is missing: the dashboard and report browser checks are SKIPPED (apt-get install chromium; .ci/run does) ***\n`,
      );
    else {
      // Started before the demo, so the page can be opened the moment the grid's node answers.
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    }
    let stdout = '';
    let stderr = '';
    demo = spawn(
      process.execPath,
      [
        new URL('../../bin/vppchain.js', import.meta.url).pathname,
        'demo',
        '--config',
        config,
        '--scenario',
        scenario,
        '--hold',
        '--dir',
        join(tmp, 'devnet'),
        '--p2p-base-port',
        String(base),
        '--api-base-port',
        String(base + 3),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    demo.stdout!.on('data', (d) => (stdout += d));
    demo.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => demo!.on('exit', (code) => resolve(code)));
    const published = () => fetch(`${api}/v1/vpps`).then((r) => r.json() as Promise<PublishedRun>);
    mkdirSync(ARTIFACTS, { recursive: true });
    try {
      await checkRun();
    } catch (err) {
      // What the demo said is the first thing to read when a check fails.
      (err as Error).message +=
        `\n--- demo stdout (end) ---\n${stdout.slice(-6000)}\n--- stderr ---\n${stderr.slice(-3000)}`;
      throw err;
    }
    async function checkRun() {
      const page = browser ? await browser.newPage({ viewport: { width: 1280, height: 1000 } }) : undefined;
      const errors: string[] = [];
      page?.on('pageerror', (e) => errors.push(e.message));
      await waitFor(
        'the grid node\u2019s API',
        () =>
          client.status().then(
            () => true,
            () => false,
          ),
        120_000,
      );
      if (page) {
        // Before any result: the loading state says what is happening.
        await page.goto(`${api}/dashboard`);
        await page.waitForSelector('[data-testid=loading]:not([hidden])', { timeout: scaled(30_000) });
        expect((await published().catch((): PublishedRun => ({ vpps: [] }))).intervals ?? []).toEqual([]);
        await waitFor(
          'the day-ahead progress on the page',
          async () => (await page.locator('[data-testid=progress] tbody tr').count()) === 2,
          120_000,
        );
        await page.screenshot({ path: join(ARTIFACTS, 'dashboard-loading.png'), fullPage: false });
      }

      await waitFor(
        'two completed intervals',
        async () => ((await published().catch(() => null))?.intervals?.length ?? 0) >= 2,
        400_000,
      );
      const run = await published();
      expect(run.vpps.map((v) => v.name)).toEqual(['north', 'south']);
      if (page) {
        await page.waitForSelector('[data-testid=loading][hidden]', {
          state: 'attached',
          timeout: scaled(60_000),
        });
        await waitFor(
          'the charts of two intervals',
          async () => (await (await dashboardState(page)).rows('deviations')).some((r) => r.n === 2),
          60_000,
        );
        const { phases } = await dashboardState(page);
        expect(phases.indexOf('running')).toBeGreaterThan(0); // starting / day-ahead came first
        const now = await published();
        const intervals = (now.intervals ?? []).filter((it) => it.n <= 2);
        // Every chart: axis titles, a legend, and the API's data.
        for (const name of [
          'deviations',
          'traded',
          'prices',
          'payments',
          'bills',
          'savings-vpp',
          'savings-prosumer',
          'dayahead-prices',
          'dayahead-net',
          'dayahead-soc',
          'auction',
        ]) {
          const c = await readChart(page, name);
          expect(c.axisTitles.length, name).toBeGreaterThanOrEqual(2);
          expect(c.legend.length, name).toBeGreaterThanOrEqual(2);
          expect(c.marks, name).toBeGreaterThan(0);
        }
        const deviations = (await readChart(page, 'deviations')).rows.filter((r) => (r.n as number) <= 2);
        expect(rowSet(deviations, ['n', 'vpp', 'value'])).toEqual(
          rowSet(
            intervals.flatMap((it) => it.vpps.map((v) => ({ n: it.n, vpp: v.name, value: v.deviationWh }))),
            ['n', 'vpp', 'value'],
          ),
        );
        // Bills and VCG payments as the chain has them (not as the agents published them).
        const chainBills = await Promise.all(
          now.vpps.map(async (v) =>
            (
              await client.bills(v.address, {
                from: BigInt(intervals[0]!.interval),
                to: BigInt(intervals.at(-1)!.interval),
              })
            ).bills.map((b) => ({ vpp: v.name, interval: b.interval, total: b.total })),
          ),
        );
        const nOf = new Map(intervals.map((it) => [it.interval, it.n]));
        const billRows = (await readChart(page, 'bills')).rows.filter((r) => (r.n as number) <= 2);
        expect(rowSet(billRows, ['n', 'vpp', 'value'])).toEqual(
          rowSet(
            chainBills.flat().map((b) => ({ n: nOf.get(b.interval), vpp: b.vpp, value: -gbp(b.total) })),
            ['n', 'vpp', 'value'],
          ),
        );
        const byAddress = new Map(now.vpps.map((v) => [v.address, v.name]));
        const payments = [];
        for (const it of intervals) {
          const a = await client.auction(BigInt(it.interval));
          for (const p of a.clearing?.participants ?? [])
            if (p.qtyWh !== '0')
              payments.push({
                n: it.n,
                vpp: byAddress.get(p.vpp),
                value: (p.side === 'buy' ? 1 : -1) * gbp(p.payment),
              });
        }
        expect(
          rowSet(
            (await readChart(page, 'payments')).rows.filter((r) => (r.n as number) <= 2),
            ['n', 'vpp', 'value'],
          ),
        ).toEqual(rowSet(payments, ['n', 'vpp', 'value']));
        // The costs so far grow with every interval the run completes, on the page and in the API, and a
        // third interval may complete while this test reads (a busy machine): the chart must show the
        // published costs as they are when both are read, the page at most a refresh behind.
        const costs = async () => {
          const run = await published();
          const rows = (await readChart(page, 'savings-vpp')).rows;
          const expected = run.vpps.flatMap((v) => [
            { vpp: v.name, kind: 'traditional', gbp: v.traditionalCost },
            { vpp: v.name, kind: 'P2P', gbp: v.p2pCost },
          ]);
          const shown = expected.map(({ vpp, kind }) => ({
            vpp,
            kind,
            gbp: rows.find((r) => r.vpp === vpp && r.kind === kind)?.gbp,
          }));
          return { expected, shown };
        };
        let last: Awaited<ReturnType<typeof costs>> | undefined;
        await waitFor(
          'the savings chart showing the published costs',
          async () => {
            last = await costs();
            return JSON.stringify(last.shown) === JSON.stringify(last.expected);
          },
          30_000,
          () => `shown ${JSON.stringify(last?.shown)}, published ${JSON.stringify(last?.expected)}`,
        );
        const net = (await readChart(page, 'dayahead-net')).rows.filter(
          (r) => r.series === 'north' && r.time !== '24:00',
        );
        expect(net.map((r) => r.value)).toEqual(now.vpps[0]!.net);
        // The auction shown is the selected interval's, its steps the bids the chain holds.
        const k = await page.locator('#interval').inputValue();
        const view = await client.auction(BigInt(k));
        const steps = (await readChart(page, 'auction')).rows.filter((r) => (r.stepWh as number) > 0);
        expect(rowSet(steps, ['price', 'stepWh'])).toEqual(
          rowSet(
            (view.bids ?? []).flatMap((b) => b.steps.map((s) => ({ price: gbp(s.price), stepWh: s.qty }))),
            ['price', 'stepWh'],
          ),
        );
        expect((await readChart(page, 'auction')).ticks.some((t) => /^0\.\d+$/.test(t))).toBe(true); // y ticks in GBP
        await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
        expect(errors).toEqual([]);
      }

      await waitFor(
        'the summary, then the nodes held up',
        () => stdout.includes('the nodes stay up for the dashboard'),
        400_000,
      );
      expect(stdout).toContain(`summary after ${INTERVALS} intervals`);
      expect(stdout).toContain('interval 1 of 3 · 11:00–11:05 of the simulated day');
      expect(stdout).toContain('1 token = £1 = 1,000,000 base units');
      // Exports against the chain: each VPP's bill per interval, and its prosumers' shares adding up to it.
      const final = await published();
      const bills = parseCsv(readFileSync(join(out, 'bills.csv'), 'utf8'));
      const col = (name: string) => bills.header.indexOf(name);
      const ks = final.intervals!.map((it) => BigInt(it.interval));
      for (const v of final.vpps) {
        const page2 = await client.bills(v.address, { from: ks[0]!, to: ks.at(-1)! });
        for (const b of page2.bills) {
          const vppRow = bills.rows.find(
            (r) =>
              r[col('level')] === 'vpp' &&
              r[col('vpp')] === v.name &&
              r[col('chain_interval')] === b.interval,
          )!;
          expect(BigInt(vppRow[col('paid_base_units')]!)).toBe(-BigInt(b.total));
          const shares = bills.rows.filter(
            (r) =>
              r[col('level')] === 'prosumer' &&
              r[col('vpp')] === v.name &&
              r[col('chain_interval')] === b.interval,
          );
          expect(shares.length).toBe(v.prosumers);
          expect(shares.reduce((s, r) => s + BigInt(r[col('paid_base_units')]!), 0n)).toBe(-BigInt(b.total));
        }
      }
      const intervalsCsv = parseCsv(readFileSync(join(out, 'intervals.csv'), 'utf8'));
      expect(intervalsCsv.rows.length).toBe(INTERVALS * 2);
      const savingsCsv = parseCsv(readFileSync(join(out, 'savings.csv'), 'utf8'));
      expect(savingsCsv.rows.map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual([
        'vpp north ',
        'prosumer north flat-a',
        'prosumer north flat-b',
        'prosumer north flat-c',
        'vpp south ',
        'prosumer south house-1',
        'prosumer south house-2',
      ]);
      // The dashboard offers the same files.
      const download = await fetch(`${api}/v1/vpps/exports/bills.csv`);
      expect(download.headers.get('content-type')).toContain('text/csv');
      expect(await download.text()).toBe(readFileSync(join(out, 'bills.csv'), 'utf8'));
      for (const f of ['report.html', 'dayahead/north/report.html', 'dayahead/south/prices.csv'])
        expect(existsSync(join(out, f)), f).toBe(true);

      if (browser) {
        const report = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
        await report.goto(`file://${join(out, 'report.html')}`);
        expect(await report.locator('[data-testid=summary] tbody tr').count()).toBe(2);
        for (const name of ['deviations', 'bills', 'savings-vpp', 'savings-prosumer', 'dayahead-net']) {
          const c = await readChart(report, name);
          expect(c.axisTitles.length, name).toBeGreaterThanOrEqual(2);
          expect(c.legend.length, name).toBeGreaterThanOrEqual(2);
        }
        const reportBills = (await readChart(report, 'bills')).rows;
        const allBills = await Promise.all(
          final.vpps.map(async (v) =>
            (await client.bills(v.address, { from: ks[0]!, to: ks.at(-1)! })).bills.map((b) => ({
              vpp: v.name,
              n: Number(BigInt(b.interval) - ks[0]!) + 1,
              value: -gbp(b.total),
            })),
          ),
        );
        expect(rowSet(reportBills, ['n', 'vpp', 'value'])).toEqual(
          rowSet(allBills.flat(), ['n', 'vpp', 'value']),
        );
        await report.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
        await report.goto(`file://${join(out, 'dayahead/north/report.html')}`);
        const prices = await readChart(report, 'prices');
        expect(prices.axisTitles).toContain('time of day');
        expect(prices.ticks).toContain('12:00');
        expect(prices.legend).toContain('retail (grid sells)');
        expect((await readChart(report, 'prosumer-costs')).rows.length).toBeGreaterThan(0);
        await report.screenshot({ path: join(ARTIFACTS, 'dayahead-report.png'), fullPage: true });
      }

      demo!.kill('SIGINT'); // Ctrl-C ends the hold: the nodes stop and the demo writes its record
      expect(await exited, stderr).toBe(0);
      // The supervisor's log went to the file as JSON records (the report stayed text on stdout), and the
      // nodes logged in the same format.
      const records = (file: string) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      const supervisor = records(logFile);
      for (const r of supervisor) {
        expect(r).toMatchObject({
          level: expect.any(String),
          component: 'supervisor',
          msg: expect.any(String),
        });
        expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      expect(supervisor.map((r) => r.msg)).toContainEqual(expect.stringMatching(/^node-0 \(grid\) ready: /));
      expect(stdout).not.toContain('[supervisor]');
      expect(records(join(tmp, 'devnet', 'node-0', 'node.log'))[0]).toMatchObject({ component: 'node' });
      const record = JSON.parse(readFileSync(jsonOut, 'utf8')) as {
        reports: IntervalReport[];
        summary: DemoSummary;
      };
      expect(record.reports.map((r) => r.n)).toEqual([1, 2, 3]);
      for (const r of record.reports) {
        const a = r.auction;
        if (a) {
          // Bids were mined before the gate; the clearing is the first block at or past it.
          expect(a.status).toBe('cleared');
          for (const b of a.bids!) expect(b.height).toBeLessThan(a.clearing!.height);
          expect(r.clearingBlockTime!).toBeGreaterThanOrEqual(a.window.close);
          expect(r.clearingParentTime!).toBeLessThan(a.window.close);
          // Each confirmed bill carries exactly the clearing's trades and payments.
          for (const p of a.clearing!.participants) {
            const bill = r.bills.find((b) => b.name === r.vpps.find((v) => v.address === p.vpp)!.name)!;
            const sum = (kind: string) =>
              bill.lines.filter((l) => l.kind === kind).reduce((s, l) => s + BigInt(l.amount), 0n);
            if (p.side === 'buy') {
              expect(sum('auction-buy')).toBe(-BigInt(p.payment));
              expect(sum('grid-buy')).toBe(-BigInt(p.gridPayment));
            } else {
              expect(sum('auction-sell')).toBe(BigInt(p.payment));
              expect(sum('grid-sell')).toBe(BigInt(p.gridPayment));
            }
            expect(bill.clearingHeight).toBe(a.clearing!.height);
          }
        }
        for (const b of r.bills) expect(b.meteringHeight).toBeGreaterThan(0); // every VPP metered after delivery
      }
      // Tokens: every genesis account (the miners are among them) together holds the genesis supply.
      expect(record.summary.supply.end).toBe(record.summary.supply.start);
      for (const v of record.summary.vpps) {
        const fromReports = record.reports.reduce(
          (s, r) => s + BigInt(r.bills.find((b) => b.name === v.name)!.total),
          0n,
        );
        expect(BigInt(v.billTotalUnits!)).toBe(fromReports); // the node's bills read at the end
        expect(BigInt(v.realtimeUnits)).toBe(-fromReports);
      }
    }
  });
});
