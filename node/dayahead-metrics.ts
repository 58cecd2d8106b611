// The VPPs' day-ahead market runs in Prometheus: iterations, certified gap, seconds and convergence per VPP.
// The day-ahead market runs in each VPP's agent process, not in the node; the agents publish its figures
// in their published results (the JSON file the node serves at GET /v1/vpps, `--vpp-file`: each VPP's
// `dayAhead` { status, iteration, certifiedGap, converged, seconds }), and the node exports them as gauges,
// read from the file at every scrape. Why this way: the figures then reach Prometheus through the one
// endpoint already scraped, with no route for agents to push to and nothing more to secure; the file is
// written whole and renamed by the agents, so a scrape never reads half of it.
// The file comes from outside the node: it is checked field by field, and a VPP entry that is malformed is
// left out (vpp_published_results_valid says whether the file as a whole could be read).
import { readFile } from 'node:fs/promises';
import { Gauge, type Registry } from 'prom-client';

/** As many VPPs as GET /v1/vpps serves (api/vpps.ts): the bound on this label's values. */
const MAX_VPPS = 1000;
const ADDRESS = /^0x[0-9a-f]{40}$/;

export interface DayAheadFigures {
  vpp: string;
  iterations: number;
  certifiedGap: number | null;
  seconds: number | null;
  converged: boolean | null;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The day-ahead figures of a published results document, one entry per well-formed VPP (address and a
 * `dayAhead` with a non-negative iteration count); undefined when the document itself is malformed.
 */
export function dayAheadFigures(doc: unknown): DayAheadFigures[] | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const vpps = (doc as { vpps?: unknown }).vpps;
  if (!Array.isArray(vpps) || vpps.length > MAX_VPPS) return undefined;
  const out: DayAheadFigures[] = [];
  for (const v of vpps) {
    if (typeof v !== 'object' || v === null) continue;
    const { address, dayAhead } = v as { address?: unknown; dayAhead?: unknown };
    if (typeof address !== 'string' || !ADDRESS.test(address)) continue;
    if (typeof dayAhead !== 'object' || dayAhead === null) continue;
    const d = dayAhead as Record<string, unknown>;
    if (!finite(d.iteration) || d.iteration < 0) continue;
    out.push({
      vpp: address,
      iterations: d.iteration,
      certifiedGap: finite(d.certifiedGap) ? d.certifiedGap : null,
      seconds: finite(d.seconds) && d.seconds >= 0 ? d.seconds : null,
      converged: typeof d.converged === 'boolean' ? d.converged : null,
    });
  }
  return out;
}

/** Registers the day-ahead gauges, filled from `file` whenever the registry is scraped. */
export function exportDayAhead(registry: Registry, file: string): void {
  // prom-client collects all metrics of a scrape at once: the gauges share one read of the file.
  let reading: Promise<DayAheadFigures[] | undefined> | undefined;
  const read = (): Promise<DayAheadFigures[] | undefined> => {
    reading ??= readFile(file, 'utf8')
      .then((text) => dayAheadFigures(JSON.parse(text)))
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const registers = [registry];
  const perVpp = (name: string, help: string, value: (f: DayAheadFigures) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['vpp'],
      registers,
      async collect() {
        const figures = await read();
        this.reset();
        for (const f of figures ?? []) {
          const v = value(f);
          if (v !== null) this.set({ vpp: f.vpp }, v);
        }
      },
    });
  perVpp('vpp_dayahead_iterations', "iterations of a VPP's day-ahead market run so far", (f) => f.iterations);
  perVpp(
    'vpp_dayahead_certified_gap',
    "certified relative gap of a VPP's day-ahead market (absent until the run has certified one)",
    (f) => f.certifiedGap,
  );
  perVpp(
    'vpp_dayahead_seconds',
    "seconds a VPP's day-ahead market run took (absent while it runs)",
    (f) => f.seconds,
  );
  perVpp('vpp_dayahead_converged', "1 when a VPP's day-ahead market run converged, 0 when it did not", (f) =>
    f.converged === null ? null : f.converged ? 1 : 0,
  );
  new Gauge({
    name: 'vpp_published_results_valid',
    help: "1 when the VPP agents' published results file (--vpp-file) could be read and parsed, else 0",
    registers,
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
}
