/**
 * Regenerates docs/CLAIMS.md from the claim registry and the claim files
 * (src/report/spec.ts). `npm run docs`; `npm run docs -- --check` exits 1 when
 * the committed file is stale (the test suite runs that check).
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLAIMS } from '../src/claims/index.ts';
import { headerComment, renderSpec } from '../src/report/spec.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const headers: Record<string, string> = {};
for (const c of CLAIMS) {
  const file = path.join(ROOT, 'src', 'claims', c.family, `${c.id}.ts`);
  if (existsSync(file)) headers[c.id] = headerComment(readFileSync(file, 'utf8'));
}
const text = renderSpec(CLAIMS, headers);
const target = path.join(ROOT, 'docs', 'CLAIMS.md');
if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error('docs/CLAIMS.md is stale: run `npm run docs`');
    process.exit(1);
  }
  console.log('docs/CLAIMS.md is current');
} else {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote docs/CLAIMS.md (${CLAIMS.length} claims)`);
}
