/**
 * An interrupted, sharded or incompletely merged run says so in every format
 * (Markdown and HTML headlines, junit skipped cases), and `compare` counts a
 * claim missing from the candidate, or a partial candidate, as a regression.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/contract/result.ts';
import { incompleteness } from '../../src/report/incomplete.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { compareReports } from '../../src/verify/compare.ts';
import { fixtureReport } from './fixtures.ts';

let full: VerifyReport;
let interrupted: VerifyReport;
beforeAll(async () => {
  full = structuredClone(await fixtureReport());
  const ids = full.claims.map((c) => c.id);
  interrupted = { ...structuredClone(full), claims: structuredClone(full.claims.slice(0, 2)), ok: false, partial: { reason: 'interrupted', notRun: ids.slice(2) } };
});

describe('incompleteness', () => {
  it('is null for a complete run', () => {
    expect(incompleteness(full)).toBeNull();
  });
  it('names every claim an interrupted run did not reach', () => {
    const i = incompleteness(interrupted)!;
    expect(i.headline).toMatch(/^Partial report \(interrupted; \d+ claim\(s\) not run\)/);
    expect(i.notRun.map((n) => n.id)).toEqual(interrupted.partial!.notRun);
  });
  it('names the claims a shard left to the others', () => {
    const shard: VerifyReport = { ...structuredClone(full), claims: structuredClone(full.claims.slice(0, 1)), shard: { index: 1, count: 3, selection: full.claims.map((c) => c.id) } };
    const i = incompleteness(shard)!;
    expect(i.headline).toMatch(/shard 1\/3: 1 of \d+ selected claims/);
    expect(i.notRun).toHaveLength(full.claims.length - 1);
  });
});

describe('every format says the run was partial', () => {
  it('Markdown headline', () => {
    expect(renderMarkdown(interrupted)).toMatch(/⚠️ \*\*Partial report \(interrupted/);
    expect(renderMarkdown(full)).not.toMatch(/Partial report/);
  });
  it('HTML headline', async () => {
    expect(await renderHtml(interrupted)).toMatch(/<p class="overall not-ok partial">Partial report \(interrupted/);
  });
  it('junit: a skipped case per claim not run, counted in tests and skipped', () => {
    const xml = renderJunit(interrupted);
    const notRun = interrupted.partial!.notRun;
    expect(xml).toMatch(new RegExp(`<testsuites name="vae-claims" tests="\\d+" failures="\\d+" errors="\\d+" skipped="${notRun.length}"`));
    for (const id of notRun) expect(xml).toContain(`<testcase name="${id}" classname="vae-claims.not-run" time="0">\n      <skipped message="not run: the run was interrupted"/>`);
  });
});

describe('compare against an incomplete candidate', () => {
  it('a claim of the baseline missing from the candidate is a regression', () => {
    const c = compareReports(full, interrupted);
    expect(c.removed).toEqual(interrupted.partial!.notRun);
    expect(c.partialAfter).toMatch(/interrupted/);
    expect(c.regressions).toBe(c.removed.length + 1);
  });
  it('unless told to allow it', () => {
    expect(compareReports(full, interrupted, { allowMissing: true }).regressions).toBe(0);
  });
});
