/**
 * User data files for the claims that take data (`verify --data FILE`):
 * CSV (one row per point, comma-separated numbers, optional header row of
 * names) or JSON (an array of equal-length number arrays, or
 * { "rows": [[...], ...] }). Every problem is reported with the file, the
 * row (1-based, as an editor shows it) and what is wrong, before any
 * training starts.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export class DataFileError extends Error {
  override name = 'DataFileError';
  constructor(
    readonly file: string,
    readonly row: number | null,
    problem: string,
  ) {
    super(`${file}${row !== null ? `, row ${row}` : ''}: ${problem}`);
  }
}

import type { DataProblem, DataSet } from '../contract/claim.ts';

export type { DataSet };

/** The engine computes in float32: a value beyond its range would become ±Infinity there and look like a divergence of training. */
const FLOAT32_MAX = 3.4028234663852886e38;
function checkFloat32(file: string, row: number, col: number, value: number): void {
  if (Math.abs(value) > FLOAT32_MAX) throw new DataFileError(file, row, `column ${col} is ${value}: beyond float32 range (|x| ≤ 3.4e38), the precision the engine trains in`);
}

/** Text safe for a one-line message: control and non-ASCII-printable bytes as \xNN / \uNNNN escapes. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, (c) => (c === '\ufffd' ? '\\ufffd' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

function parseCell(file: string, row: number, col: number, raw: string): number {
  const text = raw.trim();
  if (text === '') throw new DataFileError(file, row, `column ${col} is empty`);
  const value = Number(text);
  if (Number.isNaN(value) && !/^[+-]?nan$/i.test(text)) throw new DataFileError(file, row, `column ${col} is not a number: "${printable(text.slice(0, 40))}"`);
  if (!Number.isFinite(value)) throw new DataFileError(file, row, `column ${col} is ${printable(text)}: only finite numbers are allowed`);
  checkFloat32(file, row, col, value);
  return value;
}

function fromRows(file: string, rows: { line: number; cells: unknown[] }[], parse: (line: number, col: number, cell: unknown) => number): DataSet {
  if (rows.length === 0) throw new DataFileError(file, null, 'no data rows');
  const dim = rows[0].cells.length;
  if (dim === 0) throw new DataFileError(file, rows[0].line, 'the row has no values');
  const x = new Float64Array(rows.length * dim);
  rows.forEach(({ line, cells }, i) => {
    if (cells.length !== dim) throw new DataFileError(file, line, `has ${cells.length} values, but the first row has ${dim} (ragged rows)`);
    cells.forEach((cell, j) => (x[i * dim + j] = parse(line, j + 1, cell)));
  });
  return { file, x, n: rows.length, dim, lines: rows.map((r) => r.line) };
}

function parseCsv(file: string, text: string): DataSet {
  const lines = text.split(/\r?\n/);
  const rows: { line: number; cells: string[] }[] = [];
  lines.forEach((content, i) => {
    if (content.trim() === '' || content.trimStart().startsWith('#')) return;
    rows.push({ line: i + 1, cells: content.split(',') });
  });
  // A first row with no number in it is a header of column names.
  if (rows.length > 0 && rows[0].cells.every((c) => c.trim() !== '' && Number.isNaN(Number(c.trim())) && !/^[+-]?(nan|infinity)$/i.test(c.trim()))) {
    rows.shift();
  }
  return fromRows(file, rows, (line, col, cell) => parseCell(file, line, col, cell as string));
}

function parseJson(file: string, text: string): DataSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DataFileError(file, null, `is not valid JSON (${(err as Error).message})`);
  }
  const rows = Array.isArray(doc) ? doc : (doc as { rows?: unknown })?.rows;
  if (!Array.isArray(rows)) throw new DataFileError(file, null, 'expected an array of rows, or an object with a "rows" array');
  return fromRows(
    file,
    rows.map((r, i) => {
      if (!Array.isArray(r)) throw new DataFileError(file, i + 1, 'is not an array of numbers');
      return { line: i + 1, cells: r };
    }),
    (line, col, cell) => {
      if (typeof cell !== 'number') throw new DataFileError(file, line, `column ${col} is not a number: ${JSON.stringify(cell)?.slice(0, 40)}`);
      if (!Number.isFinite(cell)) throw new DataFileError(file, line, `column ${col} is not finite`);
      checkFloat32(file, line, col, cell);
      return cell;
    },
  );
}

export function readDataFile(file: string): DataSet {
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new DataFileError(file, null, 'is not a regular file');
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof DataFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataFileError(file, null, code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (err as Error).message})`);
  }
  if (text.trim() === '') throw new DataFileError(file, null, 'is empty');
  // NUL bytes or a replacement-character soup: a binary file, not CSV or JSON text.
  if (/\u0000/.test(text) || (text.match(/\ufffd/g)?.length ?? 0) > 8) throw new DataFileError(file, null, 'is a binary file, not CSV or JSON text');
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return parseJson(file, text);
  if (ext === '.csv' || ext === '.txt' || ext === '') return parseCsv(file, text);
  throw new DataFileError(file, null, `has extension "${ext}"; allowed .csv, .txt or .json`);
}

/** Rejects a data set whose dimension does not match what a claim's model needs. */
export function requireDimension(data: DataSet, dim: number, who: string): void {
  if (data.dim !== dim) throw new DataFileError(data.file, null, `has ${data.dim} columns, but ${who} needs ${dim} (wrong dimension)`);
}

/**
 * A problem a claim's model has with the data (TakesData.checkValues) as the
 * error that names the file, the row's line as an editor shows it, the
 * column (1-based) and what `who` takes.
 */
export function dataProblemError(data: DataSet, p: DataProblem, who: string): DataFileError {
  const line = p.row !== undefined ? (data.lines?.[p.row] ?? p.row + 1) : null;
  return new DataFileError(data.file, line, `${p.column !== undefined ? `column ${p.column + 1} ` : ''}${p.problem} (${who})`);
}
