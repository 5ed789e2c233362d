/**
 * reports/schema.json and the report contract stay in step: a report built
 * by the real pipeline (runClaims over fake claims covering pass, fail,
 * inconclusive, error, NaN metrics, bands and overlays) validates after a JSON
 * round trip, and the schema rejects what a reader could not use.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import type { VerifyReport } from '../../src/contract/result.ts';
import { SCHEMA_URL, validateReport } from '../../src/report/schema.ts';
import { fixtureReport } from './fixtures.ts';

let report: VerifyReport;
beforeAll(async () => {
  report = JSON.parse(JSON.stringify(await fixtureReport()));
});

const clone = <T>(x: T): T => structuredClone(x);

describe('report.json schema', () => {
  it('ships as JSON Schema 2020-12 in reports/', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8'));
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('accepts a report from the pipeline, with the contract fields and the run provenance', () => {
    expect(validateReport(report)).toEqual({ valid: true });
    expect(report).toMatchObject({ backend: 'cpu', seed: 7, tier: 'quick' });
    expect(report.environment.packages).toHaveProperty(['@tensorflow/tfjs']);
    expect(report.environment.packages).toHaveProperty('vega-lite');
    expect(report.environment.machine!.cores).toBeGreaterThan(0);
    expect(report.command).toEqual(['verify', '--tier', 'quick', '--seed', '7']);
    const rate = report.claims.find((c) => c.id === 'fake-rate')!;
    expect(rate).toMatchObject({ verdict: 'pass', seeds: { master: 7, count: 6 }, formula: 'G_n <= C * log(n) / sqrt(n)' });
    expect(rate.falsifiers).toEqual([expect.objectContaining({ id: 'constant-step', verdict: 'fail', caught: true })]);
    expect(rate.assumptions).toEqual([expect.objectContaining({ id: 'step-schedule', met: true })]);
    const entropy = report.claims.find((c) => c.id === 'fake-entropy-gap')!;
    expect(entropy.falsifiers[0].predictedVsMeasured).toEqual([
      { quantity: 'Gap', predicted: { value: 32 }, measured: expect.objectContaining({ value: expect.any(Number) }) },
    ]);
  });

  it('non-finite numbers survive as null (JSON has no NaN) and still validate', () => {
    const inconclusive = report.claims.find((c) => c.id === 'fake-inconclusive')!;
    expect(inconclusive.metrics.ratio.value).toBeNull();
  });

  it.each([
    ['a claim without a verdict', (r: VerifyReport) => delete (r.claims[0] as Partial<VerifyReport['claims'][0]>).verdict, /verdict/],
    ['an unknown verdict', (r: VerifyReport) => ((r.claims[0] as { verdict: string }).verdict = 'maybe'), /allowed values/],
    ['a metric with an unknown field', (r: VerifyReport) => ((r.claims[0].metrics.slope as unknown as Record<string, number>).stderr = 1), /additional properties/],
    ['a falsifier without caught', (r: VerifyReport) => delete (r.claims[0].falsifiers[0] as Partial<VerifyReport['claims'][0]['falsifiers'][0]>).caught, /caught/],
    ['a malformed arXiv id', (r: VerifyReport) => (r.claims[0].source = { ...r.claims[0].source, arxiv: 'soon' }), /pattern/],
    ['seed 0', (r: VerifyReport) => (r.seed = 0), />= 1/],
    ['no package versions', (r: VerifyReport) => delete r.environment.packages, /packages/],
  ])('rejects %s', (_, mutate, message) => {
    const bad = clone(report);
    mutate(bad);
    const result = validateReport(bad);
    expect(result.valid).toBe(false);
    expect((result as { errors: string[] }).errors.join('\n')).toMatch(message);
  });
});
