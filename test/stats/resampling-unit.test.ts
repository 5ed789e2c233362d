/**
 * The bootstrap resamples SEEDS, not iterations, checkpoints or draws within a
 * seed. Two designs make the unit visible:
 *  - every seed identical (noisy within): resampling seeds cannot change the
 *    statistic, so the interval is a point; any within-seed resampling gives
 *    width;
 *  - all variance between seeds (smooth per-seed power laws with different
 *    exponents, no within-seed noise): the interval must be as wide as the
 *    spread of the per-seed slopes says (t_{S−1}·sd/√S); resampling iterations
 *    gives a width that has nothing to do with it.
 * Each design is shown to separate the right unit from the wrong ones with a
 * deliberately wrong bootstrap written here (so the test is known to have
 * power), then applied to the real procedures.
 */
import { describe, expect, it } from 'vitest';
import { fitRate, runningAverage, rateSlopes, seedAverage } from '../../src/stats/rate.ts';
import { fitRateFromRunningAverages } from '../../src/stats/sparse-running-average.ts';
import { pairedBootstrap } from '../../src/stats/paired-bootstrap.ts';
import { percentile } from '../../src/stats/bootstrap.ts';
import { studentTQuantile } from '../../src/stats/student-t.ts';
import { logSpacedSteps } from '../../src/stats/grid.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { logLogSlope } from './synthetic.ts';

const n = 2000;
const checkpoints = logSpacedSteps(n / 100, n, 10);

/** A wrong bootstrap: resamples the iterates 0..n of the seed-averaged series (what the issue fears). */
function iterationBootstrapWidth(perSeed: Float64Array[], resamples = 300): number {
  const g = seedAverage(perSeed);
  const rng = new RandomStream(99);
  const boot = new Float64Array(resamples);
  const r = new Float64Array(g.length);
  for (let b = 0; b < resamples; b++) {
    for (let k = 0; k < g.length; k++) r[k] = g[rng.int(g.length)];
    const G = runningAverage(r);
    boot[b] = rateSlopes(
      checkpoints,
      checkpoints.map((c) => G[c]),
    ).slope;
  }
  boot.sort();
  return percentile(boot, 0.975) - percentile(boot, 0.025);
}

/** Seeds that are copies of one noisy power-law series. */
function identicalSeeds(S: number): Float64Array[] {
  const rng = RandomStream.at('identical-seeds');
  const g = Float64Array.from({ length: n + 1 }, (_, k) => Math.pow(k + 1, -0.6) * Math.exp(0.5 * rng.normal()));
  return Array.from({ length: S }, () => g.slice());
}

/** Smooth per-seed power laws, exponents p + τZ_s: all variance is between seeds. */
function betweenSeedOnly(S: number, tau: number, label: string): Float64Array[] {
  const rng = RandomStream.at('between-seed', label);
  return Array.from({ length: S }, () => {
    const p = 0.6 + tau * rng.normal();
    const a = Math.exp(0.2 * rng.normal());
    return Float64Array.from({ length: n + 1 }, (_, k) => a * Math.pow(k + 1, -p));
  });
}

/** t_{S−1}·sd/√S of the per-seed slopes of log G_n: the half-width an honest 95% interval over seeds has. */
function seedSpreadHalfWidth(perSeed: Float64Array[]): number {
  const slopes = perSeed.map((g) => {
    const G = runningAverage(g);
    return logLogSlope(
      checkpoints,
      checkpoints.map((c) => G[c]),
    );
  });
  const S = slopes.length;
  const mean = slopes.reduce((a, b) => a + b) / S;
  const sd = Math.sqrt(slopes.reduce((a, b) => a + (b - mean) ** 2, 0) / (S - 1));
  return (studentTQuantile(0.975, S - 1) * sd) / Math.sqrt(S);
}

describe('the bootstrap resamples seeds', () => {
  it('identical seeds: a point interval from every procedure (a within-seed resampling would have width)', () => {
    const seeds = identicalSeeds(8);
    // The design has power: resampling iterations gives a wide interval.
    expect(iterationBootstrapWidth(seeds)).toBeGreaterThan(0.02);

    const fit = fitRate(seeds, { checkpoints, bootstrapSeed: 3, resamples: 500 });
    for (const x of [fit.slope, fit.normalisedSlope]) {
      expect(x.upper - x.lower).toBeLessThan(1e-12);
      expect(Math.abs(x.estimate - x.lower)).toBeLessThan(1e-12);
    }
    const perSeedG = seeds.map((g) => {
      const G = runningAverage(g);
      return checkpoints.map((c) => G[c]);
    });
    const sparse = fitRateFromRunningAverages(perSeedG, { window: checkpoints, bootstrapSeed: 3, resamples: 500 });
    expect(sparse.slope.upper - sparse.slope.lower).toBeLessThan(1e-12);
    const finals = seeds.map((g) => runningAverage(g)[n]);
    const [mean] = pairedBootstrap([finals], (m) => [m[0]], { bootstrapSeed: 3, resamples: 500 });
    expect(mean.upper - mean.lower).toBeLessThan(1e-12);
  });

  it('all variance between seeds: the interval is as wide as the seeds disagree (a within-seed resampling is not)', () => {
    for (const [S, tau] of [
      [8, 0.05],
      [16, 0.03],
    ] as const) {
      const seeds = betweenSeedOnly(S, tau, `S${S}`);
      const expected = seedSpreadHalfWidth(seeds);
      // The design has power: resampling iterations gives a width far outside the accepted band below.
      const wrong = iterationBootstrapWidth(seeds) / 2 / expected;
      expect(wrong < 0.5 || wrong > 2, `S = ${S}: iteration resampling's ratio ${wrong}`).toBe(true);
      const fit = fitRate(seeds, { checkpoints, bootstrapSeed: 5, resamples: 2000 });
      const half = (fit.slope.upper - fit.slope.lower) / 2;
      // slope(log mean) ≈ mean of per-seed slopes to first order in τ, so the two half-widths agree to
      // within the bootstrap's noise and the percentile interval's asymmetry: measured ratios 0.97 (S = 8), 1.00 (S = 16).
      expect(half / expected, `S = ${S}`).toBeGreaterThan(0.75);
      expect(half / expected, `S = ${S}`).toBeLessThan(1.33);
    }
  });

  it('quadrupling the seeds halves the interval (the unit whose count sets the width is the seed)', () => {
    const few = fitRate(betweenSeedOnly(8, 0.05, 'few'), { checkpoints, bootstrapSeed: 6, resamples: 2000 });
    const many = fitRate(betweenSeedOnly(32, 0.05, 'many'), { checkpoints, bootstrapSeed: 6, resamples: 2000 });
    const ratio = (few.slope.upper - few.slope.lower) / (many.slope.upper - many.slope.lower);
    // √4 = 2 times the ratio of small-sample factors (1.290 at S = 8, 1.05 at S = 32) ≈ 2.5, times the
    // two samples' sd ratio (≈ 1 ± 0.3 for 8 seeds).
    expect(ratio).toBeGreaterThan(1.6);
    expect(ratio).toBeLessThan(3.6);
  });
});
