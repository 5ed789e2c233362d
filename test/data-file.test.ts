/** Hostile data files: every problem names the file, the row and what is wrong. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataFileError, readDataFile, requireDimension } from '../src/data/data-file.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vae-data-'));
function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('readDataFile', () => {
  it('reads CSV with a header and comments, and JSON in both shapes', () => {
    const csv = readDataFile(file('ok.csv', '# points\na,b,c\n1,2,3\n4.5,-6,7e-1\n'));
    expect(csv).toMatchObject({ n: 2, dim: 3 });
    expect([...csv.x]).toEqual([1, 2, 3, 4.5, -6, 0.7]);
    expect(readDataFile(file('ok.json', '[[1,2],[3,4]]'))).toMatchObject({ n: 2, dim: 2 });
    expect(readDataFile(file('rows.json', '{"rows":[[1],[2],[3]]}'))).toMatchObject({ n: 3, dim: 1 });
  });

  it.each([
    ['ragged.csv', '1,2,3\n4,5\n', /ragged\.csv, row 2: has 2 values, but the first row has 3/],
    ['text.csv', '1,2\n3,abc\n', /text\.csv, row 2: column 2 is not a number: "abc"/],
    ['nan.csv', '1,2\nNaN,3\n', /nan\.csv, row 2: column 1 is NaN: only finite/],
    ['inf.csv', '1,2\n3,Infinity\n', /inf\.csv, row 2: column 2 is Infinity/],
    ['blank-cell.csv', '1,,2\n', /blank-cell\.csv, row 1: column 2 is empty/],
    ['empty.csv', '  \n', /empty\.csv: is empty/],
    ['header-only.csv', 'a,b\n', /header-only\.csv: no data rows/],
    ['bad.json', '[[1,2],', /bad\.json: is not valid JSON/],
    ['shape.json', '{"x": 1}', /shape\.json: expected an array of rows/],
    ['ragged.json', '[[1,2],[3]]', /ragged\.json, row 2: has 1 values/],
    ['string.json', '[[1,"2"]]', /string\.json, row 1: column 2 is not a number: "2"/],
    ['null.json', '[[1,null]]', /null\.json, row 1: column 2 is not a number: null/],
    ['data.xlsx', '1,2', /has extension "\.xlsx"; allowed/],
  ])('%s is rejected with a message naming file, row and problem', (name, content, message) => {
    expect(() => readDataFile(file(name, content))).toThrow(message);
    expect(() => readDataFile(file(name, content))).toThrow(DataFileError);
  });

  it('a missing file says so', () => {
    expect(() => readDataFile(path.join(dir, 'nope.csv'))).toThrow(/nope\.csv: no such file/);
  });

  it('a wrong dimension names what the claim needs', () => {
    const data = readDataFile(file('dim.csv', '1,2,3\n'));
    expect(() => requireDimension(data, 10, 'sgd-rate-linear-vae (d_x)')).toThrow(/has 3 columns, but sgd-rate-linear-vae \(d_x\) needs 10/);
  });

  it('any finite matrix round-trips through CSV and JSON', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((dim) => fc.array(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: dim, maxLength: dim }), { minLength: 1, maxLength: 8 })),
        (rows) => {
          const csv = readDataFile(file('prop.csv', rows.map((r) => r.map((v) => String(v)).join(',')).join('\n')));
          const json = readDataFile(file('prop.json', JSON.stringify(rows)));
          const flat = rows.flat().map((v) => (Object.is(v, -0) ? 0 : v));
          expect([...csv.x].map((v) => (Object.is(v, -0) ? 0 : v))).toEqual(flat);
          expect([...json.x].map((v) => (Object.is(v, -0) ? 0 : v))).toEqual(flat);
        },
      ),
      { numRuns: 50 },
    );
  });
});
