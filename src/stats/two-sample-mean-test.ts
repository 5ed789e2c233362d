/**
 * Do two estimators of a p-vector have the same mean? The deep VAE's exact
 * gradient has no closed form, so the engine's mean stochastic gradient is
 * compared with a float64 Monte Carlo estimate that has its own noise: a
 * two-sample test that accounts for both sides (the one-sample test of
 * src/stats/mean-test.ts would treat the reference's noise as bias).
 *
 * Per coordinate i: Welch's statistic z_i = (ā_i − b̄_i) / √(s²_a,i/M_a + s²_b,i/M_b)
 * with the Welch–Satterthwaite degrees of freedom ν_i; reject when some |z_i|
 * exceeds the Bonferroni threshold t_{ν_i}(1 − α/(2p)). Bonferroni holds under
 * any correlation between coordinates, so the family-wise false-alarm rate is
 * at most α for normal draws (Welch's t is then accurate to O(1/ν)) and for
 * other draws as both samples grow (CLT). Using ν_i rather than ∞ matters
 * when the reference side has few draws: with ν = 60 and p = 2000 the normal
 * quantile would put the family-wise rate at 1e-3 instead of 1e-4.
 *
 * Power: a difference δ_i is seen when δ_i ≳ (threshold + 2)·SE_i, SE_i the
 * combined standard error above.
 */
import { normalQuantile } from './normal.ts';
import { studentTQuantile } from './student-t.ts';
import type { DrawMoments } from './mean-test.ts';

export interface TwoSampleTestResult {
  coordinates: number;
  drawsA: number;
  drawsB: number;
  /** Largest |z| relative to its own threshold, and that coordinate's numbers. */
  worst: number;
  z: number;
  threshold: number;
  degreesOfFreedom: number;
  difference: number;
  standardError: number;
  falseAlarm: number;
  ok: boolean;
}

function meanAndVariance(m: DrawMoments, i: number): [number, number] {
  const mean = m.sum[i] / m.count;
  return [mean, Math.max(0, (m.sumSq[i] - m.count * mean * mean) / (m.count - 1))];
}

/**
 * `resolution[i]` (optional): a difference of means up to this size is not
 * evidence, whatever the noise (e.g. the float32 rounding of how side a's
 * draws were read out); z_i is computed on max(0, |ā_i − b̄_i| − resolution[i]).
 */
export function twoSampleMeanTest(a: DrawMoments, b: DrawMoments, falseAlarm = 1e-4, resolution?: ArrayLike<number>): TwoSampleTestResult {
  const p = a.p;
  if (b.p !== p) throw new RangeError(`two-sample test: ${a.p} and ${b.p} coordinates`);
  if (a.count < 30 || b.count < 30) throw new RangeError(`a two-sample test needs at least 30 draws on each side, got ${a.count} and ${b.count}`);
  const level = 1 - falseAlarm / (2 * p);
  // No t quantile is below the normal one: coordinates under it need no t quantile.
  const floor = normalQuantile(level);
  let result: Omit<TwoSampleTestResult, 'ok'> | null = null;
  let worstRatio = -1;
  for (let i = 0; i < p; i++) {
    const [ma, va] = meanAndVariance(a, i);
    const [mb, vb] = meanAndVariance(b, i);
    const qa = va / a.count;
    const qb = vb / b.count;
    const se = Math.sqrt(qa + qb);
    const diff = ma - mb;
    const excess = Math.sign(diff) * Math.max(0, Math.abs(diff) - (resolution?.[i] ?? 0));
    // A coordinate without noise on either side must agree to rounding.
    const z = se > 1e-12 * Math.max(1, Math.abs(ma), Math.abs(mb)) ? excess / se : Math.abs(excess) <= 1e-9 * Math.max(1, Math.abs(ma)) ? 0 : Infinity;
    const nu = qa + qb > 0 ? (qa + qb) ** 2 / (qa * qa / (a.count - 1) + qb * qb / (b.count - 1)) : Infinity;
    const threshold = Math.abs(z) > floor && Number.isFinite(nu) ? studentTQuantile(level, nu) : floor;
    const ratio = Math.abs(z) / threshold;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      result = { coordinates: p, drawsA: a.count, drawsB: b.count, worst: i, z, threshold, degreesOfFreedom: nu, difference: diff, standardError: se, falseAlarm };
    }
  }
  return { ...result!, ok: worstRatio <= 1 };
}

/** "max |z| = 2.1 at ∂W1[7] (difference … ± …; threshold 5.6 at ν = 812, family-wise false alarm ≤ 1e-4, 2000 vs 64 draws)". */
export function describeTwoSampleTest(t: TwoSampleTestResult, name: (i: number) => string = (i) => `coordinate ${i}`): string {
  return (
    `max |z|/threshold at ${name(t.worst)}: |z| = ${Math.abs(t.z).toFixed(2)} (difference ${t.difference.toExponential(2)} ± ${t.standardError.toExponential(2)}; ` +
    `Bonferroni–Welch threshold ${t.threshold.toFixed(2)} at ν = ${Number.isFinite(t.degreesOfFreedom) ? t.degreesOfFreedom.toFixed(0) : '∞'}, ` +
    `family-wise false alarm ≤ ${t.falseAlarm}, ${t.drawsA} engine vs ${t.drawsB} reference draws)`
  );
}
