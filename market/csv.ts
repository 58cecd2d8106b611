// Minimal reader for the profile CSVs used by scenarios: a header row naming the columns, then one row
// per period. The CLNR files have an unnamed first column holding the period index.
import { readFileSync } from 'node:fs';

export interface Table {
  header: string[];
  rows: number[][];
}

export function parseCsv(text: string, delimiter = ','): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('empty file');
  const header = lines[0]!.split(delimiter).map((h) => h.trim());
  const rows = lines.slice(1).map((line, i) => {
    const cells = line.split(delimiter);
    if (cells.length !== header.length) {
      throw new Error(`row ${i + 2} has ${cells.length} cells, the header has ${header.length}`);
    }
    return cells.map((c) => Number(c));
  });
  return { header, rows };
}

export function readCsv(path: string): Table {
  return parseCsv(readFileSync(path, 'utf8'), path.endsWith('.tsv') ? '\t' : ',');
}

/** One column by header name; throws with the available names when it is missing. */
export function column(table: Table, name: string): number[] {
  const c = table.header.indexOf(name);
  if (c < 0) throw new Error(`no column '${name}' (columns: ${table.header.slice(0, 8).join(', ')}...)`);
  return table.rows.map((r) => r[c]!);
}
