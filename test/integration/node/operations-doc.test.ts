// A new user following docs/operations.md: "Two nodes from config files" run as written — its commands
// (genesis, init, node --config …, status) as child processes, its two TOML files as the config files, only
// the ports swapped for free ones and a's real multiaddr pasted where the doc has a placeholder — then
// "Monitoring": the targets of its prometheus.yml scraped as Prometheus would, standing in for Grafana by
// evaluating the board (docs/grafana/) against them: every metric its queries name is exported by both
// nodes (the day-ahead row's only with --vpp-file, as the doc says), its Node variable lists both targets,
// and its chain panels show the two nodes connected on one chain. Their logs are the JSON the files ask for.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../helpers/cli.ts';
import { freePortRange, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';
import { boards, familyOf, queriesOf } from '../metrics/board.ts';
import { metricNamesOf } from '../metrics/promql.ts';
import { metricFamilies, parseSamples, type Sample, sampleValue } from '../metrics/scenario.ts';

const DOC = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
/** The doc's ports, each replaced by a free one. */
const DOC_PORTS = [30401, 30402, 8701, 8702];
/** Exported only by a node started with --vpp-file (docs/operations.md, "Monitoring"). */
const WITH_VPP_FILE = /^vpp_(dayahead_|published_results_valid$)/;

const tmp = mkdtempSync(join(tmpdir(), 'vppchain-opsdoc-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** The body of a `## title` section of the doc. */
function section(title: string): string {
  const start = DOC.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/operations.md has no section "## ${title}"`);
  const end = DOC.indexOf('\n## ', start + 1);
  return DOC.slice(start, end < 0 ? undefined : end);
}

/** The code block of a section whose first line is `# label` (e.g. `# a.toml`), without that line. */
function block(body: string, lang: string, label: string): string {
  for (const m of body.matchAll(/```(\w+)\n([\s\S]*?)```/g))
    if (m[1] === lang && m[2]!.startsWith(`# ${label}`)) return m[2]!.slice(m[2]!.indexOf('\n') + 1);
  throw new Error(`no \`\`\`${lang} block starting "# ${label}" in docs/operations.md`);
}

/** The `vppchain …` commands of a shell block: arguments, and whether the line runs it in the background. */
const commands = (sh: string) =>
  sh
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const words = l.replace(/&$/, '').trim().split(/\s+/);
      expect(words[0], `a command of the doc: ${l}`).toBe('vppchain');
      return { line: l, args: words.slice(1), background: l.endsWith('&') };
    });

/** The environment without any vppchain configuration of the machine running the tests. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^VPPCHAIN_(?!TEST_)/.test(k)));

describe('docs/operations.md, followed', () => {
  it('two nodes from the config files it shows, connected, scraped as its prometheus.yml says, and every query of the Grafana board answered', {
    timeout: scaled(240_000),
  }, async () => {
    const base = await freePortRange(DOC_PORTS.length);
    const ports = new Map(DOC_PORTS.map((p, i) => [String(p), String(base + i)]));
    const local = (text: string) => text.replace(/\b(30401|30402|8701|8702)\b/g, (p) => ports.get(p)!);
    const twoNodes = section('Two nodes from config files');
    const monitoring = section('Monitoring with Prometheus and Grafana');

    // Setup: genesis and the two data directories; the first init's multiaddr is the second's bootstrap.
    let multiaddrOfA = '';
    for (const c of commands(local(block(twoNodes, 'sh', 'setup')))) {
      const r = await runCli(c.args, { cwd: tmp, env });
      expect(r.code, `${c.line}\n${r.err}`).toBe(0);
      if (c.args.includes('a') && c.args[0] === 'init') multiaddrOfA = /^multiaddr (\S+)$/m.exec(r.out)![1]!;
    }
    expect(multiaddrOfA).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/${base}/p2p/12D3KooW\\w+$`));

    // The config files as the doc writes them; the placeholder multiaddr is a's, as init printed it.
    const placeholder = /"\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW…"/;
    const bToml = local(block(twoNodes, 'toml', 'b.toml'));
    expect(bToml).toMatch(placeholder);
    writeFileSync(join(tmp, 'a.toml'), local(block(twoNodes, 'toml', 'a.toml')));
    writeFileSync(join(tmp, 'b.toml'), bToml.replace(placeholder, `"${multiaddrOfA}"`));

    // Start: the foreground commands run once both nodes are up and b has a's head (the doc's status line
    // says so), the background ones are the nodes.
    const start = commands(local(block(twoNodes, 'sh', 'start')));
    const nodes = start.filter((c) => c.background);
    expect(nodes.map((c) => c.args.join(' '))).toEqual(['node --config a.toml', 'node --config b.toml']);
    const printConfig = start.find((c) => c.args.includes('--print-config'))!;
    const shown = await runCli(printConfig.args, { cwd: tmp, env });
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(/^mine = true +# from a\.toml: \[node\] mine$/m);
    expect(shown.out).toMatch(
      new RegExp(`^api-port = ${base + 2} +# from a\\.toml: \\[node\\] api-port$`, 'm'),
    );

    const exits: Promise<number | null>[] = [];
    const output: string[] = [];
    for (const c of nodes) {
      const child = spawn(process.execPath, [CLI, ...c.args], {
        cwd: tmp,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.push(child);
      const i = output.push('') - 1;
      child.stdout!.on('data', (d) => (output[i] += d));
      child.stderr!.on('data', (d) => (output[i] += d));
      exits.push(new Promise((resolve) => child.on('exit', (code) => resolve(code))));
    }

    // Monitoring: the targets of the doc's prometheus.yml, as Prometheus scrapes them (GET /metrics).
    const yml = local(block(monitoring, 'yaml', 'prometheus.yml'));
    const targets = [.../targets:\s*\[([^\]]*)\]/.exec(yml)![1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    expect(targets).toEqual([`127.0.0.1:${base + 2}`, `127.0.0.1:${base + 3}`]);
    const scrape = async (target: string) => {
      const r = await fetch(`http://${target}/metrics`);
      expect(r.status).toBe(200);
      const text = await r.text();
      return { text, samples: parseSamples(text) };
    };
    const json = async <T>(url: string) => {
      const r = await fetch(url).catch(() => undefined);
      return r ? ((await r.json()) as T) : undefined;
    };
    type Status = { height: number; headHash: string; genesisHash: string; peers: number };
    const [a, b] = targets.map((t) => `http://${t}`) as [string, string];
    try {
      await waitFor(
        'a mining, b connected to it and at its head, both ready',
        async () => {
          const [sa, sb] = await Promise.all([
            json<Status>(`${a}/v1/status`),
            json<Status>(`${b}/v1/status`),
          ]);
          if (!sa || !sb || sa.height < 2 || sa.peers < 1 || sb.peers < 1 || sb.headHash !== sa.headHash)
            return false;
          const ready = await Promise.all([a, b].map((u) => fetch(`${u}/readyz`).then((r) => r.status)));
          return ready.every((s) => s === 200);
        },
        120_000,
      );
    } catch (err) {
      (err as Error).message += `\n--- a ---\n${output[0]}\n--- b ---\n${output[1]}`;
      throw err;
    }
    const statusLine = start.find((c) => c.args[0] === 'status')!;
    const status = await runCli(statusLine.args, { cwd: tmp, env });
    expect(status.code, status.err).toBe(0);
    const sa = (await json<Status>(`${a}/v1/status`))!;
    expect(status.out).toMatch(new RegExp(`^genesis +${sa.genesisHash}$`, 'm'));
    expect(status.out).toMatch(/^peers +1$/m);

    // The board against both targets. Prometheus adds `instance` (the target) to every sample.
    const scraped = await Promise.all(targets.map(scrape));
    const missing: string[] = [];
    const unexpected: string[] = [];
    for (const [i, { text }] of scraped.entries()) {
      const families = metricFamilies(text);
      for (const [file, board] of boards)
        for (const q of queriesOf(board))
          for (const name of metricNamesOf(q.expr)) {
            const exported = familyOf(name, families) !== undefined;
            if (WITH_VPP_FILE.test(name)) {
              if (exported) unexpected.push(`${targets[i]}: ${file}: ${q.where}: ${name}`);
            } else if (!exported) missing.push(`${targets[i]}: ${file}: ${q.where}: ${name}`);
          }
    }
    expect(missing, 'metrics the board queries that a node does not export').toEqual([]);
    expect(unexpected, 'day-ahead metrics of a node without --vpp-file (the doc says it has none)').toEqual(
      [],
    );
    const withInstance: Sample[] = scraped.flatMap(({ samples }, i) =>
      samples.map((x) => ({ ...x, labels: { ...x.labels, instance: targets[i]!, job: 'vppchain' } })),
    );
    // The Node variable: label_values(vpp_head_height, instance) lists both nodes.
    const nodeVariable = boards[0]![1].templating.list.find((v) => v.name === 'instance')!;
    const variableQuery =
      typeof nodeVariable.query === 'string' ? nodeVariable.query : nodeVariable.query.query;
    const variableMetric = /label_values\((\w+), instance\)/.exec(variableQuery)![1]!;
    expect(
      new Set(withInstance.filter((x) => x.name === variableMetric).map((x) => x.labels.instance)),
    ).toEqual(new Set(targets));
    // The chain panels of each node: one chain, each with the other as its peer, not syncing.
    for (const [i, { samples }] of scraped.entries()) {
      expect(sampleValue(samples, 'vpp_peers'), targets[i]).toBe(1);
      expect(sampleValue(samples, 'vpp_head_height'), targets[i]).toBeGreaterThanOrEqual(2);
      expect(sampleValue(samples, 'vpp_syncing'), targets[i]).toBe(0);
    }
    expect(sampleValue(scraped[0]!.samples, 'vpp_hash_rate')).toBeGreaterThan(0); // a mines
    expect(sampleValue(scraped[1]!.samples, 'vpp_hash_rate')).toBe(0);

    // Stop (SIGTERM, as `kill %1 %2`): clean exits, and the logs are the JSON lines the files ask for.
    for (const c of started) c.kill('SIGTERM');
    expect(await Promise.all(exits)).toEqual([0, 0]);
    expect(output).toEqual(['', '']); // everything went to the log files
    for (const name of ['a', 'b']) {
      const file = join(tmp, name, 'node.log');
      expect(existsSync(file), file).toBe(true);
      const records = readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.at(-1)).toMatchObject({ component: 'node', msg: 'stopped' });
      if (name === 'b')
        expect(records).toContainEqual(
          expect.objectContaining({ component: 'p2p', msg: 'peer connected', via: 'configured' }),
        );
    }
  });
});
