/**
 * Regenerates the claims table in README.md from a report (never edit it by hand):
 *   npm run readme                       # from reports/latest/report.json
 *   npm run readme -- path/to/report.json
 * Only the region between <!-- claims:start --> and <!-- claims:end --> changes,
 * written atomically. Exit 0 when written or already current; 2 when the report
 * or the markers are missing or invalid. The logic lives in src/report/readme.ts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReadmeMarkerError, updateReadme } from '../src/report/readme.ts';
import { ReportFileError } from '../src/report/schema.ts';
import { CLAIMS } from '../src/claims/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const reportFile = path.resolve(process.argv[2] ?? path.join(ROOT, 'reports', 'latest', 'report.json'));

try {
  const r = await updateReadme(reportFile, path.join(ROOT, 'README.md'), CLAIMS);
  console.log(`README.md claims table ${r.changed ? 'regenerated' : 'already current'} from ${path.relative(ROOT, reportFile)} (${r.claims} claims, ${r.startedAt})`);
  process.exit(0);
} catch (err) {
  if (err instanceof ReportFileError || err instanceof ReadmeMarkerError) {
    console.error(`readme: ${err.message}${err instanceof ReportFileError ? '\n  run `npm run verify` first, or pass a report.json path' : ''}`);
    process.exit(2);
  }
  throw err;
}
