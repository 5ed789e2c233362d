/**
 * `compare`: regression tracking between two reports. A seeded regression
 * (a verdict flipped, a falsifier no longer caught, an exponent moved towards
 * its threshold beyond its interval) is flagged and exits 1; an identical or
 * improved report exits 0.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VerifyReport } from '../../src/contract/result.ts';
import { compareReports, criterionDirection, movedBeyondIntervals } from '../../src/verify/compare.ts';
import { fixtureReport } from './fixtures.ts';
import { runCli } from './cli-harness.ts';

let before: VerifyReport;
beforeAll(async () => {
  before = JSON.parse(JSON.stringify(await fixtureReport()));
});

const clone = (r: VerifyReport): VerifyReport => structuredClone(r);
const claim = (r: VerifyReport, id: string) => r.claims.find((c) => c.id === id)!;

function write(dir: string, name: string, r: VerifyReport): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(r));
  return file;
}

/** The seeded regression: the rate exponent moves from ≈ −0.55 to ≈ −0.40 (intervals disjoint), the kernel claim fails. */
function regressed(r: VerifyReport): VerifyReport {
  const after = clone(r);
  const slope = claim(after, 'fake-rate').metrics.slope;
  claim(after, 'fake-rate').metrics.slope = { ...slope, value: slope.value + 0.15, lower: slope.lower! + 0.15, upper: slope.upper! + 0.15 };
  claim(after, 'fake-kernel-width').verdict = 'fail';
  const f = claim(after, 'fake-entropy-gap').falsifiers[0];
  Object.assign(f, { verdict: 'pass', caught: false });
  return after;
}

describe('compareReports', () => {
  it('finds nothing between a report and itself', () => {
    const c = compareReports(before, clone(before));
    expect(c).toMatchObject({ regressions: 0, verdictChanges: [], metricMoves: [], added: [], removed: [], warnings: [] });
  });

  it('flags a seeded regression: verdict, lost falsifier, exponent moved towards its threshold', () => {
    const c = compareReports(before, regressed(before));
    expect(c.verdictChanges).toEqual([
      { claim: 'fake-kernel-width', before: 'pass', after: 'fail', regression: true },
      { claim: 'fake-entropy-gap', falsifier: 'fixed-sigma', before: 'fail', after: 'pass', regression: true },
    ]);
    expect(c.metricMoves).toEqual([expect.objectContaining({ claim: 'fake-rate', metric: 'slope', towards: 'worse', regression: true })]);
    expect(c.regressions).toBe(3);
  });

  it('an improvement (moving away from the threshold, a verdict getting better) is listed but is not a regression', () => {
    const after = clone(before);
    const slope = claim(after, 'fake-rate').metrics.slope;
    claim(after, 'fake-rate').metrics.slope = { ...slope, value: slope.value - 0.2, lower: slope.lower! - 0.2, upper: slope.upper! - 0.2 };
    claim(after, 'fake-inconclusive').verdict = 'pass';
    const c = compareReports(before, after);
    expect(c.metricMoves).toEqual([expect.objectContaining({ metric: 'slope', towards: 'better', regression: false })]);
    expect(c.verdictChanges).toEqual([expect.objectContaining({ claim: 'fake-inconclusive', regression: false })]);
    expect(c.regressions).toBe(0);
  });

  it('a move within the intervals is noise, not a move', () => {
    const after = clone(before);
    const slope = claim(after, 'fake-rate').metrics.slope;
    const shift = (slope.upper! - slope.lower!) / 2;
    claim(after, 'fake-rate').metrics.slope = { ...slope, value: slope.value + shift, lower: slope.lower! + shift, upper: slope.upper! + shift };
    expect(compareReports(before, after).metricMoves).toEqual([]);
  });

  it('reads directions from criteria and overlap from intervals', () => {
    expect(criterionDirection('upper bound ≤ -0.35')).toBe('lower-is-better');
    expect(criterionDirection('≥ 0.9')).toBe('higher-is-better');
    expect(criterionDirection('in [-0.65, -0.35]')).toBe('unknown');
    expect(movedBeyondIntervals({ value: 0, lower: -1, upper: 1 }, { value: 1.5, lower: 1.1, upper: 2 })).toBe(true);
    expect(movedBeyondIntervals({ value: 0, lower: -1, upper: 1 }, { value: 0.9, lower: 0.5, upper: 1.5 })).toBe(false);
    expect(movedBeyondIntervals({ value: 0 }, { value: 5 })).toBe(false);
  });
});

describe('vae-claims compare', () => {
  it('exits 1 and names the regressions; exits 0 on identical reports; exits 2 on a file that is not a report', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-compare-'));
    const a = write(dir, 'a.json', before);
    const b = write(dir, 'b.json', regressed(before));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"claims": []}');

    const r = await runCli(['compare', a, b]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('REGRESSION fake-kernel-width: pass → fail');
    expect(r.stdout).toContain('REGRESSION fake-entropy-gap / falsifier fixed-sigma: fail → pass (no longer caught)');
    expect(r.stdout).toMatch(/REGRESSION fake-rate slope: -0\.5\d+ .* → -0\.[34]\d* .*towards the threshold/);
    expect(r.stdout).toContain('3 regression(s) found');

    const same = await runCli(['compare', a, write(dir, 'a2.json', before)]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('no regressions');

    const json = await runCli(['compare', a, b, '--json']);
    expect(JSON.parse(json.stdout).regressions).toBe(3);

    const invalid = await runCli(['compare', a, bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/bad\.json" is not a valid vae-claims report/);
  });
});
