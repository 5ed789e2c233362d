/**
 * Records each claim's wall time at a tier from a `verify` report into the
 * committed timing record, reports/calibration/timings.json, which the cost
 * estimate prefers (src/report/timing-record.ts says why):
 *   npm run timings                          # from reports/latest/report.json
 *   npm run timings -- path/to/report.json
 * Only claims that ran their tier's own configuration (no --set, no --data) and
 * did not end in `error` are recorded; other claims' entries are kept.
 * Exit 0 when written; 2 when the report is missing or invalid.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readReport, ReportFileError } from '../src/report/schema.ts';
import { mergeTimings, timingsFromReport, TIMING_FILE } from '../src/report/timing-record.ts';
import { CLAIMS } from '../src/claims/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const reportFile = path.resolve(process.argv[2] ?? path.join(ROOT, 'reports', 'latest', 'report.json'));

try {
  const report = readReport(reportFile);
  const entries = timingsFromReport(report, (id) => CLAIMS.find((c) => c.id === id)?.tiers[report.tier]);
  await mergeTimings(TIMING_FILE, entries);
  const skipped = report.claims.length - entries.length;
  console.log(`timings: ${entries.length} claim(s) at the ${report.tier} tier from ${path.relative(ROOT, reportFile)} (${report.startedAt}) into ${path.relative(ROOT, TIMING_FILE)}${skipped ? `; ${skipped} skipped (error, or not the tier's own configuration)` : ''}`);
} catch (err) {
  if (err instanceof ReportFileError) {
    console.error(`timings: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
