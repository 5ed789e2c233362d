/**
 * Validation of report.json against reports/schema.json (JSON Schema
 * 2020-12, shipped in the repository). `merge` and `compare` validate their
 * inputs with it, so a truncated or foreign file is refused with a message
 * naming the file and the first problems rather than half-read.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { VerifyReport } from '../contract/result.ts';

export const SCHEMA_URL = new URL('../../reports/schema.json', import.meta.url);

let validator: ValidateFunction | null = null;

function compiled(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object;
    validator = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  }
  return validator;
}

export class ReportFileError extends Error {
  override name = 'ReportFileError';
}

export function validateReport(data: unknown): { valid: true } | { valid: false; errors: string[] } {
  const validate = compiled();
  if (validate(data)) return { valid: true };
  return { valid: false, errors: (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`) };
}

/** Reads and validates a report.json; throws ReportFileError naming the file and what is wrong. */
export function readReport(file: string): VerifyReport {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReportFileError(`cannot read report "${file}": ${(err as Error).message}`);
  }
  const result = validateReport(data);
  if (!result.valid) {
    const shown = result.errors.slice(0, 5).join('; ');
    throw new ReportFileError(`"${file}" is not a valid vae-claims report (reports/schema.json): ${shown}${result.errors.length > 5 ? `; and ${result.errors.length - 5} more` : ''}`);
  }
  return data as VerifyReport;
}
