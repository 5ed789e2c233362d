/** docs/CLAIMS.md is generated from the registry and the claim files: it must be current (`npm run docs`). */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLAIMS } from '../../src/claims/index.ts';
import { headerComment, renderSpec } from '../../src/report/spec.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('docs/CLAIMS.md', () => {
  it('is current with the registry and every claim file\'s header (run `npm run docs`)', () => {
    const headers = Object.fromEntries(
      CLAIMS.map((c) => [c.id, headerComment(readFileSync(path.join(ROOT, 'src', 'claims', c.family, `${c.id}.ts`), 'utf8'))]),
    );
    const expected = renderSpec(CLAIMS, headers);
    expect(readFileSync(path.join(ROOT, 'docs', 'CLAIMS.md'), 'utf8') === expected, 'docs/CLAIMS.md is stale: run `npm run docs`').toBe(true);
  });
  it('covers every claim, each with its falsifiers and its file\'s header', () => {
    const text = readFileSync(path.join(ROOT, 'docs', 'CLAIMS.md'), 'utf8');
    for (const c of CLAIMS) {
      expect(text).toContain(`### \`${c.id}\``);
      for (const f of c.falsifiers) expect(text).toContain(`\`${f.id}\``);
      expect(existsSync(path.join(ROOT, 'src', 'claims', c.family, `${c.id}.ts`)), `${c.id} lives in src/claims/${c.family}/${c.id}.ts`).toBe(true);
    }
  });
});
