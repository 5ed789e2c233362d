/**
 * Comparisons between arms of one experiment (e.g. batch sizes B = 8, 32,
 * 128) that share their seeds: seed s of every arm starts from the same
 * initialisation and draws from the same streams (common random numbers).
 * The bootstrap resamples SEEDS, the same indices for every arm, so the
 * pairing is kept and differences between arms are measured much more
 * precisely than each arm alone.
 *
 * perArm[a][s] = arm a's statistic for seed s (e.g. G_n at the final n);
 * the statistic of interest is any function of the arms' seed means.
 */
import { RandomStream } from '../engine/rng.ts';
import type { Interval } from './rate.ts';
import type { Verdict } from './verdict.ts';

export interface PairedBootstrapOptions {
  resamples?: number;
  level?: number;
  bootstrapSeed: number;
}

function percentile(sorted: Float64Array, p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Percentile-bootstrap intervals for every output of `stat(means)`, where
 * means[a] is arm a's seed average. 2000 resamples by default (Monte Carlo
 * error of a 2.5% quantile ≈ 0.35 percentage points, as in fitRate).
 */
export function pairedBootstrap(
  perArm: readonly ArrayLike<number>[],
  stat: (means: Float64Array) => number[],
  opts: PairedBootstrapOptions,
): Interval[] {
  const { resamples = 2000, level = 0.95 } = opts;
  const A = perArm.length;
  if (A === 0) throw new RangeError('pairedBootstrap: no arms');
  const S = perArm[0].length;
  if (S < 2) throw new RangeError(`pairedBootstrap: a bootstrap over seeds needs at least 2 seeds, got ${S}`);
  for (const arm of perArm) if (arm.length !== S) throw new RangeError('pairedBootstrap: every arm needs the same seeds');
  const means = (pick: ArrayLike<number>) => {
    const out = new Float64Array(A);
    for (let a = 0; a < A; a++) {
      let sum = 0;
      for (let i = 0; i < pick.length; i++) sum += perArm[a][pick[i]];
      out[a] = sum / pick.length;
    }
    return out;
  };
  const point = stat(means(Array.from({ length: S }, (_, i) => i)));
  const boot = point.map(() => new Float64Array(resamples));
  const rng = new RandomStream(opts.bootstrapSeed);
  const pick = new Int32Array(S);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < S; i++) pick[i] = rng.int(S);
    const values = stat(means(pick));
    if (values.length !== point.length) throw new RangeError('pairedBootstrap: stat must return the same number of values every time');
    values.forEach((v, j) => (boot[j][b] = v));
  }
  const a = (1 - level) / 2;
  return point.map((estimate, j) => {
    boot[j].sort();
    return { estimate, lower: percentile(boot[j], a), upper: percentile(boot[j], 1 - a), level };
  });
}

/**
 * Strict one-sided decision "θ > t": pass when the whole interval is above t,
 * fail when the whole interval is at or below t (e.g. a degenerate interval
 * [t, t], which atLeast would pass), inconclusive when it straddles t.
 */
export function above(x: Interval, threshold: number): Verdict {
  if (x.lower > threshold) return 'pass';
  if (x.upper <= threshold) return 'fail';
  return 'inconclusive';
}
