/**
 * Mutants for the stats area (see mutants/types.ts): the bugs a reviewer
 * fears in the statistics every verdict rests on. Most are invisible to a
 * claim's own measurement (an interval a few percent too narrow, a slope off
 * by 1/n), so what must catch them is the statistics self-check
 * (src/stats/self-check.ts), which runClaim runs before any claim is judged:
 * a failure makes every claim `error`. Each names a claim that uses the
 * procedure; the cheapest such claim where there is a choice
 * (fitRate: sgd-rate-linear-vae; pairedBootstrap: batch-size-effect;
 * fitRateFromRunningAverages and unbiasedSquaredNorm: iwae-rate, which also
 * runs the mean test, cheaper than adam-rate-deep-vae).
 */
import type { Mutant } from './types.ts';

const FIT_RATE = ['sgd-rate-linear-vae'];
const PAIRED = ['batch-size-effect'];
const SPARSE = ['iwae-rate'];

export const STATS_MUTANTS: Mutant[] = [
  {
    id: 'stats-bootstrap-resamples-iterations',
    kind: 'statistics',
    description: 'fitRate bootstraps the iterates of the seed-averaged series (an iid bootstrap of a time series) instead of resampling seeds.',
    file: 'src/stats/rate.ts',
    find: `  const [slope, normalisedSlope] = bootstrapOverSeeds(
    S,
    (pick) => {
      const fit = rateSlopes(checkpoints, seedAverage(perSeedG, pick));`,
    replace: `  const gbar = seedAverage(perSeed);
  const [slope, normalisedSlope] = bootstrapOverSeeds(
    iterates,
    (pick) => {
      const G = runningAverage(Array.from(pick, (k) => gbar[k]));
      const fit = rateSlopes(checkpoints, checkpoints.map((n) => G[n]));`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-bootstrap-resamples-checkpoints',
    kind: 'statistics',
    description: 'fitRate resamples the (log n, log G_n) points of the regression (a pairs bootstrap over checkpoints) instead of seeds.',
    file: 'src/stats/rate.ts',
    find: `  const [slope, normalisedSlope] = bootstrapOverSeeds(
    S,
    (pick) => {
      const fit = rateSlopes(checkpoints, seedAverage(perSeedG, pick));`,
    replace: `  const Gbar = seedAverage(perSeedG);
  const [slope, normalisedSlope] = bootstrapOverSeeds(
    checkpoints.length,
    (pick) => {
      const fit = rateSlopes(Array.from(pick, (i) => checkpoints[i]), Array.from(pick, (i) => Gbar[i]));`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-percentile-quartiles',
    kind: 'statistics',
    description: 'The bootstrap intervals use the 25% and 75% percentiles (a 50% interval reported as 95%).',
    file: 'src/stats/bootstrap.ts',
    find: `  const a = (1 - level) / 2;
  const f = smallSampleFactor(units, level);`,
    replace: `  const a = 0.25;
  const f = smallSampleFactor(units, level);`,
    claims: [...FIT_RATE, ...PAIRED],
  },
  {
    id: 'stats-percentile-one-sided-level',
    kind: 'statistics',
    description: 'The bootstrap intervals put all of 1 − level in each tail (the 5% and 95% percentiles: a 90% interval reported as 95%).',
    file: 'src/stats/bootstrap.ts',
    find: `  const a = (1 - level) / 2;
  const f = smallSampleFactor(units, level);`,
    replace: `  const a = 1 - level;
  const f = smallSampleFactor(units, level);`,
    claims: [...FIT_RATE, ...PAIRED],
  },
  {
    id: 'stats-bounds-swapped',
    kind: 'statistics',
    description: 'The lower and upper percentiles are swapped (lower bound from the 97.5% percentile).',
    file: 'src/stats/bootstrap.ts',
    find: `  const lo = percentile(replicates, a);
  const hi = percentile(replicates, 1 - a);`,
    replace: `  const lo = percentile(replicates, 1 - a);
  const hi = percentile(replicates, a);`,
    claims: [...FIT_RATE, ...PAIRED],
  },
  {
    id: 'stats-expansion-dropped',
    kind: 'statistics',
    description: 'The small-sample expansion is dropped: plain percentile intervals, ≈ 22% too narrow at 8 seeds (coverage ≈ 87%).',
    file: 'src/stats/bootstrap.ts',
    find: `  const f = smallSampleFactor(units, level);`,
    replace: `  const f = 1;`,
    claims: [...FIT_RATE, ...PAIRED],
  },
  {
    id: 'stats-expansion-wrong-df',
    kind: 'statistics',
    description: 'The small-sample factor uses t with S degrees of freedom instead of S − 1 (intervals 2–5% too narrow).',
    file: 'src/stats/bootstrap.ts',
    find: `studentTQuantile(1 - a, units - 1)`,
    replace: `studentTQuantile(1 - a, units)`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-bootstrap-never-picks-last-seed',
    kind: 'statistics',
    description: 'The resampling draws seed indices from {0..S−2}: the last seed never enters a resample.',
    file: 'src/stats/bootstrap.ts',
    find: `for (let i = 0; i < S; i++) pick[i] = rng.int(S);`,
    replace: `for (let i = 0; i < S; i++) pick[i] = rng.int(S - 1);`,
    claims: [...FIT_RATE, ...PAIRED],
  },
  {
    id: 'stats-logs-before-seed-average',
    kind: 'statistics',
    description: 'fitRate averages log G over seeds (a geometric mean: E[log] instead of log E).',
    file: 'src/stats/rate.ts',
    find: `      const fit = rateSlopes(checkpoints, seedAverage(perSeedG, pick));`,
    replace: `      const fit = rateSlopes(checkpoints, seedAverage(perSeedG.map((row) => row.map(Math.log)), pick).map(Math.exp));`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-sparse-logs-before-seed-average',
    kind: 'statistics',
    description: 'fitRateFromRunningAverages averages log G over seeds (E[log] instead of log E).',
    file: 'src/stats/sparse-running-average.ts',
    find: `      const fit = rateSlopes(window, seedAverage(perSeedG, pick));`,
    replace: `      const fit = rateSlopes(window, seedAverage(perSeedG.map((row) => Array.from(row, Math.log)), pick).map(Math.exp));`,
    claims: SPARSE,
  },
  {
    id: 'stats-least-squares-uncentred-sxx',
    kind: 'statistics',
    description: 'The least-squares slope divides by Σx² instead of Σ(x − x̄)².',
    file: 'src/stats/least-squares.ts',
    find: `    sxx += (x[i] - mx) * (x[i] - mx);`,
    replace: `    sxx += x[i] * x[i];`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-running-average-divides-by-n',
    kind: 'statistics',
    description: 'The running average divides the sum of g_0..g_n by n instead of n + 1.',
    file: 'src/stats/rate.ts',
    find: `    out[k] = sum / (k + 1);`,
    replace: `    out[k] = sum / Math.max(k, 1);`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-running-average-skips-first-iterate',
    kind: 'statistics',
    description: 'The running average leaves out g_0 (the sum starts at k = 1, still divided by n + 1).',
    file: 'src/stats/rate.ts',
    find: `    sum += g[k];`,
    replace: `    sum += k > 0 ? g[k] : 0;`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-checkpoint-off-by-one',
    kind: 'statistics',
    description: 'fitRate reads G at the iterate before each checkpoint.',
    file: 'src/stats/rate.ts',
    find: `    return Float64Array.from(checkpoints, (n) => G[n]);`,
    replace: `    return Float64Array.from(checkpoints, (n) => G[n - 1]);`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-normalised-slope-missing-sqrt-n',
    kind: 'statistics',
    description: 'The normalised slope fits log(G_n / log n), missing the √n factor.',
    file: 'src/stats/rate.ts',
    find: `logG[i] + 0.5 * l - Math.log(l)`,
    replace: `logG[i] - Math.log(l)`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-normalised-slope-missing-log-n',
    kind: 'statistics',
    description: 'The normalised slope fits log(G_n √n), missing the 1/log n factor.',
    file: 'src/stats/rate.ts',
    find: `logG[i] + 0.5 * l - Math.log(l)`,
    replace: `logG[i] + 0.5 * l`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-paired-arms-misaligned',
    kind: 'statistics',
    description: 'pairedBootstrap reads arm a at seed index pick + a: the arms are no longer paired by seed (means unchanged, intervals unpaired).',
    file: 'src/stats/paired-bootstrap.ts',
    find: `      for (let i = 0; i < pick.length; i++) sum += perArm[a][pick[i]];`,
    replace: `      for (let i = 0; i < pick.length; i++) sum += perArm[a][(pick[i] + a) % S];`,
    claims: PAIRED,
  },
  {
    id: 'stats-sparse-trapezoid-end-terms',
    kind: 'statistics',
    description: 'sparseRunningAverage drops the trapezoid rule\'s end terms (g_0 + g_n)/2.',
    file: 'src/stats/sparse-running-average.ts',
    find: `    out[i] = (interior + (g[0] + g[i]) / 2) / (b + 1);`,
    replace: `    out[i] = interior / (b + 1);`,
    claims: SPARSE,
  },
  {
    id: 'stats-unbiased-norm-plug-in',
    kind: 'statistics',
    description: 'unbiasedSquaredNorm returns the plug-in ‖ḡ‖² (the variance floor tr(Cov)/J not subtracted).',
    file: 'src/stats/unbiased-squared-norm.ts',
    find: `  const estimate = (SS - Q) / (J * (J - 1));`,
    replace: `  const estimate = SS / (J * J);`,
    claims: SPARSE,
  },
  {
    id: 'stats-wilson-z-not-squared',
    kind: 'statistics',
    description: 'wilsonInterval uses z where the formula has z² (intervals far too narrow).',
    file: 'src/stats/wilson.ts',
    find: `  const z2 = z * z;`,
    replace: `  const z2 = z;`,
    // No claim computes a Wilson interval (calibration does); the self-check makes every claim error.
    claims: PAIRED,
  },
  {
    id: 'stats-mean-test-se-missing-sqrt-m',
    kind: 'statistics',
    description: 'meanTest divides by the standard deviation of one draw instead of the standard error of the mean (sd/√M): biases are never seen.',
    file: 'src/stats/mean-test.ts',
    find: `    const se = Math.sqrt(variance / M);`,
    replace: `    const se = Math.sqrt(variance);`,
    claims: [...FIT_RATE, ...SPARSE],
  },
  {
    id: 'stats-mean-test-no-bonferroni',
    kind: 'statistics',
    description: 'meanTest compares max |z| with the single-coordinate threshold (no Bonferroni over the p coordinates).',
    file: 'src/stats/mean-test.ts',
    find: `studentTQuantile(1 - falseAlarm / (2 * p), M - 1)`,
    replace: `studentTQuantile(1 - falseAlarm / 2, M - 1)`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-grid-drops-last-checkpoint',
    kind: 'statistics',
    description: 'logSpacedSteps stops one point short: the fitting window misses its last checkpoint n.',
    file: 'src/stats/grid.ts',
    find: `  for (let i = 0; i <= count; i++) out.add(`,
    replace: `  for (let i = 0; i < count; i++) out.add(`,
    claims: FIT_RATE,
  },
  {
    id: 'stats-at-most-reads-lower-bound',
    kind: 'statistics',
    description: 'atMost passes "θ ≤ t" when the interval\'s LOWER bound is below t (any straddling interval passes).',
    file: 'src/stats/verdict.ts',
    find: `  if (x.upper <= threshold) return 'pass';`,
    replace: `  if (x.lower <= threshold) return 'pass';`,
    claims: FIT_RATE,
  },
];
