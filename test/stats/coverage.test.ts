/**
 * Every interval procedure in src/stats proven on known answers: 95%
 * intervals must cover the true value 93–97% of the time over ≥ 1000
 * replications (fixed seeds, so the counts below are deterministic), at the
 * seed counts the claims use.
 *
 * Binomial noise of a coverage measured over R = 1000 replications: sd
 * √(0.95·0.05/1000) = 0.69 points, so [93%, 97%] is ±2.9 sd around 95%.
 *
 * Fewer bootstrap resamples than the claims' 2000 (400 here) keep each test
 * to a few seconds. That only makes the test harder: the endpoints' Monte
 * Carlo noise adds to their spread and lowers coverage (normal mean, S = 8,
 * 10000 replications: 94.3% at 250 resamples, 94.9% at 2000).
 *
 * Measured here (deterministic): rate slope 93.5% at S = 8 (2000
 * replications), 95.3% at S = 16, 93.7% at S = 8 in the dispersed design,
 * 94.3% at S = 12 from sparse G; paired-bootstrap outputs 94.0–95.0%; a
 * normal mean 94.6% (plain percentile: 88.8%). Scratch studies with 4000
 * replications: slope 93.8% (S = 8), 93.7% (S = 12), 92.8% (S = 16 in the
 * dispersed design, not tested here: below the band). The shortfall from 95%
 * is the right skew of G_n across seeds (a mean of lognormal-like values,
 * the textbook hard case; a normal mean is covered 94.9% at 2000 resamples),
 * which neither a bootstrap-t nor BCa removed at these S (both 91–93% here).
 * Before the small-sample expansion (src/stats/bootstrap.ts) the plain
 * percentile intervals covered 86–87% at S = 8 and 90% at S = 12.
 */
import { describe, expect, it } from 'vitest';
import { fitRate } from '../../src/stats/rate.ts';
import { checkpointGrid, fitRateFromRunningAverages, sparseRunningAverage } from '../../src/stats/sparse-running-average.ts';
import { pairedBootstrap } from '../../src/stats/paired-bootstrap.ts';
import { percentile, smallSampleFactor } from '../../src/stats/bootstrap.ts';
import { wilsonInterval } from '../../src/stats/wilson.ts';
import { DrawMoments, meanTest } from '../../src/stats/mean-test.ts';
import { logSpacedSteps } from '../../src/stats/grid.ts';
import { runningAverage } from '../../src/stats/rate.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import type { Interval } from '../../src/stats/rate.ts';
import { DISPERSED, REALISTIC, logLogSlope, populationG, seedSeries, type PowerLawDesign } from './synthetic.ts';

const RESAMPLES = 400;

/** Misses below and above over the replications. */
class Coverage {
  low = 0;
  high = 0;
  runs = 0;
  add(x: Interval, truth: number): void {
    this.runs++;
    if (x.lower > truth) this.low++;
    else if (x.upper < truth) this.high++;
  }
  get rate(): number {
    return 1 - (this.low + this.high) / this.runs;
  }
  toString(): string {
    return `covered ${(100 * this.rate).toFixed(1)}% (missed low ${this.low}, high ${this.high} of ${this.runs})`;
  }
}

/** Coverage within the target band, and neither tail missing more than twice its nominal 2.5%. */
function expectCalibrated(c: Coverage, label: string): void {
  expect(c.runs, label).toBeGreaterThanOrEqual(1000);
  expect(c.rate, `${label}: ${c}`).toBeGreaterThanOrEqual(0.93);
  expect(c.rate, `${label}: ${c}`).toBeLessThanOrEqual(0.97);
  expect(c.low / c.runs, `${label}: ${c}`).toBeLessThanOrEqual(0.05);
  expect(c.high / c.runs, `${label}: ${c}`).toBeLessThanOrEqual(0.05);
}

describe('fitRate: coverage of the slope of log G_n', () => {
  // The claims' windows: two decades, 10 checkpoints per decade, over iterates 0..n.
  const n = 1000;
  const checkpoints = logSpacedSteps(n / 100, n, 10);

  function study(design: PowerLawDesign, S: number, R: number, label: string) {
    const G = runningAverage(populationG(design, n));
    const truth = logLogSlope(
      checkpoints,
      checkpoints.map((c) => G[c]),
    );
    const truthNormalised = truth + 0.5 - logLogSlope(checkpoints, checkpoints.map((c) => Math.log(c)));
    const slope = new Coverage();
    const normalised = new Coverage();
    for (let r = 0; r < R; r++) {
      const rng = RandomStream.at('coverage', label, r);
      const perSeed = Array.from({ length: S }, () => seedSeries(design, n, rng));
      const fit = fitRate(perSeed, { checkpoints, bootstrapSeed: r + 1, resamples: RESAMPLES });
      slope.add(fit.slope, truth);
      normalised.add(fit.normalisedSlope, truthNormalised);
    }
    return { slope, normalised, truth };
  }

  it('covers the true slope 93–97% at S = 8 seeds (sgd-rate-linear-vae, batch-size-effect)', () => {
    const { slope, normalised, truth } = study(REALISTIC, 8, 2000, 'rate-8');
    expect(truth).toBeCloseTo(-0.5288, 3);
    expectCalibrated(slope, 'slope, S = 8');
    // log(G√n/log n) differs from log G by a fixed function of n: the same misses.
    expect(normalised.low).toBe(slope.low);
    expect(normalised.high).toBe(slope.high);
  });

  it('covers at S = 16 seeds (full tier)', () => {
    expectCalibrated(study(REALISTIC, 16, 1000, 'rate-16').slope, 'slope, S = 16');
  });

  it('covers at S = 8 seeds with twice the between-seed slope spread and a larger level spread', () => {
    expectCalibrated(study(DISPERSED, 8, 1000, 'rate-8-dispersed').slope, 'slope, S = 8, dispersed');
  });
});

describe('fitRateFromRunningAverages: coverage from sparse per-seed G', () => {
  // As iwae-rate measures it: g on checkpointGrid (0, then log-spaced), G by the trapezoid rule, S = 12.
  const n = 5000;
  const grid = checkpointGrid(n, 6);
  const windowIdx = grid.map((k, i) => i).filter((i) => grid[i] >= n / 100);
  const window = windowIdx.map((i) => grid[i]);

  /** g at the grid points only: the AR(1) noise subsampled exactly (coefficient φ^Δk). */
  function sparseSeed(d: PowerLawDesign, rng: RandomStream): number[] {
    const a = Math.exp(d.sigmaA * rng.normal() - (d.sigmaA * d.sigmaA) / 2);
    const ps = d.p + d.tau * rng.normal();
    let e = d.sigmaE * rng.normal();
    return grid.map((k, i) => {
      if (i > 0) {
        const rho = Math.pow(d.phi, k - grid[i - 1]);
        e = rho * e + d.sigmaE * Math.sqrt(1 - rho * rho) * rng.normal();
      }
      return a * Math.pow(k + 1, -ps) * Math.exp(e - (d.sigmaE * d.sigmaE) / 2);
    });
  }

  it('covers the true slope 93–97% at S = 12 seeds (iwae-rate)', () => {
    const pop = populationG(REALISTIC, n);
    // G is linear in g, so E[sparse G] is the sparse G of E g: the exact target of the seed average.
    const Gpop = sparseRunningAverage(
      grid,
      grid.map((k) => pop[k]),
    );
    const truth = logLogSlope(
      window,
      windowIdx.map((i) => Gpop[i]),
    );
    const slope = new Coverage();
    for (let r = 0; r < 1000; r++) {
      const rng = RandomStream.at('coverage-sparse', r);
      const perSeedG = Array.from({ length: 12 }, () => {
        const G = sparseRunningAverage(grid, sparseSeed(REALISTIC, rng));
        return windowIdx.map((i) => G[i]);
      });
      slope.add(fitRateFromRunningAverages(perSeedG, { window, bootstrapSeed: r + 1, resamples: RESAMPLES }).slope, truth);
    }
    expectCalibrated(slope, 'sparse slope, S = 12');
  });
});

describe('pairedBootstrap: coverage of arm means and their log ratios', () => {
  /**
   * batch-size-effect's shape: 3 arms on 8 common seeds; arm a of seed s is
   * c_a·u_s·v_{a,s} with a shared seed factor u (sd of log 0.15) and a small
   * arm-specific one v (sd of log 0.05), both of mean 1 (measured at the quick
   * tier: G_n's between-seed sd ≈ 4% of its mean, per-seed log gains' sd ≈
   * 0.06). True arm means c_a, true log gains log(c_a/c_{a+1}). A larger seed
   * factor (sd of log 0.3) skews the means enough that the upper tail alone
   * misses 5% (two-sided coverage still 94%).
   */
  it('covers 93–97% at S = 8 for every output', () => {
    const c = [0.21, 0.12, 0.105];
    const S = 8;
    const lognormal = (rng: RandomStream, sd: number) => Math.exp(sd * rng.normal() - (sd * sd) / 2);
    const truths = [...c, Math.log(c[0] / c[1]), Math.log(c[1] / c[2]), Math.log(c[0] / c[2])];
    const cov = truths.map(() => new Coverage());
    for (let r = 0; r < 2000; r++) {
      const rng = RandomStream.at('coverage-paired', r);
      const u = Array.from({ length: S }, () => lognormal(rng, 0.15));
      const arms = c.map((ca) => u.map((us) => ca * us * lognormal(rng, 0.05)));
      const out = pairedBootstrap(arms, (m) => [...m, Math.log(m[0] / m[1]), Math.log(m[1] / m[2]), Math.log(m[0] / m[2])], {
        bootstrapSeed: r + 1,
        resamples: RESAMPLES,
      });
      out.forEach((x, j) => cov[j].add(x, truths[j]));
    }
    const names = ['mean[0]', 'mean[1]', 'mean[2]', 'logGain[0→1]', 'logGain[1→2]', 'logGain[0→2]'];
    cov.forEach((x, j) => expectCalibrated(x, names[j]));
  });
});

describe('the small-sample expansion is what brings the coverage to 95%', () => {
  it('plain percentile intervals of a mean under-cover at S = 8; expanded ones do not', () => {
    // Normal data: the expanded interval is the t interval; the plain one covers ≈ 89% (t_7 at 1.96·√(7/8)).
    const S = 8;
    const f = smallSampleFactor(S, 0.95);
    expect(f).toBeCloseTo((2.364624252 / 1.959963985) * Math.sqrt(8 / 7), 6);
    const plain = new Coverage();
    const expanded = new Coverage();
    for (let r = 0; r < 2000; r++) {
      const rng = RandomStream.at('coverage-mean', r);
      const x = Array.from({ length: S }, () => rng.normal());
      const [iv] = pairedBootstrap([x], (m) => [m[0]], { bootstrapSeed: r + 1, resamples: RESAMPLES });
      expanded.add(iv, 0);
      // The plain percentile interval, recovered from the expanded one: same median, half-widths / f.
      const boot = new Float64Array(RESAMPLES);
      const brng = new RandomStream(r + 1);
      for (let b = 0; b < RESAMPLES; b++) {
        let s = 0;
        for (let i = 0; i < S; i++) s += x[brng.int(S)];
        boot[b] = s / S;
      }
      boot.sort();
      plain.add({ estimate: iv.estimate, lower: percentile(boot, 0.025), upper: percentile(boot, 0.975), level: 0.95 }, 0);
    }
    expect(plain.rate, `plain ${plain}`).toBeLessThan(0.915);
    expectCalibrated(expanded, 'expanded, normal mean, S = 8');
  });
});

describe('wilsonInterval: exact coverage', () => {
  /** P(p ∈ Wilson(k, n)) for k ~ Binomial(n, p), summed exactly. */
  function coverage(n: number, p: number): number {
    let total = 0;
    let logChoose = 0;
    for (let k = 0; k <= n; k++) {
      if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k);
      const w = wilsonInterval(k, n);
      if (w.lower <= p && p <= w.upper) total += Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log1p(-p));
    }
    return total;
  }

  it('averages 95% over p and never drops below 92% on [0.1, 0.9] (n = 20, 50, 100: calibration run counts)', () => {
    for (const n of [20, 50, 100]) {
      const ps = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);
      const cov = ps.map((p) => coverage(n, p));
      const mean = cov.reduce((a, b) => a + b) / cov.length;
      // Exact values: 95.29%, 95.15%, 95.09%; minima on [0.1, 0.9] 92.7%, 93.1%, 93.6% (Wilson's known oscillation).
      expect(mean, `n = ${n}`).toBeGreaterThanOrEqual(0.945);
      expect(mean, `n = ${n}`).toBeLessThanOrEqual(0.955);
      const inner = cov.filter((_, i) => ps[i] >= 0.1 && ps[i] <= 0.9);
      expect(Math.min(...inner), `n = ${n}`).toBeGreaterThanOrEqual(0.92);
    }
  });

  it('covers 93–97% over 2000 simulated calibrations of 50 runs at pass rates drawn from [0.5, 0.99]', () => {
    // At one fixed p, Wilson's coverage oscillates with p (e.g. 97.5% at p = 0.9, n = 50); drawn rates average that out.
    let covered = 0;
    const rng = RandomStream.at('coverage-wilson');
    for (let r = 0; r < 2000; r++) {
      const p = 0.5 + 0.49 * rng.uniform();
      let k = 0;
      for (let i = 0; i < 50; i++) if (rng.uniform() < p) k++;
      const w = wilsonInterval(k, 50);
      if (w.lower <= p && p <= w.upper) covered++;
    }
    expect(covered / 2000).toBeGreaterThanOrEqual(0.93);
    expect(covered / 2000).toBeLessThanOrEqual(0.97);
  });
});

describe('meanTest: false-alarm rate on a correct mean, power against a known bias', () => {
  function draws(p: number, M: number, rng: RandomStream, bias: Float64Array | null, draw: () => number = () => rng.normal()): DrawMoments {
    const m = new DrawMoments(p);
    const v = new Float64Array(p);
    for (let j = 0; j < M; j++) {
      // Correlated coordinates (a shared factor), as gradient coordinates are.
      const shared = draw();
      for (let i = 0; i < p; i++) v[i] = 0.6 * shared + 0.8 * draw() + (bias ? bias[i] : 0);
      m.add(v);
    }
    return m;
  }

  it('family-wise false alarm ≤ α (α = 0.05, 20 correlated coordinates, M = 50 draws, 2000 replications)', () => {
    // Bonferroni bounds the family-wise rate by α = 5%; with correlated coordinates it is a little below
    // (independent ones would give 1 − (1 − 0.0025)^20 = 4.9%). Upper bound with binomial slack: 5% + 3 sd (1.5 points).
    let alarms = 0;
    for (let r = 0; r < 2000; r++) {
      const t = meanTest(draws(20, 50, RandomStream.at('mean-test-null', r), null), new Float64Array(20), 0.05);
      if (!t.ok) alarms++;
    }
    expect(alarms / 2000).toBeLessThanOrEqual(0.065);
    expect(alarms / 2000).toBeGreaterThanOrEqual(0.025);
  });

  it('false alarm ≤ α with skewed draws (centred exponentials, M = 400, α = 0.01)', () => {
    let alarms = 0;
    for (let r = 0; r < 1000; r++) {
      const rng = RandomStream.at('mean-test-skewed', r);
      const t = meanTest(draws(10, 400, rng, null, () => -Math.log(1 - rng.uniform()) - 1), new Float64Array(10), 0.01);
      if (!t.ok) alarms++;
    }
    // Expected ≈ 1%: ≤ 2.5% leaves 4.8 binomial sd.
    expect(alarms / 1000).toBeLessThanOrEqual(0.025);
  });

  it('detects a bias of (threshold + 2) standard errors in one coordinate ≥ 95% of the time, and not one of (threshold − 2)', () => {
    const p = 20;
    const M = 200;
    // sd of each coordinate: √(0.6² + 0.8²) = 1, so a bias of k standard errors is k/√M.
    const sample = meanTest(draws(p, M, RandomStream.at('mean-test-threshold'), null), new Float64Array(p));
    const threshold = sample.threshold;
    expect(threshold).toBeGreaterThan(4.5);
    expect(threshold).toBeLessThan(5.2);
    for (const [shift, lo, hi] of [
      [2, 0.95, 1],
      [-2, 0, 0.05],
    ] as const) {
      const bias = new Float64Array(p);
      bias[7] = (threshold + shift) / Math.sqrt(M);
      let detected = 0;
      for (let r = 0; r < 1000; r++) {
        const t = meanTest(draws(p, M, RandomStream.at('mean-test-power', shift, r), bias), new Float64Array(p));
        if (!t.ok) detected++;
      }
      // Expected Φ(2) = 97.7% and Φ(−2) = 2.3% (binomial sd ≤ 0.5 points).
      expect(detected / 1000, `shift ${shift}`).toBeGreaterThanOrEqual(lo);
      expect(detected / 1000, `shift ${shift}`).toBeLessThanOrEqual(hi);
    }
  });
});
