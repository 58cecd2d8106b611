// One-off preparation script (not used at run time): averages a CLNR 1-minute CSV into 15-minute means,
// keeping the same layout (header row of column indices, first column the 0-based period).
// Usage: node market/data/aggregate-1min.ts IN.csv OUT.csv [minutesPerPeriod=15]
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, minutesArg] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: aggregate-1min.ts IN.csv OUT.csv [minutes]');
const minutes = Number(minutesArg ?? 15);
const lines = readFileSync(input, 'utf8').trim().split(/\r?\n/);
const header = lines[0]!;
const rows = lines.slice(1).map((l) => l.split(',').slice(1).map(Number));
const out = [header];
for (let p = 0; p * minutes < rows.length; p++) {
  const chunk = rows.slice(p * minutes, (p + 1) * minutes);
  const means = chunk[0]!.map((_, c) => chunk.reduce((s, r) => s + r[c]!, 0) / chunk.length);
  out.push([p, ...means.map((v) => Number(v.toFixed(5)))].join(','));
}
writeFileSync(output, out.join('\n') + '\n');
