// CSV in and out (market/csv.ts, csv-parse / csv-stringify): quoting, a byte-order mark, mixed line
// endings, and errors that name the line and the column instead of silently reading 0.
import { describe, expect, it } from 'vitest';
import { CsvError, column, parseCsv, textColumn, toCsv } from '../../../market/csv.ts';

describe('CSV', () => {
  it('reads quoted fields with commas, quotes and line breaks, drops a BOM and accepts CRLF and LF', () => {
    const t = parseCsv('\uFEFF"home, north",note\r\n"1.5","say ""hi""\nthere"\n\n2,plain\r\n', ',', 'm.csv');
    expect(t.header).toEqual(['home, north', 'note']);
    expect(column(t, 'home, north')).toEqual([1.5, 2]);
    expect(textColumn(t, 'note')).toEqual(['say "hi"\nthere', 'plain']);
    // The second record starts on line 5 (the first one spans lines 2 and 3; a blank line is skipped).
    expect(t.lines).toEqual([2, 5]);
  });

  it('names an empty cell, a non-number and a missing column instead of reading 0', () => {
    const t = parseCsv('time,a,b\n00:00,1,\n00:30,x,2\n', ',', 'm.csv');
    expect(() => column(t, 'b')).toThrow("m.csv line 2, column 'b' is empty");
    expect(() => column(t, 'a')).toThrow("m.csv line 3, column 'a' is not a number: 'x'");
    expect(() => column(t, 'c')).toThrow("no column 'c' (columns: time, a, b)");
    expect(() => column(parseCsv('a\n1,5\n'), 'a')).toThrow(CsvError);
  });

  it('names a row with the wrong number of cells, a repeated header and an empty file', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', ',', 'x.csv')).toThrow(
      'x.csv: line 3 has 1 cell, the header has 2',
    );
    expect(() => parseCsv('a,a\n1,2\n', ',', 'x.csv')).toThrow("column 'a' appears twice");
    expect(() => parseCsv('\n\n', ',', 'x.csv')).toThrow('x.csv: empty file');
  });

  it('writes fields that need it quoted, and what it writes reads back the same', () => {
    const rows = [
      ['vpp', 'prosumer', 'amount'],
      ['north, "A"', 'flat\n2', -0.014662],
      ['south', '', 12n],
    ];
    const text = toCsv(rows);
    expect(text).toBe('vpp,prosumer,amount\n"north, ""A""","flat\n2",-0.014662\nsouth,,12\n');
    const back = parseCsv(text);
    expect(back.header).toEqual(rows[0]);
    expect(back.rows).toEqual([
      ['north, "A"', 'flat\n2', '-0.014662'],
      ['south', '', '12'],
    ]);
  });
});
