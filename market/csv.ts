// CSV files in and out, through csv-parse and csv-stringify (RFC 4180: quoted fields with commas, quotes
// and line breaks inside; CRLF or LF; a UTF-8 byte-order mark is dropped). A table keeps its cells as
// text: a column becomes numbers only when it is read (`column`), and an empty or non-numeric cell is an
// error naming its line and column, never a silent 0.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export interface Table {
  /** Column names, trimmed (a CSV whose first column holds an index may leave its name empty). */
  header: string[];
  /** Cells as text, trimmed; every row has as many cells as the header. */
  rows: string[][];
  /** Line in the file where each row starts (1 = the header), for messages. */
  lines: number[];
  /** What to call the table in messages (its file name). */
  source: string;
}

export class CsvError extends Error {}

/** Parses CSV text with a header row. Throws CsvError naming the line of a malformed row. */
export function parseCsv(text: string, delimiter = ',', source = 'CSV'): Table {
  const options = {
    bom: true,
    delimiter,
    // Files edited by hand can mix line endings: accept each of them.
    record_delimiter: ['\r\n', '\n', '\r'],
    trim: true,
    skip_empty_lines: true,
    info: true,
  };
  type Row = { record: string[]; info: { lines: number } };
  let records: Row[];
  try {
    records = parse(text, { ...options, relax_column_count: false }) as unknown as Row[];
  } catch (err) {
    const e = err as { code?: string; message: string; lines?: number; record?: unknown[] };
    if (e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && e.lines !== undefined) {
      const width = (parse(text, { ...options, relax_column_count: true, to_line: 1 }) as unknown as Row[])[0]
        ?.record.length;
      const n = e.record?.length ?? 0;
      throw new CsvError(
        `${source}: line ${e.lines} has ${n} cell${n === 1 ? '' : 's'}, the header has ${width}`,
      );
    }
    throw new CsvError(`${source}: ${e.message}`);
  }
  if (records.length === 0) throw new CsvError(`${source}: empty file`);
  const header = records[0]!.record;
  const seen = new Set<string>();
  for (const h of header) {
    if (h !== '' && seen.has(h)) throw new CsvError(`${source}: column '${h}' appears twice in the header`);
    seen.add(h);
  }
  const data = records.slice(1);
  return {
    header,
    rows: data.map((r) => r.record),
    // csv-parse counts lines to a record's end: a quoted cell with line breaks starts it earlier.
    lines: data.map(
      (r) => r.info.lines - r.record.reduce((n, c) => n + (c.match(/\r\n|\n|\r/g)?.length ?? 0), 0),
    ),
    source,
  };
}

/** Reads a CSV file (a .tsv file is tab-separated unless a delimiter is given). */
export function readCsv(path: string, delimiter?: string): Table {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CsvError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseCsv(text, delimiter ?? (path.endsWith('.tsv') ? '\t' : ','), basename(path));
}

/** Index of a column by its header name; throws with the names there are. */
export function columnIndex(table: Table, name: string): number {
  const c = table.header.indexOf(name);
  if (c < 0) {
    const names = table.header.map((h) => (h === '' ? "''" : h));
    const shown =
      names.length > 12 ? `${names.slice(0, 12).join(', ')}, ... (${names.length} in all)` : names.join(', ');
    throw new CsvError(`no column '${name}' (columns: ${shown})`);
  }
  return c;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A cell as a number: empty and non-numeric cells are errors naming the line and the column. */
export function numberCell(table: Table, row: number, col: number): number {
  const cell = table.rows[row]![col]!;
  const where = `${table.source} line ${table.lines[row]}, column '${table.header[col]}'`;
  if (cell === '') throw new CsvError(`${where} is empty`);
  if (!NUMBER.test(cell)) throw new CsvError(`${where} is not a number: '${cell}'`);
  return Number(cell);
}

/** One column by header name, as numbers. */
export function column(table: Table, name: string): number[] {
  const c = columnIndex(table, name);
  return table.rows.map((_, r) => numberCell(table, r, c));
}

/** One column by header name, as text. */
export function textColumn(table: Table, name: string): string[] {
  const c = columnIndex(table, name);
  return table.rows.map((r) => r[c]!);
}

export type CsvCell = string | number | bigint | boolean | null | undefined;

/** Rows (the first one the header) as CSV text: fields with commas, quotes or line breaks are quoted. */
export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return stringify(
    rows.map((r) =>
      r.map((c) => (c === null || c === undefined ? '' : typeof c === 'string' ? c : String(c))),
    ),
    { record_delimiter: 'unix' },
  );
}
