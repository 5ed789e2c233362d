/**
 * Does an estimator's mean equal a known vector? The engine-conformance
 * checks ask this of the engine's stochastic gradient (its mean must be the
 * exact gradient of the expected objective: the theorems' "unbiased
 * gradients" assumption) and of Monte Carlo objectives.
 *
 * Test: per coordinate i, z_i = (mean_i − expected_i) / (sd_i / √M) from M
 * independent draws (sd_i the sample standard deviation, divisor M − 1);
 * reject when max_i |z_i| exceeds the Bonferroni threshold t_{M−1}(1 − α/(2p)),
 * the Student-t quantile: z_i is exactly t_{M−1} for normal draws, so the
 * threshold is exact at any M ≥ 30 (the normal quantile Φ⁻¹ would be too low
 * for small M: at M = 100, p = 100, α = 0.01 it gives a family-wise false alarm
 * of 1.8% instead of 1%). Bonferroni holds under any correlation between
 * coordinates (gradient coordinates are correlated), so the family-wise
 * false-alarm rate is at most α for normal draws, and for other draws as M
 * grows (CLT; strongly skewed draws need larger M: the far tail of a t
 * statistic converges slowly). With the default α = 1e-4 and p ≈ 100
 * coordinates the threshold is 4.90 at M = 4000 (4.97 at M = 400, 6.17 at M = 30).
 *
 * Power: a bias δ_i in coordinate i is seen when δ_i √M / sd_i ≳ threshold + 2
 * (then P(detect) ≥ Φ(2) ≈ 97.7%), i.e. δ_i ≳ 7 sd_i/√M: with M = 4000 draws,
 * about 0.11 standard deviations of one draw. Both statements are measured in
 * test/stats/coverage.test.ts.
 */
import { studentTQuantile } from './student-t.ts';

/** Running sums of draws of a p-vector (one `add` per draw). */
export class DrawMoments {
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;
  count = 0;

  constructor(readonly p: number) {
    this.sum = new Float64Array(p);
    this.sumSq = new Float64Array(p);
  }

  add(draw: ArrayLike<number>, offset = 0): void {
    for (let i = 0; i < this.p; i++) {
      const v = draw[offset + i];
      this.sum[i] += v;
      this.sumSq[i] += v * v;
    }
    this.count++;
  }
}

export interface MeanTestResult {
  draws: number;
  coordinates: number;
  /** Largest |z| and its coordinate. */
  maxAbsZ: number;
  worst: number;
  /** mean − expected at the worst coordinate, and that coordinate's standard error. */
  worstDifference: number;
  worstStandardError: number;
  /** Bonferroni threshold for max |z| at the family-wise false-alarm rate (Student t with M − 1 degrees of freedom). */
  threshold: number;
  falseAlarm: number;
  /** Largest |mean − expected| relative to max(‖expected‖∞, tiny): a scale-free size of the discrepancy. */
  relativeDifference: number;
  ok: boolean;
}

/**
 * `moments.count` draws; `expected`
 * the exact mean. A coordinate with zero variance is compared exactly up to
 * `absTol` (a deterministic coordinate must agree to rounding).
 */
export function meanTest(
  moments: DrawMoments,
  expected: ArrayLike<number>,
  falseAlarm = 1e-4,
  absTol = 1e-9,
  /**
   * Optional per-coordinate resolution of the draws: a difference no larger
   * than resolution[i] is below what the draws can represent (e.g. float32
   * read-outs round a tiny gradient the same way every draw, a bias of up to
   * half an ulp that no number of draws averages away) and counts as z = 0.
   */
  resolution?: ArrayLike<number>,
): MeanTestResult {
  const { p, count: M } = moments;
  if (M < 30) throw new RangeError(`a mean test needs at least 30 draws (normal z), got ${M}`);
  if (expected.length !== p) throw new RangeError(`expected has ${expected.length} coordinates, the draws ${p}`);
  const threshold = studentTQuantile(1 - falseAlarm / (2 * p), M - 1);
  let maxAbsZ = 0;
  let worst = 0;
  let worstDifference = 0;
  let worstStandardError = 0;
  let maxDiff = 0;
  let scale = 1e-300;
  for (let i = 0; i < p; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < p; i++) {
    const mean = moments.sum[i] / M;
    const variance = Math.max(0, (moments.sumSq[i] - M * mean * mean) / (M - 1));
    const se = Math.sqrt(variance / M);
    const diff = mean - expected[i];
    maxDiff = Math.max(maxDiff, Math.abs(diff));
    // A (numerically) deterministic coordinate: judged against rounding, not noise.
    const resolved = resolution !== undefined && Math.abs(diff) <= resolution[i];
    const z = resolved ? 0 : se > absTol * Math.max(1, Math.abs(mean)) ? diff / se : Math.abs(diff) <= absTol * Math.max(1, scale) ? 0 : Infinity;
    if (Math.abs(z) > maxAbsZ || i === 0) {
      maxAbsZ = Math.abs(z);
      worst = i;
      worstDifference = diff;
      worstStandardError = se;
    }
  }
  return {
    draws: M,
    coordinates: p,
    maxAbsZ,
    worst,
    worstDifference,
    worstStandardError,
    threshold,
    falseAlarm,
    relativeDifference: maxDiff / scale,
    ok: maxAbsZ <= threshold,
  };
}

/** "max |z| = 2.1 at coordinate 7 (threshold 4.9, family-wise false alarm ≤ 1e-4, 4000 draws)". */
export function describeMeanTest(t: MeanTestResult, name: (i: number) => string = (i) => `coordinate ${i}`): string {
  return (
    `max |z| = ${t.maxAbsZ.toFixed(2)} at ${name(t.worst)} (mean − exact = ${t.worstDifference.toExponential(2)} ± ${t.worstStandardError.toExponential(2)}; ` +
    `threshold ${t.threshold.toFixed(2)}, family-wise false alarm ≤ ${t.falseAlarm}, ${t.draws} draws)`
  );
}
