// vppchain dashboard: plain ES module, no build step. Reads the node's REST API and follows its
// server-sent events (one EventSource; refreshes are debounced, so no polling storms).
const $ = (id) => document.getElementById(id);
const short = (h) => `${h.slice(0, 10)}…`;
const fmt = (n) => BigInt(n).toLocaleString('en-GB');
const esc = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

async function api(path) {
  const r = await fetch(path, { headers: { accept: 'application/json' } });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

const state = {
  reorgs: 0,
  lastReorgDepth: 0,
  names: new Map(),
  selected: null,
  status: null,
  intervalEnd: undefined,
};

function debounce(fn, ms) {
  let t;
  return () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
}

async function refreshChain() {
  const s = await api('/v1/status');
  state.status = s;
  $('chain').innerHTML = [
    ['chain', `${esc(s.chainName ?? '')} (${s.chainId})`],
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
        `<tr><td>${b.height}</td><td><code>${short(b.hash)}</code></td><td>${new Date(b.timestamp).toLocaleTimeString()}</td><td data-testid="block-txs">${details[i] ? details[i].transactions.map(txLabel).join(', ') : b.txCount}</td><td><code>${short(b.miner)}</code></td></tr>`,
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
  const sel = $('interval');
  const keep = state.selected;
  sel.innerHTML = options
    .map((a) => `<option value="${a.interval}">${a.interval} (${a.status})</option>`)
    .join('');
  const firstCleared = options.find((a) => a.status === 'cleared');
  state.selected =
    keep && options.some((a) => a.interval === keep)
      ? keep
      : ((firstCleared ?? options[0])?.interval ?? null);
  if (state.selected !== null) sel.value = state.selected;
  await refreshAuction();
}

function stepsOf(bids, side) {
  const steps = [];
  for (const b of bids ?? []) if (b.side === side) for (const s of b.steps) steps.push({ ...s, vpp: b.vpp });
  steps.sort((x, y) => (side === 'buy' ? y.price - x.price : x.price - y.price));
  return steps;
}

function drawCurves(a) {
  const svg = $('curves');
  const demand = stepsOf(a.bids, 'buy');
  const supply = stepsOf(a.bids, 'sell');
  const totalQ = Math.max(
    1,
    demand.reduce((s, x) => s + x.qty, 0),
    supply.reduce((s, x) => s + x.qty, 0),
  );
  const maxP = Math.max(
    1,
    a.prices.gridSellPrice * 1.2,
    ...demand.map((s) => s.price),
    ...supply.map((s) => s.price),
  );
  const W = 480,
    H = 250,
    X0 = 30,
    Y0 = 270;
  const x = (q) => X0 + (q / totalQ) * W;
  const y = (p) => Y0 - (Math.min(p, maxP) / maxP) * H;
  const path = (steps) => {
    let q = 0;
    let d = '';
    for (const s of steps) {
      d += `${d ? 'L' : 'M'}${x(q)},${y(s.price)} L${x(q + s.qty)},${y(s.price)} `;
      q += s.qty;
    }
    return d;
  };
  const line = (p, color, label) =>
    `<line x1="${X0}" x2="${X0 + W}" y1="${y(p)}" y2="${y(p)}" stroke="${color}" stroke-dasharray="4 3"/><text x="${X0 + W - 4}" y="${y(p) - 3}" text-anchor="end" font-size="10" fill="${color}">${label} ${p}</text>`;
  const traded = a.clearing ? Number(a.clearing.tradedWh) : 0;
  svg.innerHTML = `
    <line x1="${X0}" y1="${Y0}" x2="${X0 + W}" y2="${Y0}" stroke="#999"/><line x1="${X0}" y1="${Y0}" x2="${X0}" y2="${Y0 - H}" stroke="#999"/>
    <text x="${X0 + W}" y="${Y0 + 14}" text-anchor="end" font-size="10">Wh (total ${totalQ})</text>
    <text x="${X0 - 4}" y="${Y0 - H - 4}" font-size="10">price per kWh (base units)</text>
    ${line(a.prices.gridSellPrice, '#b54708', 'grid sells')}${line(a.prices.gridBuyPrice, '#067647', 'grid buys')}
    <path d="${path(demand)}" fill="none" stroke="#1f6feb" stroke-width="2" data-testid="demand"/>
    <path d="${path(supply)}" fill="none" stroke="#cf222e" stroke-width="2" data-testid="supply"/>
    ${traded ? `<line x1="${x(traded)}" x2="${x(traded)}" y1="${Y0}" y2="${Y0 - H}" stroke="#6e40c9"/><text x="${x(traded) + 3}" y="${Y0 - H + 10}" font-size="10" fill="#6e40c9">traded ${traded} Wh</text>` : ''}`;
}

async function refreshAuction() {
  if (state.selected === null) {
    $('auction-status').textContent = 'no bids yet';
    return;
  }
  const a = await api(`/v1/auctions/${state.selected}`);
  $('auction-status').textContent =
    `${a.status}, gate ${new Date(a.window.close).toLocaleTimeString()}, ${a.bidCount} bids`;
  drawCurves(a);
  const c = a.clearing;
  $('clearing-facts').innerHTML = c
    ? [
        ['cleared in block', c.height],
        ['traded', `${fmt(c.tradedWh)} Wh`],
        ['welfare', fmt(c.welfare)],
        ['VCG deficit', fmt(c.deficit)],
        ['grid sold', `${fmt(c.grid.soldWh)} Wh`],
        ['grid bought', `${fmt(c.grid.boughtWh)} Wh`],
      ]
        .map(([k, v]) => `<span>${k} <b data-testid="clearing-${k.replace(/\s/g, '-')}">${v}</b></span>`)
        .join('')
    : '<span class="muted">not cleared yet</span>';
  $('trades').querySelector('tbody').innerHTML = (c?.participants ?? [])
    .map(
      (p) =>
        `<tr data-vpp="${p.vpp}"><td>${esc(state.names.get(p.vpp) ?? short(p.vpp))}</td><td>${p.side}</td><td class="num">${fmt(p.qtyWh)}</td><td class="num" data-testid="payment">${fmt(p.payment)}</td><td class="num">${fmt(p.gridWh)}</td><td class="num">${fmt(p.gridPayment)}</td></tr>`,
    )
    .join('');
  const bills = c ? await api(`/v1/bills?interval=${a.interval}`) : { bills: [] };
  $('bills').querySelector('tbody').innerHTML = bills.bills
    .map(
      (b) =>
        `<tr><td>${esc(state.names.get(b.vpp) ?? short(b.vpp))}</td><td>${b.interval}</td><td>${b.lines.map((l) => `${l.kind} ${fmt(l.wh)} Wh: ${fmt(l.amount)}`).join('<br>')}</td><td class="num" data-testid="bill-total">${fmt(b.total)}</td><td class="${b.confirmed ? 'ok' : 'pending'}">${b.confirmed ? 'confirmed' : 'pending'}</td></tr>`,
    )
    .join('');
}

async function refreshVpps() {
  let summary;
  try {
    summary = await api('/v1/vpps');
  } catch {
    return;
  }
  for (const v of summary.vpps ?? []) state.names.set(v.address, v.name);
  if (!summary.vpps?.length) return;
  $('vpps').innerHTML = summary.vpps
    .map(
      (v) => `<div class="vpp"><h3>${esc(v.name)} <span class="muted">${short(v.address)}</span></h3>
        <div class="facts"><span>prosumers <b>${v.prosumers ?? '—'}</b></span><span>traditional cost <b>${v.traditionalCost ?? '—'}</b></span>
        <span>P2P day-ahead + real-time cost <b>${v.p2pCost ?? '—'}</b></span><span>savings <b data-testid="savings">${v.savings ?? '—'}</b></span></div>
        ${v.prices ? chart(v.prices, 'internal price (£/kWh) per period') : ''}${v.soc ? chart(v.soc, 'battery state of charge (kWh)') : ''}${v.net ? chart(v.net, 'net position with the grid (kWh)') : ''}</div>`,
    )
    .join('');
}

function chart(values, title) {
  const vals = values.map((v) => (v === null ? 0 : Number(v)));
  // Scale to the data's range, zero included, so all-positive series use the whole height.
  const lo = Math.min(0, ...vals);
  const hi = Math.max(0, ...vals, lo + 1e-9);
  const W = 480;
  const H = 80;
  const y = (v) => H - 4 - ((v - lo) / (hi - lo)) * (H - 8);
  const pts = vals.map((v, i) => `${(i / Math.max(1, vals.length - 1)) * W},${y(v)}`).join(' ');
  return `<figure><svg viewBox="0 0 ${W} ${H}"><line x1="0" x2="${W}" y1="${y(0)}" y2="${y(0)}" stroke="#ccc"/><polyline points="${pts}" fill="none" stroke="#1f6feb"/></svg><figcaption>${title} (range ${lo.toFixed(3)} to ${hi.toFixed(3)})</figcaption></figure>`;
}

const refreshAll = debounce(() => {
  refreshChain().catch(console.error);
}, 200);
const refreshMarket = debounce(() => {
  refreshIntervals().catch(console.error);
  refreshVpps().catch(console.error);
}, 300);

$('interval').addEventListener('change', (e) => {
  state.selected = e.target.value;
  refreshAuction().catch(console.error);
});

const events = new EventSource('/v1/events');
events.addEventListener('head', () => refreshAll());
events.addEventListener('reorg', (e) => {
  const r = JSON.parse(e.data);
  state.reorgs++;
  state.lastReorgDepth = r.data?.depth ?? 0;
  refreshAll();
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

await refreshVpps().catch(() => undefined);
await refreshChain();
await refreshIntervals();
