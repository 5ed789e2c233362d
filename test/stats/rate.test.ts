/**
 * The rate statistic: exact slopes on synthetic power laws, seed averaging
 * before logs, bootstrap intervals that cover and that are reproducible.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fitRate, runningAverage, seedAverage } from '../../src/stats/rate.ts';
import { leastSquaresLine } from '../../src/stats/least-squares.ts';
import { logSpacedSteps } from '../../src/stats/grid.ts';
import { allOf, atLeast, atMost } from '../../src/stats/verdict.ts';
import { RandomStream } from '../../src/engine/rng.ts';

describe('leastSquaresLine', () => {
  it('recovers any exact line', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.integer({ min: 2, max: 40 }),
        (slope, intercept, n) => {
          const x = Array.from({ length: n }, (_, i) => i * 0.37 - 3);
          const fit = leastSquaresLine(x, x.map((v) => intercept + slope * v));
          expect(fit.slope).toBeCloseTo(slope, 9);
          expect(fit.intercept).toBeCloseTo(intercept, 9);
        },
      ),
    );
  });

  it('rejects degenerate input', () => {
    expect(() => leastSquaresLine([1], [1])).toThrow(/at least 2/);
    expect(() => leastSquaresLine([2, 2], [1, 3])).toThrow(/equal/);
    expect(() => leastSquaresLine([1, 2], [1])).toThrow(/points/);
  });
});

describe('logSpacedSteps', () => {
  it('is sorted, distinct, within bounds and includes both ends', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 30 }), (from, extra, per) => {
        const to = from + extra;
        const s = logSpacedSteps(from, to, per);
        expect(s[0]).toBe(from);
        expect(s[s.length - 1]).toBe(to);
        for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1]);
      }),
    );
  });
});

describe('runningAverage and seedAverage', () => {
  it('G_n is the mean over k = 0..n', () => {
    expect([...runningAverage([4, 2, 0, 2])]).toEqual([4, 3, 2, 2]);
  });

  it('averages seeds before anything else (E[g], not exp E[log g])', () => {
    expect([...seedAverage([[1, 100], [3, 1]])]).toEqual([2, 50.5]);
  });
});

/** g_k = a·(k+1)^{-p} per seed with multiplicative noise: G_n's log-log slope → −p for p < 1. */
function powerLawSeeds(p: number, seeds: number, n: number, noise: number, seed: number): Float64Array[] {
  const rng = new RandomStream(seed);
  return Array.from({ length: seeds }, () => {
    const a = 1 + 0.2 * rng.normal();
    return Float64Array.from({ length: n + 1 }, (_, k) => Math.abs(a) * Math.pow(k + 1, -p) * Math.exp(noise * rng.normal()));
  });
}

describe('fitRate', () => {
  const n = 20_000;
  const checkpoints = logSpacedSteps(n / 100, n, 10);

  it('recovers the slope of a power law, and the interval covers it', () => {
    // The running mean of (k+1)^{-1/2} behaves like 2 n^{-1/2} (1 - O(n^{-1/2})), so the fitted slope over
    // [200, 20000] is within 0.02 of -1/2.
    const fit = fitRate(powerLawSeeds(0.5, 8, n, 0.3, 11), { checkpoints, bootstrapSeed: 5, resamples: 500 });
    expect(fit.slope.estimate).toBeGreaterThan(-0.52);
    expect(fit.slope.estimate).toBeLessThan(-0.48);
    expect(fit.slope.lower).toBeLessThanOrEqual(fit.slope.estimate);
    expect(fit.slope.upper).toBeGreaterThanOrEqual(fit.slope.estimate);
    // log(G√n/log n) has slope (−1/2 + 1/2 − 1/log n) < 0.
    expect(fit.normalisedSlope.estimate).toBeLessThan(0);
    expect(atMost(fit.slope, -0.35)).toBe('pass');
  });

  it('a plateau fails the rate criterion', () => {
    const fit = fitRate(powerLawSeeds(0, 8, n, 0.3, 12), { checkpoints, bootstrapSeed: 5, resamples: 500 });
    expect(Math.abs(fit.slope.estimate)).toBeLessThan(0.02);
    expect(atMost(fit.slope, -0.35)).toBe('fail');
    expect(atMost(fit.normalisedSlope, 0.05)).toBe('fail');
  });

  it('is reproducible given the bootstrap seed, and the interval depends on it', () => {
    const seeds = powerLawSeeds(0.6, 6, 2000, 0.5, 13);
    const cps = logSpacedSteps(20, 2000, 10);
    const a = fitRate(seeds, { checkpoints: cps, bootstrapSeed: 1, resamples: 300 });
    const b = fitRate(seeds, { checkpoints: cps, bootstrapSeed: 1, resamples: 300 });
    const c = fitRate(seeds, { checkpoints: cps, bootstrapSeed: 2, resamples: 300 });
    expect(b).toEqual(a);
    expect(c.slope.lower).not.toBe(a.slope.lower);
    expect(c.slope.estimate).toBe(a.slope.estimate);
  });

  it('needs at least two seeds', () => {
    expect(() => fitRate(powerLawSeeds(0.5, 1, 100, 0.1, 1), { checkpoints: [10, 100], bootstrapSeed: 1 })).toThrow(/2 seeds/);
  });
});

describe('verdict helpers', () => {
  const iv = (lower: number, upper: number) => ({ estimate: (lower + upper) / 2, lower, upper, level: 0.95 });
  it('one-sided: pass when the bound clears, fail when the whole interval is wrong, else inconclusive', () => {
    expect(atMost(iv(-0.7, -0.5), -0.35)).toBe('pass');
    expect(atMost(iv(-0.1, 0.1), -0.35)).toBe('fail');
    expect(atMost(iv(-0.5, -0.2), -0.35)).toBe('inconclusive');
    expect(atLeast(iv(1, 2), 0.5)).toBe('pass');
    expect(atLeast(iv(0, 0.4), 0.5)).toBe('fail');
    expect(atLeast(iv(0.4, 0.6), 0.5)).toBe('inconclusive');
  });
  it('allOf: error dominates, then fail, then inconclusive', () => {
    expect(allOf(['pass', 'pass'])).toBe('pass');
    expect(allOf(['pass', 'inconclusive'])).toBe('inconclusive');
    expect(allOf(['inconclusive', 'fail'])).toBe('fail');
    expect(allOf(['fail', 'error'])).toBe('error');
  });
});
