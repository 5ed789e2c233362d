/**
 * The user's data (`verify --data FILE`) in any claim family: a
 * configuration's `data` is either the claim's own settings (no `source`:
 * what every tier has) or the user's file (`source: 'file'` and the file's
 * sizes under the claim's own names, e.g. { N, D } in the entropy family,
 * { n, dx, dz } for the linear IWAE). The check tells them apart with
 * `fromFile(c.data)` and then reads the rows from ctx.data with `userRows`;
 * without --data nothing here runs, so a claim's own data, streams and
 * configuration are untouched.
 */
import { z } from 'zod';
import type { DataSet } from '../../contract/claim.ts';
import { positiveInt } from '../../config/hyperparameters.ts';

/**
 * Tells the claim's own data settings from the user's file in a schema:
 * `z.discriminatedUnion('source', [own.safeExtend(ownData), fileData], dataSource)`.
 * Told apart by `source`, a bad value of either is reported at its own path
 * with its own allowed range.
 */
export const ownData = { source: z.undefined().optional() };
export const dataSource = { error: 'allowed data.source: "file" (the rows of verify --data FILE), or none (the claim\'s own data settings)' };

/** Whether a configuration's data is the user's file (else the claim's own settings). */
export function fromFile<D extends { source?: string }>(d: D): d is Extract<D, { source: 'file' }> {
  return d.source === 'file';
}

/**
 * The user's rows for a configuration sized to `rows` × `columns` (a copy:
 * checks may centre or whiten it in place), or an error when the run has no
 * data or other sizes.
 */
export function userRows(claimId: string, rows: number, columns: number, data: DataSet | undefined): Float64Array {
  if (!data) throw new Error(`${claimId}: the configuration's data is the user's file (data.source "file") but the run has no data (verify --data FILE)`);
  if (data.n !== rows || data.dim !== columns) {
    throw new Error(`${claimId}: the configuration is sized for ${rows} rows × ${columns} columns but ${data.file} has ${data.n} × ${data.dim}`);
  }
  return data.x.slice();
}

/** A configuration's data when it is the user's file, for models that take any width: its size only (the rows are in ctx.data). */
export const fileData = z.object({
  source: z.literal('file'),
  N: positiveInt('data points N'),
  D: positiveInt('data dimension D'),
});

export type FileData = z.infer<typeof fileData>;

/** The data settings of a configuration sized to the user's `rows` × `columns` file. */
export function fileDataOf(rows: number, columns: number): FileData {
  return { source: 'file', N: rows, D: columns };
}

/** The user's rows for a configuration sized to them (a copy), or an error when the run has none or other sizes. */
export function fileRows(claimId: string, d: FileData, data: DataSet | undefined): { x: Float64Array; N: number; D: number } {
  return { x: userRows(claimId, d.N, d.D, data), N: d.N, D: d.D };
}
