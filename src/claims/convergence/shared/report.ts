/**
 * Shared pieces of the convergence checks' results: interval metrics, the
 * rate verdict (slope of log G_n and of log(G_n √n / log n)), and the G_n
 * series with a log n/√n reference for the reports' plots.
 */
import type { Metric, Series } from '../../../contract/claim.ts';
import type { Interval, RateFit } from '../../../stats/rate.ts';
import { allOf, atMost, type Verdict } from '../../../stats/verdict.ts';

export function intervalMetric(x: Interval, criterion?: string): Metric {
  return { value: x.estimate, lower: x.lower, upper: x.upper, level: x.level, ...(criterion ? { criterion } : {}) };
}

export interface RateThresholds {
  maxSlope: number;
  maxNormalisedSlope: number;
}

/**
 * Either criterion suffices: pass when any passes, fail only when every one
 * fails, else inconclusive (error dominates). For alternative evidence of the
 * same property, e.g. "no error floor" shown by decay OR by smallness.
 */
export function anyOf(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('error')) return 'error';
  if (verdicts.includes('pass')) return 'pass';
  if (verdicts.every((v) => v === 'fail')) return 'fail';
  return 'inconclusive';
}

/** Pass: slope upper bound ≤ maxSlope AND normalised-slope upper bound ≤ maxNormalisedSlope. */
export function rateVerdict(fit: RateFit, t: RateThresholds): Verdict {
  return allOf([atMost(fit.slope, t.maxSlope), atMost(fit.normalisedSlope, t.maxNormalisedSlope)]);
}

/** slope / normalisedSlope metrics (with criteria when they decide the verdict), named with an optional suffix. */
export function rateMetrics(fit: RateFit, t: RateThresholds | null, suffix = ''): Record<string, Metric> {
  return {
    [`slope${suffix}`]: intervalMetric(fit.slope, t ? `upper bound ≤ ${t.maxSlope}` : undefined),
    [`normalisedSlope${suffix}`]: intervalMetric(fit.normalisedSlope, t ? `upper bound ≤ ${t.maxNormalisedSlope}` : undefined),
  };
}

/**
 * G_n against n for one or more curves, plus log n/√n scaled to meet the
 * first curve at the last n (a reference shape, not a fit). A curve with a
 * fitted slope carries it in its name, e.g. "G_n (B=8), slope −0.55 [−0.58, −0.52] on [50, 5000]".
 */
export function gSeries(
  n: readonly number[],
  curves: Record<string, ArrayLike<number>>,
  fits: Record<string, RateFit> = {},
  yLabel = 'G_n = mean_{k≤n} ‖∇L(θ_k)‖² (seed average)',
): Series {
  const names = Object.keys(curves);
  if (names.length === 0) throw new RangeError('gSeries: no curves');
  const first = curves[names[0]];
  const last = n.length - 1;
  const shape = (k: number) => Math.log(Math.max(k, 2)) / Math.sqrt(Math.max(k, 1));
  const scale = first[last] / shape(n[last]);
  const y: Record<string, number[]> = {};
  for (const name of names) {
    const fit = fits[name];
    const label = fit
      ? `${name}, slope ${fit.slope.estimate.toFixed(3)} [${fit.slope.lower.toFixed(3)}, ${fit.slope.upper.toFixed(3)}] on [${fit.window[0]}, ${fit.window[1]}]`
      : name;
    y[label] = Array.from(curves[name]);
  }
  y['log n/√n (scaled)'] = n.map((k) => shape(k) * scale);
  return { x: [...n], y, xLabel: 'iteration n', yLabel, logX: true, logY: true };
}
