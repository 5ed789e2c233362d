/**
 * The rate statistic of [SGL25] as CLAIMS.md fixes it:
 *   g_k = seed-average of the exact squared gradient norm at iterate k,
 *   G_n = (1/(n+1)) Σ_{k=0..n} g_k  (R uniform on {0..n}),
 * then least-squares slopes of log G_n and of log(G_n √n / log n) against
 * log n on log-spaced checkpoints over a window, with a percentile bootstrap
 * over seeds (resample seeds, re-average, recompute both slopes).
 * Seeds are averaged BEFORE logs: E[log] is not log E.
 */
import { leastSquaresLine } from './least-squares.ts';
import { RandomStream } from '../engine/rng.ts';

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
  /** Coverage, e.g. 0.95. */
  level: number;
}

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
export function seedAverage(perSeed: readonly ArrayLike<number>[], pick?: readonly number[]): Float64Array {
  const rows = pick ?? perSeed.map((_, i) => i);
  const n = perSeed[0].length;
  const out = new Float64Array(n);
  for (const r of rows) {
    const row = perSeed[r];
    if (row.length !== n) throw new RangeError('every seed needs the same number of iterates');
    for (let k = 0; k < n; k++) out[k] += row[k];
  }
  for (let k = 0; k < n; k++) out[k] /= rows.length;
  return out;
}

function slopes(g: Float64Array, checkpoints: readonly number[]): { slope: number; normalised: number; G: number[] } {
  const G = runningAverage(g);
  const logN = checkpoints.map((n) => Math.log(n));
  const logG = checkpoints.map((n) => Math.log(G[n]));
  const logNormalised = checkpoints.map((n, i) => logG[i] + 0.5 * logN[i] - Math.log(logN[i]));
  return {
    slope: leastSquaresLine(logN, logG).slope,
    normalised: leastSquaresLine(logN, logNormalised).slope,
    G: checkpoints.map((n) => G[n]),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
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
 * Percentile bootstrap over seeds; 2000 resamples put the Monte Carlo error of
 * a 2.5% quantile at about √(0.025·0.975/2000) ≈ 0.35 percentage points.
 */
export function fitRate(perSeed: readonly ArrayLike<number>[], opts: RateFitOptions): RateFit {
  const { checkpoints, resamples = 2000, level = 0.95 } = opts;
  const S = perSeed.length;
  if (S < 2) throw new RangeError(`a bootstrap over seeds needs at least 2 seeds, got ${S}`);
  const point = slopes(seedAverage(perSeed), checkpoints);
  const rng = new RandomStream(opts.bootstrapSeed);
  const bootSlope = new Float64Array(resamples);
  const bootNorm = new Float64Array(resamples);
  const pick = new Array<number>(S);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < S; i++) pick[i] = rng.int(S);
    const fit = slopes(seedAverage(perSeed, pick), checkpoints);
    bootSlope[b] = fit.slope;
    bootNorm[b] = fit.normalised;
  }
  bootSlope.sort();
  bootNorm.sort();
  const a = (1 - level) / 2;
  return {
    slope: { estimate: point.slope, lower: percentile(bootSlope, a), upper: percentile(bootSlope, 1 - a), level },
    normalisedSlope: {
      estimate: point.normalised,
      lower: percentile(bootNorm, a),
      upper: percentile(bootNorm, 1 - a),
      level,
    },
    window: [checkpoints[0], checkpoints[checkpoints.length - 1]],
    checkpoints: [...checkpoints],
    G: point.G,
  };
}
