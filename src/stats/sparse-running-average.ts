/**
 * G_n from sparse measurements. When the exact gradient norm is too costly to
 * measure at every iterate (a Monte Carlo estimate per checkpoint, or a deep
 * network), g_k is measured on a grid 0 = k_0 < k_1 < … and
 *   G_n = (1/(n+1)) Σ_{k=0..n} g_k
 * is approximated by summing the piecewise-linear interpolant of g over the
 * integers (the trapezoid rule in k). That sum is exact when g is linear
 * between checkpoints, so the grid must be dense where g changes fast: a
 * log-spaced grid that starts at 0, 1, 2, … is dense early, where the
 * transient is.
 *
 * The rate fit then works on per-seed G at the checkpoints. G_n is linear in
 * g, so the seed average of per-seed G_n equals G_n of the seed-averaged g:
 * averaging G over seeds before logs is the same statistic as fitRate's.
 */
import { logSpacedSteps } from './grid.ts';
import { bootstrapOverSeeds } from './bootstrap.ts';
import { rateSlopes, seedAverage, type RateFit } from './rate.ts';

/** 0 followed by a log-spaced grid on [1, n] with about `perDecade` points per factor of ten. */
export function checkpointGrid(n: number, perDecade: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`checkpointGrid: n = ${n}; allowed an integer ≥ 1`);
  return [0, ...logSpacedSteps(1, n, perDecade)];
}

/**
 * G at every checkpoint from g measured at those checkpoints: the mean over
 * k = 0..k_i of the linear interpolant of (checkpoints, g). The grid must
 * start at 0 and be strictly increasing.
 */
export function sparseRunningAverage(checkpoints: readonly number[], g: ArrayLike<number>): Float64Array {
  const m = checkpoints.length;
  if (m === 0 || g.length !== m) throw new RangeError(`sparseRunningAverage: ${m} checkpoints but ${g.length} values`);
  if (checkpoints[0] !== 0) throw new RangeError(`sparseRunningAverage: the grid must start at iterate 0, got ${checkpoints[0]}`);
  const out = new Float64Array(m);
  out[0] = g[0];
  // interior = Σ over segments of (b − a)(g_a + g_b)/2; Σ_{k=0..n} lin(k) = interior + (g_0 + g_n)/2.
  let interior = 0;
  for (let i = 1; i < m; i++) {
    const a = checkpoints[i - 1];
    const b = checkpoints[i];
    if (!Number.isInteger(b) || b <= a) throw new RangeError(`sparseRunningAverage: checkpoints must be increasing integers (${a} then ${b})`);
    interior += ((b - a) * (g[i - 1] + g[i])) / 2;
    out[i] = (interior + (g[0] + g[i]) / 2) / (b + 1);
  }
  return out;
}

export interface RunningAverageFitOptions {
  /** The fitting window's iterations (each ≥ 2 so that log log n is defined). */
  window: readonly number[];
  resamples?: number;
  level?: number;
  bootstrapSeed: number;
}

/**
 * The rate fit of fitRate (src/stats/rate.ts) from per-seed G at the window's
 * iterations: slopes of log G_n and log(G_n √n / log n) against log n, with a
 * bootstrap over seeds (same resampling scheme, intervals and defaults).
 * perSeedG[s][i] = seed s's G at window[i].
 */
export function fitRateFromRunningAverages(perSeedG: readonly ArrayLike<number>[], opts: RunningAverageFitOptions): RateFit {
  const { window } = opts;
  const S = perSeedG.length;
  if (S < 2) throw new RangeError(`a bootstrap over seeds needs at least 2 seeds, got ${S}`);
  if (window.length < 2) throw new RangeError(`a slope needs at least 2 window points, got ${window.length}`);
  if (window[0] < 2) throw new RangeError(`window starts at n = ${window[0]}; allowed n ≥ 2 (log n/√n needs log n > 0)`);
  const m = window.length;
  for (const row of perSeedG) if (row.length !== m) throw new RangeError(`every seed needs ${m} values, one per window point`);
  // Seeds are averaged BEFORE logs (G is linear in g, so this is fitRate's statistic).
  const G = seedAverage(perSeedG);
  const [slope, normalisedSlope] = bootstrapOverSeeds(
    S,
    (pick) => {
      const fit = rateSlopes(window, seedAverage(perSeedG, pick));
      return [fit.slope, fit.normalised];
    },
    opts,
  );
  return {
    slope,
    normalisedSlope,
    window: [window[0], window[m - 1]],
    checkpoints: [...window],
    G: [...G],
  };
}
