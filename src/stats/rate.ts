/**
 * The rate statistic of [SGL25] as CLAIMS.md fixes it:
 *   g_k = seed-average of the exact squared gradient norm at iterate k,
 *   G_n = (1/(n+1)) Σ_{k=0..n} g_k  (R uniform on {0..n}),
 * then least-squares slopes of log G_n and of log(G_n √n / log n) against
 * log n on log-spaced checkpoints over a window, with a bootstrap over seeds
 * (resample seeds, re-average, recompute both slopes; expanded percentile
 * intervals, src/stats/bootstrap.ts).
 * Seeds are averaged BEFORE logs: E[log] is not log E.
 */
import { leastSquaresLine } from './least-squares.ts';
import { bootstrapOverSeeds } from './bootstrap.ts';

import type { Interval } from '../contract/claim.ts';

export type { Interval };

export interface RateFit {
  /** Slope of log G_n vs log n. */
  slope: Interval;
  /** Slope of log(G_n √n / log n) vs log n: ≤ 0 means no slower than log n/√n. */
  normalisedSlope: Interval;
  /** The fitting window [from, to] in iterations and the checkpoints used. */
  window: [number, number];
  checkpoints: number[];
  /** G_n (seed-averaged) at the checkpoints. */
  G: number[];
}

/** Running average of g over k = 0..n for every n; g[k] is the value at iterate k. */
export function runningAverage(g: ArrayLike<number>): Float64Array {
  const out = new Float64Array(g.length);
  let sum = 0;
  for (let k = 0; k < g.length; k++) {
    sum += g[k];
    out[k] = sum / (k + 1);
  }
  return out;
}

/** Mean over the chosen seeds (rows) at every iterate. */
export function seedAverage(perSeed: readonly ArrayLike<number>[], pick?: ArrayLike<number>): Float64Array {
  const rows = pick ?? perSeed.map((_, i) => i);
  const n = perSeed[0].length;
  const out = new Float64Array(n);
  for (let i = 0; i < rows.length; i++) {
    const row = perSeed[rows[i]];
    if (row.length !== n) throw new RangeError('every seed needs the same number of iterates');
    for (let k = 0; k < n; k++) out[k] += row[k];
  }
  for (let k = 0; k < n; k++) out[k] /= rows.length;
  return out;
}

/**
 * The two rate slopes from the seed-averaged G at the points n (G[i] at n[i]):
 * least-squares slopes of log G_n and of log(G_n √n / log n) against log n.
 */
export function rateSlopes(n: readonly number[], G: ArrayLike<number>): { slope: number; normalised: number } {
  const logN = n.map((v) => Math.log(v));
  const logG = logN.map((_, i) => Math.log(G[i]));
  const logNormalised = logN.map((l, i) => logG[i] + 0.5 * l - Math.log(l));
  return { slope: leastSquaresLine(logN, logG).slope, normalised: leastSquaresLine(logN, logNormalised).slope };
}

export interface RateFitOptions {
  checkpoints: readonly number[];
  resamples?: number;
  level?: number;
  /** Seed of the bootstrap's own stream (named, so the interval is reproducible). */
  bootstrapSeed: number;
}

/**
 * perSeed[s][k] = exact squared gradient norm of seed s at iterate k = 0..n.
 * Bootstrap over seeds (expanded percentile intervals, src/stats/bootstrap.ts);
 * 2000 resamples put the Monte Carlo error of a 2.5% quantile at about
 * √(0.025·0.975/2000) ≈ 0.35 percentage points.
 */
export function fitRate(perSeed: readonly ArrayLike<number>[], opts: RateFitOptions): RateFit {
  const { checkpoints } = opts;
  const S = perSeed.length;
  if (S < 2) throw new RangeError(`a bootstrap over seeds needs at least 2 seeds, got ${S}`);
  const iterates = perSeed[0].length;
  for (const n of checkpoints) {
    if (!Number.isInteger(n) || n < 1 || n >= iterates) throw new RangeError(`checkpoint ${n}; allowed an integer in [1, ${iterates - 1}]`);
  }
  // G is linear in g: the seed average of per-seed G_n is G_n of the seed-averaged g. So each seed's
  // running average is taken once, and a resample re-averages those at the checkpoints, then takes
  // logs (seeds are still averaged before logs), at a cost of S per checkpoint instead of S per iterate.
  const perSeedG = perSeed.map((g) => {
    if (g.length !== iterates) throw new RangeError('every seed needs the same number of iterates');
    const G = runningAverage(g);
    return Float64Array.from(checkpoints, (n) => G[n]);
  });
  const [slope, normalisedSlope] = bootstrapOverSeeds(
    S,
    (pick) => {
      const fit = rateSlopes(checkpoints, seedAverage(perSeedG, pick));
      return [fit.slope, fit.normalised];
    },
    opts,
  );
  return {
    slope,
    normalisedSlope,
    window: [checkpoints[0], checkpoints[checkpoints.length - 1]],
    checkpoints: [...checkpoints],
    G: Array.from(seedAverage(perSeedG)),
  };
}
