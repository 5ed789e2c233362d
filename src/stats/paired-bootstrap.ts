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
import { bootstrapOverSeeds } from './bootstrap.ts';
import type { Interval } from './rate.ts';
import type { Verdict } from './verdict.ts';

export interface PairedBootstrapOptions {
  resamples?: number;
  level?: number;
  bootstrapSeed: number;
}

/**
 * Bootstrap intervals (expanded percentile, src/stats/bootstrap.ts) for every
 * output of `stat(means)`, where means[a] is arm a's average over the
 * resampled seeds: ONE draw of seed indices per resample, shared by all arms
 * (that is the pairing). 2000 resamples by default (Monte Carlo error of a
 * 2.5% quantile ≈ 0.35 percentage points, as in fitRate).
 */
export function pairedBootstrap(
  perArm: readonly ArrayLike<number>[],
  stat: (means: Float64Array) => number[],
  opts: PairedBootstrapOptions,
): Interval[] {
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
  return bootstrapOverSeeds(S, (pick) => stat(means(pick)), opts);
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
