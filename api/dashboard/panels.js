// Dashboard helpers: formatting (GBP, Wh), the chart renderer (vega in the browser, SVG, with a tooltip)
// and the small panels that are tables rather than charts. Plain ES module, no build step.
import { withConfig } from './charts.js';

export const $ = (id) => document.getElementById(id);
export const esc = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
export const short = (h) => `${h.slice(0, 10)}…`;

/** Base units (1,000,000 = £1) as pounds; signed when asked. */
export function money(units, signed = false) {
  const x = Number(units) / 1e6;
  const s = `£${Math.abs(x).toFixed(4)}`;
  if (!signed) return x < 0 ? `−${s}` : s;
  return x > 0 ? `+${s}` : x < 0 ? `−${s}` : s;
}
export const gbpText = (x, signed = false) => money(Math.round(x * 1e6), signed);
export const wh = (n) => `${Number(n).toLocaleString('en-GB')} Wh`;

/** What the page has drawn, for a reader's console and for tests: name → { rows, spec }. */
export const drawn = new Map();
const views = new Map();

const tip = () => $('tooltip');
function tooltipHandler(_handler, event, _item, value) {
  const el = tip();
  if (value === null || value === undefined || value === '') {
    el.hidden = true;
    return;
  }
  const entries = typeof value === 'object' ? Object.entries(value) : [['', value]];
  el.innerHTML = entries
    .map(([k, v]) => `<div>${k ? `<span class="k">${esc(k)}</span> ` : ''}<b>${esc(v)}</b></div>`)
    .join('');
  el.hidden = false;
  const x = Math.min(event.clientX + 14, window.innerWidth - el.offsetWidth - 8);
  el.style.left = `${x}px`;
  el.style.top = `${event.clientY + 14}px`;
}

/** Draws (or redraws) a chart into its figure; a missing chart hides the figure. */
export async function renderChart(name, chart) {
  const figure = document.querySelector(`figure[data-chart="${name}"]`);
  if (!figure) return;
  const old = views.get(name);
  if (!chart || chart.rows.length === 0) {
    figure.hidden = true;
    drawn.delete(name);
    return;
  }
  figure.hidden = false;
  const vis = figure.querySelector('.vis');
  const spec = window.vegaLite.compile(withConfig(chart.spec)).spec;
  const view = new window.vega.View(window.vega.parse(spec), {
    renderer: 'svg',
    container: vis,
    hover: true,
  });
  view.tooltip(tooltipHandler);
  await view.runAsync();
  old?.finalize();
  views.set(name, view);
  drawn.set(name, { rows: chart.rows, spec: chart.spec });
  figure.dataset.rendered = String(Date.now());
}

/** The loading state: what is happening while there are no results yet. */
export function renderLoading(published) {
  const run = published?.run;
  const phase = run?.phase ?? 'starting';
  const first = phase === 'running' && (published?.intervals ?? []).length === 0;
  const loading = phase === 'starting' || phase === 'day-ahead' || first;
  $('loading').hidden = !loading;
  if (!loading) return false;
  const vpps = published?.vpps ?? [];
  const solved = vpps.length > 0 && vpps.every((v) => v.dayAhead?.status === 'done');
  $('loading-title').textContent =
    phase === 'starting'
      ? 'Starting the nodes…'
      : first
        ? 'Trading the first interval…'
        : solved
          ? 'Day-ahead markets solved: waiting for the first interval…'
          : 'Solving the day-ahead markets…';
  $('loading-text').textContent = first
    ? 'The VPPs have bid their deviations; the first results appear once the interval is cleared, delivered, metered and its bills confirmed.'
    : (run?.message ??
      (phase === 'starting'
        ? 'The grid operator and every VPP start a node; the agents begin once the nodes are connected and mining.'
        : 'Each VPP clears a P2P market among its own prosumers for the whole day; real-time trading starts when all are done.'));
  $('progress').querySelector('tbody').innerHTML = vpps
    .map((v) => {
      const d = v.dayAhead ?? { status: 'waiting', iteration: 0, maxIterations: 0 };
      const pct = d.maxIterations ? Math.min(100, (100 * d.iteration) / d.maxIterations) : 0;
      const status =
        d.status === 'done'
          ? `done: ${d.converged ? 'converged' : 'NOT converged'} in ${d.seconds?.toFixed(1) ?? '?'} s`
          : d.status === 'solving'
            ? `<span class="bar"><span style="width:${pct.toFixed(0)}%"></span></span> solving`
            : 'waiting';
      return `<tr data-vpp="${esc(v.name)}"><td>${esc(v.name)} <span class="muted">${esc(v.label ?? '')}</span></td><td>${v.prosumers ?? '—'}</td><td>${status}</td><td class="num">${d.iteration || '—'}</td><td class="num">${d.relativeImbalance === null || d.relativeImbalance === undefined ? '—' : d.relativeImbalance.toExponential(1)}</td><td class="num">${d.certifiedGap === null || d.certifiedGap === undefined ? '—' : `${(100 * d.certifiedGap).toFixed(3)}%`}</td></tr>`;
    })
    .join('');
  return true;
}

/** One card per VPP: traditional vs P2P cost so far and the saving. */
export function renderCards(published) {
  const run = published.run;
  const minutes = (run?.completed ?? 0) * (run?.minutesPerInterval ?? 5);
  $('overview-note').textContent =
    `${run?.completed ?? 0} intervals, ${minutes} minutes of the simulated day`;
  $('cards').innerHTML = published.vpps
    .map((v) => {
      const saving = v.savings ?? 0;
      return `<div class="card" data-vpp="${esc(v.name)}"><h3>${esc(v.name)} <span class="muted">${esc(v.label ?? '')}</span></h3>
        <div class="row"><span>traditional</span><b>${v.traditionalCost === null || v.traditionalCost === undefined ? '—' : gbpText(v.traditionalCost)}</b></div>
        <div class="row"><span>P2P day-ahead + real time</span><b>${v.p2pCost === null || v.p2pCost === undefined ? '—' : gbpText(v.p2pCost)}</b></div>
        <div class="row saving ${saving >= 0 ? 'good' : 'bad'}"><span>${saving >= 0 ? 'saving' : 'extra cost'}</span><b data-testid="savings">${gbpText(Math.abs(saving))}</b></div>
        <div class="muted small">${v.prosumers ?? '?'} prosumers · ${esc(v.framework ?? '')} market</div></div>`;
    })
    .join('');
}
