/**
 * Do two sets of draws of a p-vector have the same spread, coordinate by
 * coordinate? The engine-conformance checks ask this of the engine's
 * stochastic gradient against an independent float64 reference of the same
 * estimator: a mean test (mean-test.ts) cannot see an estimator that is
 * unbiased but has the wrong noise (e.g. reparameterisation noise drawn once
 * and reused across a mini-batch instead of independently per point).
 *
 * Test: per coordinate i, pool the M_a + M_b draws, take their pooled mean
 * m_i and the squared deviations y = (x − m_i)²; the Mann–Whitney rank-sum
 * statistic of the a-draws' y among all y (midranks for ties) is turned into
 * z_i with the tie-corrected null variance. Reject when max_i |z_i| exceeds
 * the Bonferroni threshold Φ⁻¹(1 − α/(2p)).
 *
 * False alarm: when both sets are independent draws of one distribution (the
 * null: the engine computes the same estimator as the reference), the pooled
 * draws are exchangeable and m_i is symmetric in them, so the a-labels fall
 * on a uniformly random subset of the y's: the rank statistic's null
 * distribution is exact, whatever the draws' distribution (heavy tails,
 * skew, correlated coordinates: Bonferroni holds under any dependence). Only
 * its normal approximation is used; for M_a = M_b = 2000 the statistic's
 * excess kurtosis is −0.001 (it is a sum of bounded terms), so the normal tail
 * is slightly conservative even at |z| ≈ 6. Family-wise false alarm ≤ α.
 *
 * Power: a coordinate whose variance differs by a factor r has
 * P(y_a > y_b) = (2/π)·atan(√r) for normal draws (0.61 at r = 2), so
 * z ≈ (P − ½)·√(12·M_a·M_b/(M_a + M_b + 1)): 8.4 at r = 2 and M = 2000 each.
 * It also reacts to a shift of the mean (it moves the y's) — either is a
 * difference between the two estimators.
 */
import { normalQuantile } from './normal.ts';

export interface ScaleTestResult {
  coordinates: number;
  drawsA: number;
  drawsB: number;
  /** Largest |z| and its coordinate. */
  maxAbsZ: number;
  worst: number;
  /** Sample variance of a over that of b at the worst coordinate (∞ when b's is 0). */
  worstVarianceRatio: number;
  threshold: number;
  falseAlarm: number;
  ok: boolean;
}

/**
 * Mann–Whitney z of `a` against `b` (U = Σ_i #{b < a_i} + ½ #{b = a_i}, tie-corrected
 * null variance); 0 when every value ties. Sorts `a` and `b` in place.
 */
function rankSumZ(a: Float64Array, b: Float64Array): number {
  const m = a.length;
  const n = b.length;
  const N = m + n;
  a.sort();
  b.sort();
  let u = 0;
  let below = 0;
  let atOrBelow = 0;
  for (let i = 0; i < m; i++) {
    const v = a[i];
    while (below < n && b[below] < v) below++;
    if (atOrBelow < below) atOrBelow = below;
    while (atOrBelow < n && b[atOrBelow] <= v) atOrBelow++;
    u += below + 0.5 * (atOrBelow - below);
  }
  // Tie groups of the pooled values (merge of the two sorted arrays).
  let ties = 0;
  let i = 0;
  let j = 0;
  while (i < m || j < n) {
    const v = j >= n || (i < m && a[i] <= b[j]) ? a[i] : b[j];
    let t = 0;
    while (i < m && a[i] === v) (i++, t++);
    while (j < n && b[j] === v) (j++, t++);
    ties += t * t * t - t;
  }
  const variance = ((m * n) / 12) * (N + 1 - ties / (N * (N - 1)));
  const diff = u - (m * n) / 2;
  if (!(variance > 0)) return diff === 0 ? 0 : Infinity;
  return diff / Math.sqrt(variance);
}

function variance(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) * (v - mean);
  return q / (x.length - 1);
}

/** `a` and `b`: draws (each a p-vector, the same p). */
export function scaleTest(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[], falseAlarm: number): ScaleTestResult {
  if (a.length < 30 || b.length < 30) throw new RangeError(`a scale test needs at least 30 draws per side, got ${a.length} and ${b.length}`);
  const p = a[0].length;
  if ([...a, ...b].some((d) => d.length !== p)) throw new RangeError(`every draw must have ${p} coordinates`);
  if (!(falseAlarm > 0 && falseAlarm < 1)) throw new RangeError(`falseAlarm = ${falseAlarm}; allowed 0 < α < 1`);
  const threshold = -normalQuantile(falseAlarm / (2 * p));
  const ya = new Float64Array(a.length);
  const yb = new Float64Array(b.length);
  const xa = new Float64Array(a.length);
  const xb = new Float64Array(b.length);
  let maxAbsZ = 0;
  let worst = 0;
  let worstVarianceRatio = 1;
  for (let i = 0; i < p; i++) {
    let sum = 0;
    for (let d = 0; d < a.length; d++) sum += xa[d] = a[d][i];
    for (let d = 0; d < b.length; d++) sum += xb[d] = b[d][i];
    const pooled = sum / (a.length + b.length);
    for (let d = 0; d < a.length; d++) ya[d] = (xa[d] - pooled) ** 2;
    for (let d = 0; d < b.length; d++) yb[d] = (xb[d] - pooled) ** 2;
    const z = rankSumZ(ya, yb);
    if (Math.abs(z) > maxAbsZ || i === 0) {
      maxAbsZ = Math.abs(z);
      worst = i;
      const vb = variance(xb);
      worstVarianceRatio = vb > 0 ? variance(xa) / vb : variance(xa) > 0 ? Infinity : 1;
    }
  }
  return { coordinates: p, drawsA: a.length, drawsB: b.length, maxAbsZ, worst, worstVarianceRatio, threshold, falseAlarm, ok: maxAbsZ <= threshold };
}

/** "max |z| = 2.1 at coordinate 7 (variance ratio 1.03; threshold 6.0, family-wise false alarm ≤ 2e-7, 2000 + 2000 draws)". */
export function describeScaleTest(t: ScaleTestResult, name: (i: number) => string = (i) => `coordinate ${i}`): string {
  return (
    `max |z| = ${t.maxAbsZ.toFixed(2)} at ${name(t.worst)} (variance ratio engine/reference ${t.worstVarianceRatio.toPrecision(3)}; ` +
    `threshold ${t.threshold.toFixed(2)}, family-wise false alarm ≤ ${t.falseAlarm.toPrecision(2)}, ${t.drawsA} + ${t.drawsB} draws)`
  );
}
