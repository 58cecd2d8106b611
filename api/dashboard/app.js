// vppchain dashboard: plain ES modules, no build step; charts by Vega-Lite (charts.js, also used by the run's
// report). Reads the node's REST API and follows its server-sent events (one EventSource; refreshes are
// debounced, so no polling storms). While the nodes start and the day-ahead markets solve it shows what is
// happening (from GET /v1/vpps), then the auction, the run interval by interval, savings and bills.
import { auctionChart, runCharts } from './charts.js';
import { $, drawn, esc, money, renderCards, renderChart, renderLoading, short, wh } from './panels.js';

async function api(path) {
  const r = await fetch(path, { headers: { accept: 'application/json' } });
  if (!r.ok) throw Object.assign(new Error(`${path}: HTTP ${r.status}`), { status: r.status });
  return r.json();
}

const state = {
  reorgs: 0,
  lastReorgDepth: 0,
  names: new Map(),
  selected: null,
  intervalEnd: undefined,
  published: null,
  /** Phases the page has shown, in order (for a reader and for tests). */
  phases: [],
};
window.dashboard = { drawn, state };

function debounce(fn, ms) {
  let t;
  return () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
}

const PHASES = {
  starting: 'starting the nodes',
  'day-ahead': 'solving day-ahead markets',
  running: 'trading in real time',
  finished: 'finished',
  stopped: 'stopped',
};

function showPhase(phase) {
  const badge = $('phase');
  badge.textContent = PHASES[phase] ?? phase;
  badge.dataset.phase = phase;
  if (state.phases.at(-1) !== phase) state.phases.push(phase);
}

async function refreshChain() {
  const s = await api('/v1/status');
  $('chain').innerHTML = [
    ['height', s.height],
    ['head', `<code>${short(s.headHash)}</code>`],
    ['peers', s.peers],
    ['hash rate', s.hashRate ? `${(s.hashRate / 1e6).toFixed(2)} MH/s` : '—'],
    ['mempool', s.mempoolSize],
    ['reorgs seen', `${state.reorgs}${state.reorgs ? ` (last depth ${state.lastReorgDepth})` : ''}`],
  ]
    .map(([k, v]) => `<span>${k} <b data-testid="chain-${k.replace(/\s/g, '-')}">${v}</b></span>`)
    .join('');
  const from = Math.max(0, s.height - 9);
  const page = await api(`/v1/blocks?from=${from}&limit=10`);
  const blocks = [...page.blocks].reverse();
  // Blocks with transactions: fetch their details to list them (at most ten small requests per head).
  const details = await Promise.all(
    blocks.map((b) => (b.txCount > 0 ? api(`/v1/blocks/${b.hash}`).catch(() => null) : null)),
  );
  const txLabel = (t) => {
    const p = t.transaction?.payload ?? t.payload ?? {};
    const what = p.kind === 'call' ? `${p.contractName ?? p.contract}.${p.methodName ?? p.method}` : p.kind;
    return `<span title="${esc(t.hash)}">${esc(what)} <code>${t.hash.slice(0, 6)}</code></span>`;
  };
  $('blocks').querySelector('tbody').innerHTML = blocks
    .map(
      (b, i) =>
        `<tr><td>${b.height}</td><td><code>${short(b.hash)}</code></td><td>${new Date(b.timestamp).toLocaleTimeString()}</td><td data-testid="block-txs">${details[i] ? details[i].transactions.map(txLabel).join(', ') || '—' : b.txCount}</td><td><code>${esc(state.names.get(b.miner) ?? short(b.miner))}</code></td></tr>`,
    )
    .join('');
}

/** Finds recent intervals with bids: walks back from the current interval. */
async function refreshIntervals() {
  const cur = await api('/v1/auctions/current');
  state.intervalEnd = cur.window.deliveryEnd;
  const k = BigInt(cur.interval);
  const ks = [];
  for (let i = k + 2n; i >= 0n && i >= k - 30n; i--) ks.push(i);
  const views = await Promise.all(ks.map((i) => (i === k ? cur : api(`/v1/auctions/${i}`))));
  const options = views.filter((a) => a.bidCount > 0);
  const run = state.published?.intervals ?? [];
  const label = (a) => {
    const it = run.find((x) => x.interval === a.interval);
    return it ? `${it.n} of the run (chain ${a.interval})` : `chain interval ${a.interval}`;
  };
  const sel = $('interval');
  const keep = state.selected;
  sel.innerHTML = options
    .map((a) => `<option value="${a.interval}">${esc(label(a))} — ${a.status}</option>`)
    .join('');
  const firstCleared = options.find((a) => a.status === 'cleared');
  state.selected =
    keep && options.some((a) => a.interval === keep)
      ? keep
      : ((firstCleared ?? options[0])?.interval ?? null);
  if (state.selected !== null) sel.value = state.selected;
  await refreshAuction();
}

async function refreshAuction() {
  if (state.selected === null) {
    $('auction-status').textContent = 'no bids yet';
    return;
  }
  const a = await api(`/v1/auctions/${state.selected}`);
  $('auction-status').textContent =
    `${a.status}, gate ${new Date(a.window.close).toLocaleTimeString()}, ${a.bidCount} bids`;
  if (a.bids) await renderChart('auction', auctionChart(a, state.names));
  const c = a.clearing;
  $('clearing-facts').innerHTML = c
    ? [
        ['cleared in block', c.height],
        ['traded between VPPs', wh(c.tradedWh)],
        ['welfare', money(c.welfare)],
        ['VCG deficit', money(c.deficit)],
        ['grid sold', wh(c.grid.soldWh)],
        ['grid bought', wh(c.grid.boughtWh)],
      ]
        .map(([k, v]) => `<span>${k} <b data-testid="clearing-${k.replace(/\s/g, '-')}">${v}</b></span>`)
        .join('')
    : '<span class="muted">not cleared yet</span>';
  $('trades').querySelector('tbody').innerHTML = (c?.participants ?? [])
    .map((p) => {
      return `<tr data-vpp="${p.vpp}" data-payment="${p.payment}"><td>${esc(state.names.get(p.vpp) ?? short(p.vpp))}</td><td>${p.side === 'buy' ? 'buys' : 'sells'}</td><td class="num">${wh(p.qtyWh)}</td><td class="num" data-testid="payment">${p.qtyWh === '0' ? '—' : `${money(p.payment)} ${p.side === 'buy' ? 'paid' : 'received'}`}</td><td class="num">${wh(p.gridWh)}</td><td class="num">${p.gridWh === '0' ? '—' : `${money(p.gridPayment)} ${p.side === 'buy' ? 'paid' : 'received'}`}</td></tr>`;
    })
    .join('');
}

async function refreshBills() {
  const run = state.published?.intervals ?? [];
  const vpps = state.published?.vpps ?? [];
  if (run.length === 0 || vpps.length === 0) return;
  const from = run.at(-1).interval;
  const first = run.length > 200 ? run.at(-200).interval : run[0].interval;
  const nOf = new Map(run.map((it) => [it.interval, it]));
  const pages = await Promise.all(vpps.map((v) => api(`/v1/bills/${v.address}?from=${first}&to=${from}`)));
  const rows = pages
    .flatMap((p, i) => p.bills.map((b) => ({ b, vpp: vpps[i].name })))
    .sort((x, y) => Number(BigInt(y.b.interval) - BigInt(x.b.interval)) || x.vpp.localeCompare(y.vpp));
  $('bills').querySelector('tbody').innerHTML = rows
    .map(({ b, vpp }) => {
      const it = nOf.get(b.interval);
      const when = it
        ? `${it.n} <span class="muted">(${esc(clockOf(it.minute))}, chain ${b.interval})</span>`
        : b.interval;
      const lines = b.lines
        .map((l) => `${esc(l.kind)} ${wh(l.wh)}: ${money(-Number(l.amount), true)}`)
        .join('<br>');
      return `<tr data-vpp="${esc(vpp)}" data-interval="${b.interval}" data-total="${b.total}"><td>${esc(vpp)}</td><td>${when}</td><td>${lines || '<span class="muted">no lines</span>'}</td><td class="num" data-testid="bill-total">${money(-Number(b.total), true)}</td><td class="${b.confirmed ? 'ok' : 'pending'}">${b.confirmed ? 'confirmed' : 'pending'}</td></tr>`;
    })
    .join('');
}

const clockOf = (minute) => {
  const m = ((minute % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

async function refreshVpps() {
  let published;
  try {
    published = await api('/v1/vpps');
  } catch (err) {
    // Nothing published yet: the demo is still starting.
    if (err.status === 404) published = { vpps: [], run: { phase: 'starting' } };
    else throw err;
  }
  state.published = published;
  for (const v of published.vpps ?? []) state.names.set(v.address, v.name);
  const run = published.run;
  showPhase(run?.phase ?? 'starting');
  if (run?.name) $('run-name').textContent = run.name;
  const loading = renderLoading(published);
  const hasResults = (published.intervals ?? []).length > 0;
  $('overview').hidden = !hasResults;
  $('history-section').hidden = !hasResults;
  $('savings-section').hidden = !hasResults;
  $('dayahead-section').hidden = loading;
  if (hasResults) renderCards(published);
  const charts = runCharts(published);
  for (const c of charts) await renderChart(c.name, c);
  for (const name of [
    'deviations',
    'traded',
    'prices',
    'payments',
    'bills',
    'savings-vpp',
    'savings-prosumer',
  ])
    if (!charts.some((c) => c.name === name)) await renderChart(name, null);
}

const refreshHead = debounce(() => {
  refreshChain().catch(console.error);
}, 200);
const refreshMarket = debounce(() => {
  refreshVpps()
    .then(() => Promise.all([refreshIntervals(), refreshBills()]))
    .catch(console.error);
}, 300);

$('interval').addEventListener('change', (e) => {
  state.selected = e.target.value;
  refreshAuction().catch(console.error);
});

const events = new EventSource('/v1/events');
events.addEventListener('head', () => refreshHead());
events.addEventListener('reorg', (e) => {
  const r = JSON.parse(e.data);
  state.reorgs++;
  state.lastReorgDepth = r.data?.depth ?? 0;
  refreshHead();
});
// The market panels change with clearings and bills, and (open auctions) when a new interval begins: not
// with every block.
for (const kind of ['auction.cleared', 'bill.updated']) events.addEventListener(kind, () => refreshMarket());
events.addEventListener('head', (e) => {
  const head = JSON.parse(e.data).data;
  if (state.intervalEnd !== undefined && head.timestamp >= state.intervalEnd) {
    state.intervalEnd = undefined;
    refreshMarket();
  }
});
// While the nodes start and the day-ahead markets solve, nothing happens on chain that says so: ask the
// published file every 2 s until real-time trading begins.
const loadingPoll = setInterval(() => {
  const phase = state.published?.run?.phase;
  if (
    phase &&
    phase !== 'starting' &&
    phase !== 'day-ahead' &&
    (state.published.intervals ?? []).length > 0
  ) {
    clearInterval(loadingPoll);
    refreshMarket();
    return;
  }
  refreshVpps().catch(console.error);
}, 2000);

await refreshVpps().catch(console.error);
await refreshChain().catch(console.error);
await refreshIntervals().catch(console.error);
await refreshBills().catch(console.error);
