/**
 * Value rules for the claims that take data (`verify --data FILE`), beyond
 * the reader's own (every value a finite number): each returns the first
 * cell or column a model cannot take as a DataProblem (0-based indices: the
 * runner names the file line and the 1-based column), or null when there is
 * none.
 */
import type { DataProblem, DataSet } from '../contract/claim.ts';

function firstCell(data: DataSet, ok: (v: number) => boolean, not: string): DataProblem | null {
  const { x, n, dim } = data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const v = x[i * dim + j];
      if (!ok(v)) return { row: i, column: j, problem: `is ${v}, ${not}` };
    }
  }
  return null;
}

/** Binary data: every value 0 or 1. */
export function firstNonBinary(data: DataSet): DataProblem | null {
  return firstCell(data, (v) => v === 0 || v === 1, 'not 0 or 1 (binary data)');
}

/** Counts: every value an integer ≥ 0. */
export function firstNonCount(data: DataSet): DataProblem | null {
  return firstCell(data, (v) => Number.isInteger(v) && v >= 0, 'not a count (an integer ≥ 0)');
}

/**
 * The first column that has the same value in every row (only that value when
 * `value` is given); `why`: what that breaks, completing "column j is v in
 * every row: …".
 */
export function firstConstantColumn(data: DataSet, why: string, value?: number): DataProblem | null {
  const { x, n, dim } = data;
  for (let j = 0; j < dim; j++) {
    if (value !== undefined && x[j] !== value) continue;
    let i = 1;
    while (i < n && x[i * dim + j] === x[j]) i++;
    if (i === n) return { column: j, problem: `is ${x[j]} in every row: ${why}` };
  }
  return null;
}

/** The mean of every column. */
export function columnMeans(data: DataSet): Float64Array {
  const { x, n, dim } = data;
  const m = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) m[j] += x[i * dim + j] / n;
  return m;
}
