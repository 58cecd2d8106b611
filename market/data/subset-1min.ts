// One-off preparation script (not used at run time): copies chosen columns of a CLNR 1-minute CSV, keeping
// the layout (header row of column indices, first column the 0-based minute) and rounding values to the
// source's precision of 3 decimals (the source has float noise such as 0.20299999999999999).
// Usage: node market/data/subset-1min.ts IN.csv OUT.csv COL[,COL...]
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, list] = process.argv.slice(2);
if (!input || !output || !list) throw new Error('usage: subset-1min.ts IN.csv OUT.csv COL[,COL...]');
const lines = readFileSync(input, 'utf8').trim().split(/\r?\n/);
const header = lines[0]!.split(',');
const wanted = list.split(',').map((name) => {
  const c = header.indexOf(name);
  if (c < 1) throw new Error(`no column '${name}' in ${input}`);
  return c;
});
const out = [['', ...wanted.map((c) => header[c])].join(',')];
for (const line of lines.slice(1)) {
  const cells = line.split(',');
  out.push([cells[0], ...wanted.map((c) => String(Number(Number(cells[c]).toFixed(3))))].join(','));
}
writeFileSync(output, out.join('\n') + '\n');
