/**
 * Statistics helpers of the convergence checks: G_n from sparse checkpoints
 * (trapezoid rule in k), the rate fit from per-seed G (same statistic and
 * bootstrap as fitRate), and the paired bootstrap over common seeds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkpointGrid, fitRateFromRunningAverages, sparseRunningAverage } from '../../src/stats/sparse-running-average.ts';
import { above, pairedBootstrap } from '../../src/stats/paired-bootstrap.ts';
import { fitRate, runningAverage } from '../../src/stats/rate.ts';
import { logSpacedSteps } from '../../src/stats/grid.ts';
import { RandomStream } from '../../src/engine/rng.ts';

/** Dense g from linear interpolation of (ks, values). */
function interpolate(ks: number[], values: number[]): Float64Array {
  const out = new Float64Array(ks[ks.length - 1] + 1);
  for (let i = 1; i < ks.length; i++) {
    for (let k = ks[i - 1]; k <= ks[i]; k++) out[k] = values[i - 1] + ((values[i] - values[i - 1]) * (k - ks[i - 1])) / (ks[i] - ks[i - 1]);
  }
  return out;
}

describe('sparseRunningAverage', () => {
  it('is the exact running average of the piecewise-linear interpolant, at every checkpoint', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 3000 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 1000 }), (n, perDecade, seed) => {
        const ks = checkpointGrid(n, perDecade);
        const rng = new RandomStream(seed);
        const g = ks.map(() => rng.uniform() * 10);
        const sparse = sparseRunningAverage(ks, g);
        const dense = runningAverage(interpolate(ks, g));
        ks.forEach((k, i) => expect(sparse[i]).toBeCloseTo(dense[k], 9));
      }),
    );
  });

  it('equals runningAverage when every iterate is a checkpoint', () => {
    const g = [5, 3, 4, 1, 0.5, 2];
    const ks = g.map((_, k) => k);
    expect([...sparseRunningAverage(ks, g)].map((v) => +v.toFixed(12))).toEqual([...runningAverage(g)].map((v) => +v.toFixed(12)));
  });

  it('approximates a smooth power law closely on a log grid', () => {
    const n = 10000;
    const g = (k: number) => 1 / Math.sqrt(k + 1);
    const ks = checkpointGrid(n, 10);
    const sparse = sparseRunningAverage(ks, ks.map(g));
    const exact = runningAverage(Array.from({ length: n + 1 }, (_, k) => g(k)));
    ks.forEach((k, i) => expect(Math.abs(sparse[i] - exact[k]) / exact[k]).toBeLessThan(0.01));
  });

  it('rejects grids that do not start at 0 or do not increase', () => {
    expect(() => sparseRunningAverage([1, 2], [1, 1])).toThrow(/start at iterate 0/);
    expect(() => sparseRunningAverage([0, 2, 2], [1, 1, 1])).toThrow(/increasing/);
    expect(() => sparseRunningAverage([0, 1], [1])).toThrow(/checkpoints but/);
  });
});

describe('fitRateFromRunningAverages', () => {
  it('reproduces fitRate (same slopes, same bootstrap) from per-seed G at the window', () => {
    const n = 2000;
    const rng = RandomStream.at('fit-equivalence');
    const perSeed = Array.from({ length: 6 }, () => Float64Array.from({ length: n + 1 }, (_, k) => (1 + 0.3 * rng.normal() ** 2) / Math.sqrt(k + 1)));
    const window = logSpacedSteps(20, n, 10);
    const dense = fitRate(perSeed, { checkpoints: window, bootstrapSeed: 77, resamples: 500 });
    const sparse = fitRateFromRunningAverages(
      perSeed.map((g) => {
        const G = runningAverage(g);
        return window.map((k) => G[k]);
      }),
      { window, bootstrapSeed: 77, resamples: 500 },
    );
    for (const key of ['slope', 'normalisedSlope'] as const) {
      expect(sparse[key].estimate).toBeCloseTo(dense[key].estimate, 10);
      expect(sparse[key].lower).toBeCloseTo(dense[key].lower, 10);
      expect(sparse[key].upper).toBeCloseTo(dense[key].upper, 10);
    }
  });

  it('rejects windows starting below n = 2 and a single seed', () => {
    expect(() => fitRateFromRunningAverages([[1, 2], [1, 2]], { window: [1, 10], bootstrapSeed: 1 })).toThrow(/n ≥ 2/);
    expect(() => fitRateFromRunningAverages([[1, 2]], { window: [2, 10], bootstrapSeed: 1 })).toThrow(/at least 2 seeds/);
  });
});

describe('pairedBootstrap', () => {
  it('identical arms give a degenerate [0, 0] log-ratio, which a strict "> 0" fails', () => {
    const arm = [1.2, 0.8, 1.1, 0.9, 1.3];
    const [ratio] = pairedBootstrap([arm, arm], (m) => [Math.log(m[0] / m[1])], { bootstrapSeed: 3 });
    expect(ratio).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
    expect(above(ratio, 0)).toBe('fail');
  });

  it('pairing removes the shared seed noise: a constant 2× ratio is measured exactly', () => {
    const rng = RandomStream.at('paired');
    const a = Array.from({ length: 8 }, () => Math.exp(rng.normal()));
    const b = a.map((v) => v / 2);
    const [ratio] = pairedBootstrap([a, b], (m) => [Math.log(m[0] / m[1])], { bootstrapSeed: 4 });
    expect(ratio.lower).toBeCloseTo(Math.log(2), 12);
    expect(ratio.upper).toBeCloseTo(Math.log(2), 12);
  });

  it('covers the true difference of means about 95% of the time', () => {
    // 200 experiments of 10 seeds; the count of misses is Binomial(200, ≈0.05) with the small-sample
    // expansion (≈0.11 for a plain percentile bootstrap at 10 seeds): 5.05% measured over 4000 such
    // experiments, 16 misses in these 200; P(misses ≥ 22) ≈ 0.1% at a 5% miss rate.
    // The ≥ 1000-replication coverage studies are in test/stats/coverage.test.ts.
    let misses = 0;
    for (let e = 0; e < 200; e++) {
      const rng = RandomStream.at('coverage', e);
      const a = Array.from({ length: 10 }, () => 1 + rng.normal());
      const b = Array.from({ length: 10 }, () => rng.normal());
      const [d] = pairedBootstrap([a, b], (m) => [m[0] - m[1]], { bootstrapSeed: 100 + e, resamples: 400 });
      if (d.lower > 1 || d.upper < 1) misses++;
    }
    expect(misses).toBeLessThan(22);
  });

  it('above: pass, fail and inconclusive', () => {
    expect(above({ estimate: 1, lower: 0.5, upper: 2, level: 0.95 }, 0)).toBe('pass');
    expect(above({ estimate: -1, lower: -2, upper: 0, level: 0.95 }, 0)).toBe('fail');
    expect(above({ estimate: 0.1, lower: -0.1, upper: 0.3, level: 0.95 }, 0)).toBe('inconclusive');
  });
});
