/**
 * Every mutant of `npm run mutants` (mutants/*.ts) must still apply to the
 * tree: its `find` text occurs exactly once in its file. A refactor that moves
 * or rewrites the code a mutant targets would otherwise drop the mutant
 * silently, and the suite would stop testing that kind of bug.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTANTS } from '../mutants/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('mutation suite', () => {
  it('has unique ids and names claims for every mutant', () => {
    expect(new Set(MUTANTS.map((m) => m.id)).size).toBe(MUTANTS.length);
    for (const m of MUTANTS) expect(m.claims.length, m.id).toBeGreaterThan(0);
  });
  it.each(MUTANTS.map((m) => [m.id, m] as const))('%s still applies (its text occurs exactly once)', (_id, m) => {
    const text = readFileSync(path.join(ROOT, m.file), 'utf8');
    expect(text.split(m.find).length - 1, `${m.file}`).toBe(1);
    expect(m.replace).not.toBe(m.find);
  });
});
