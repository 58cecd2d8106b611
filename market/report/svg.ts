// Dependency-free SVG line charts for the HTML report.
export interface Series {
  name: string;
  values: number[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChart(
  title: string,
  series: Series[],
  options: { xLabel: string; yLabel: string; logY?: boolean; step?: boolean },
): string {
  const W = 640;
  const H = 280;
  const L = 60;
  const R = 150;
  const Tm = 28;
  const B = 40;
  const tf = (v: number) => (options.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const finite = series.flatMap((s) => s.values.map(tf)).filter((v) => Number.isFinite(v));
  if (finite.length === 0) return `<p>${escapeXml(title)}: no data</p>`;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi - lo < 1e-12) {
    hi += 1;
    lo -= 1;
  }
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i: number) => L + ((W - L - R) * i) / Math.max(n - 1, 1);
  const y = (v: number) => Tm + ((H - Tm - B) * (hi - tf(v))) / (hi - lo);
  const paths = series.map((s, k) => {
    const pts: string[] = [];
    s.values.forEach((v, i) => {
      if (!Number.isFinite(tf(v))) return;
      if (options.step && i > 0) pts.push(`${x(i).toFixed(1)},${y(s.values[i - 1]!).toFixed(1)}`);
      pts.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    });
    const colour = COLOURS[k % COLOURS.length];
    return (
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${pts.join(' ')}"/>` +
      `<text x="${W - R + 8}" y="${Tm + 14 * k + 10}" fill="${colour}" font-size="11">${escapeXml(s.name)}</text>`
    );
  });
  const ticks = [0, 0.5, 1].map((f) => {
    const v = lo + f * (hi - lo);
    const label = options.logY ? `1e${v.toFixed(1)}` : v.toPrecision(3);
    const yy = Tm + (H - Tm - B) * (1 - f);
    return `<text x="${L - 4}" y="${yy + 4}" text-anchor="end" font-size="10">${label}</text><line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<text x="${L}" y="16" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
    ...ticks,
    `<line x1="${L}" x2="${L}" y1="${Tm}" y2="${H - B}" stroke="#333"/>`,
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle" font-size="11">${escapeXml(options.xLabel)} (0 to ${n - 1})</text>`,
    `<text x="12" y="${(Tm + H - B) / 2}" font-size="11" transform="rotate(-90 12 ${(Tm + H - B) / 2})" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    ...paths,
    '</svg>',
  ].join('\n');
}
