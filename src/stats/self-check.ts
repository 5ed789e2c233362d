/**
 * The harness checks its own statistics on known answers before any claim is
 * judged: if an interval procedure no longer covers a known slope, every
 * verdict built on it is untrustworthy, and runClaim reports each claim as
 * `error` (the harness contradicts itself) instead of a verdict.
 *
 * Deterministic (fixed inputs and bootstrap seeds), memoised per process,
 * ≈ 90 ms of CPU once per process. Every reference value is computed here by separate code (naive
 * sums, an enumeration of the exact bootstrap distribution) or taken from
 * published tables, never by calling the procedure being checked.
 *
 * What each check sees (the realistic bugs it is built to catch):
 *  - least squares: a wrong slope formula (uncentred x, wrong divisor);
 *  - running average / seed average: off by one, the wrong range, a wrong divisor;
 *  - the rate statistic's point estimate: logs before averaging seeds
 *    (E[log] vs log E), the normalised slope missing its √n or log n term,
 *    G read at the wrong iterate;
 *  - sparse G: the trapezoid rule's end terms or divisor;
 *  - the bootstrap (fitRate, fitRateFromRunningAverages, pairedBootstrap):
 *    its endpoints must sit at the right levels of the EXACT bootstrap
 *    distribution over seeds (all S^S resamples enumerated as multisets) —
 *    resampling iterations, checkpoints or draws, unpaired arms, wrong
 *    percentiles (0.25/0.75, 0.05/0.95), swapped bounds, a missing
 *    small-sample expansion all move an endpoint out of its bracket; in the
 *    "one odd seed" design the interval is known exactly, which pins the
 *    expansion factor (its degrees of freedom) and the median; identical
 *    seeds must give a point interval (any within-seed resampling gives
 *    width), and arms equal up to a factor on every seed a point log ratio
 *    (unpaired arms give width);
 *  - Wilson: published intervals (a wrong z moves them by > 0.01);
 *  - Fisher's exact test: one-sided p-values against hypergeometric sums
 *    written out as exact rationals (a two-sided sum, the wrong tail or an
 *    unconditional binomial all move them);
 *  - the NTK width slope (widthSlope): its point estimate on a seeds × widths
 *    table whose spread across seeds changes with m (seeds averaged before the
 *    log: E[log] instead of log E moves it by ≈ 0.2), its interval against
 *    the exact bootstrap over seeds, one odd seed, and identical seeds (a
 *    point interval: only seeds are resampled, never widths); the NTK
 *    family's bootstrap interval of a seed mean (bootstrapInterval) the same
 *    way, and its two-sided band criterion (withinBand) by a truth table;
 *  - the mean test: exact z's on draws with known mean and variance, and its
 *    Bonferroni–t threshold against published quantiles;
 *  - the two-sample (Welch) test: exact z's and Welch–Satterthwaite ν on two
 *    samples of different sizes with known means and variances (a per-draw
 *    variance where the variance of the mean belongs, swapped counts or a
 *    wrong ν all move them), its Bonferroni–t threshold at a non-integer ν
 *    and at ν = M_a − 1 against published quantiles, the resolution allowance
 *    and noise-free coordinates;
 *  - the unbiased squared norm and its jackknife standard error;
 *  - verdict helpers and checkpoint grids: truth tables.
 *
 * False alarms: none with the fixed seeds here (deterministic), and the
 * margins are wide. The exact checks compare floating-point results computed
 * two ways (tolerance 1e-9 relative; the two differ by rounding, ≤ 4e-16
 * measured). The bootstrap brackets allow ±4 binomial standard errors of
 * Monte Carlo noise in the levels of the 2000-resample percentiles (for a
 * random bootstrap seed P ≈ 6e-5 per endpoint of falling outside); with these
 * seeds every endpoint sits 53–100% of the half-width inside its bracket
 * (printed in `checks`). The one-odd-seed intervals are exact unless Monte
 * Carlo noise moves a percentile's level by ≥ 4.6 sd (P < 1e-5 for any seed).
 */
import { leastSquaresLine } from './least-squares.ts';
import { fitRate, runningAverage, seedAverage } from './rate.ts';
import { checkpointGrid, fitRateFromRunningAverages, sparseRunningAverage } from './sparse-running-average.ts';
import { pairedBootstrap, above } from './paired-bootstrap.ts';
import { bootstrapInterval, smallSampleFactor } from './bootstrap.ts';
import { studentTQuantile } from './student-t.ts';
import { wilsonInterval } from './wilson.ts';
import { fisherExactLess } from './fisher-exact.ts';
import { DrawMoments, meanTest } from './mean-test.ts';
import { twoSampleMeanTest } from './two-sample-mean-test.ts';
import { widthSlope } from './width-slope.ts';
import { unbiasedSquaredNorm } from './unbiased-squared-norm.ts';
import { logSpacedSteps } from './grid.ts';
import { allOf, atLeast, atMost, withinBand } from './verdict.ts';
import type { Interval } from './rate.ts';

export interface SelfCheckResult {
  ok: boolean;
  /** One line per failed check, naming the procedure, what was expected and what was measured. */
  failures: string[];
  /** One line per check run, for the report's notes. */
  checks: string[];
}

/** Published constants (scipy.stats 1.17: t.ppf, norm.ppf), independent of src/stats/student-t.ts. */
const T_975_DF5 = 2.5705818356363146;
const T_975_DF7 = 2.364624251592784;
const Z_975 = 1.959963984540054;
/** t_39 at 1 − α/(2p) for p = 3 coordinates: α = 1e-4 and α = 0.05. */
const T_DF39_ALPHA_1E4_P3 = 4.688106795345842;
const T_DF39_ALPHA_005_P3 = 2.5016578991672045;
/** The two-sample (Welch) design of checkTwoSampleMeanTest, coordinate 1: ν = 57.0947 (scipy.stats.t.ppf at 1 − α/(2·3)). */
const T_DF57_0947_ALPHA_1E4_P3 = 4.505032817413168;
const T_DF57_0947_ALPHA_005_P3 = 2.4665629875243145;
/** scipy.stats.norm.ppf(1 − 1e-4/6): the Bonferroni floor of the two-sample test at α = 1e-4, p = 3. */
const Z_ALPHA_1E4_P3 = 4.149409984347971;

/** The bootstrap's resample count the claims use (the procedures' default) and the levels' Monte Carlo slack. */
const RESAMPLES = 2000;
const TAIL = 0.025;
const TAIL_SLACK = 4 * Math.sqrt((TAIL * (1 - TAIL)) / RESAMPLES);
const MEDIAN_SLACK = 4 * Math.sqrt(0.25 / RESAMPLES);

class Checker {
  readonly failures: string[] = [];
  readonly checks: string[] = [];

  /** Relative agreement of two computations of the same number. */
  close(name: string, measured: number, expected: number, relTol = 1e-9, absTol = 1e-12): void {
    const err = Math.abs(measured - expected);
    const tol = Math.max(absTol, relTol * Math.abs(expected));
    if (!(err <= tol)) this.failures.push(`${name}: expected ${expected}, measured ${measured} (|error| ${err.toExponential(2)} > tolerance ${tol.toExponential(2)})`);
    else this.checks.push(`${name}: ${fmt(measured)} (|error| ${err.toExponential(1)} ≤ ${tol.toExponential(1)})`);
  }

  /** measured within [lo, hi]; the margin is the distance to the nearer edge over the half-width. */
  within(name: string, measured: number, lo: number, hi: number): void {
    const half = (hi - lo) / 2;
    const margin = half > 0 ? Math.min(measured - lo, hi - measured) / half : measured === lo ? 1 : -1;
    if (!(measured >= lo && measured <= hi)) this.failures.push(`${name}: expected in [${fmt(lo)}, ${fmt(hi)}], measured ${fmt(measured)}`);
    else this.checks.push(`${name}: ${fmt(measured)} in [${fmt(lo)}, ${fmt(hi)}] (margin ${(100 * margin).toFixed(0)}% of the half-width)`);
  }

  equal<T>(name: string, measured: T, expected: T): void {
    if (measured !== expected) this.failures.push(`${name}: expected ${String(expected)}, measured ${String(measured)}`);
    else this.checks.push(`${name}: ${String(measured)}`);
  }

  /** A check that must not throw; a throw is a failure naming the procedure. */
  guard(name: string, body: () => void): void {
    try {
      body();
    } catch (err) {
      this.failures.push(`${name}: threw ${(err as Error).message ?? String(err)}`);
    }
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(6) : String(x);
}

// ---------- independent reference computations ----------

function refSlope(x: readonly number[], y: readonly number[]): number {
  // Σ (x−x̄)(y−ȳ) / Σ (x−x̄)², written out from the normal equations via sums.
  const n = x.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

/** (1/(n+1)) Σ_{k=0..n} g_k by a fresh sum for each n. */
function refG(g: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let k = 0; k <= n; k++) s += g[k];
  return s / (n + 1);
}

/** Every multiset of S seed indices with its probability under S draws with replacement. */
function resampleMultisets(S: number): { counts: number[]; prob: number }[] {
  const logFact = [0];
  for (let i = 1; i <= S; i++) logFact.push(logFact[i - 1] + Math.log(i));
  const out: { counts: number[]; prob: number }[] = [];
  const counts = new Array<number>(S).fill(0);
  const rec = (i: number, left: number) => {
    if (i === S - 1) {
      counts[i] = left;
      let lp = logFact[S] - S * Math.log(S);
      for (const c of counts) lp -= logFact[c];
      out.push({ counts: [...counts], prob: Math.exp(lp) });
      return;
    }
    for (let c = 0; c <= left; c++) {
      counts[i] = c;
      rec(i + 1, left - c);
    }
  };
  rec(0, S);
  return out;
}

/** The exact bootstrap distribution of a statistic of resample weights (counts/S), as a quantile function. */
function exactBootstrap(S: number, statistic: (weights: number[]) => number): (u: number) => number {
  const atoms = resampleMultisets(S)
    .map(({ counts, prob }) => ({ value: statistic(counts.map((c) => c / S)), prob }))
    .sort((a, b) => a.value - b.value);
  const cum: number[] = [];
  let total = 0;
  for (const a of atoms) cum.push((total += a.prob));
  return (u: number) => {
    const target = Math.min(Math.max(u, 0), 1) * total;
    for (let i = 0; i < atoms.length; i++) if (cum[i] >= target - 1e-15) return atoms[i].value;
    return atoms[atoms.length - 1].value;
  };
}

/**
 * Brackets of the expanded percentile interval's endpoints for the exact
 * bootstrap quantile function q: lower = m − f(m − q_a), upper = m + f(q_{1−a} − m)
 * with the median m and the percentiles each anywhere within their Monte
 * Carlo slack (f > 1, so lower falls as m rises and rises with q_a).
 */
function endpointBrackets(q: (u: number) => number, f: number): { lower: [number, number]; upper: [number, number] } {
  const mLo = q(0.5 - MEDIAN_SLACK);
  const mHi = q(0.5 + MEDIAN_SLACK);
  return {
    lower: [(1 - f) * mHi + f * q(TAIL - TAIL_SLACK), (1 - f) * mLo + f * q(TAIL + TAIL_SLACK)],
    upper: [(1 - f) * mHi + f * q(1 - TAIL - TAIL_SLACK), (1 - f) * mLo + f * q(1 - TAIL + TAIL_SLACK)],
  };
}

/**
 * The "one odd seed" design: S − 1 identical seeds and one different, so a
 * resample's statistic depends only on how many copies c of the odd seed it
 * holds, c ~ Binomial(S, 1/S). At S = 6: P(c = 0) = 0.335, P(c ≤ 1) = 0.737,
 * P(c ≤ 2) = 0.938, P(c ≤ 3) = 0.991. The 2.5% percentile is then v(0), the
 * median v(1) and the 97.5% percentile v(3) unless Monte Carlo noise moves a
 * level by ≥ 4.6 binomial sd (P < 1e-5 for any bootstrap seed), so the
 * expanded interval is known EXACTLY: [v1 − f(v1 − v0), v1 + f(v3 − v1)].
 * That pins the expansion factor f (its degrees of freedom), the median and
 * the percentile levels to rounding.
 */
const ODD_S = 6;

function checkOddSeedInterval(c: Checker, name: string, x: Interval, v: (copies: number) => number, f: number): void {
  const [v0, v1, v2, v3] = [v(0), v(1), v(2), v(3)];
  const increasing = v0 < v1 && v1 < v2 && v2 < v3;
  if (!increasing && !(v0 > v1 && v1 > v2 && v2 > v3)) {
    c.failures.push(`${name}: the one-odd-seed design is not monotone in the odd seed's copies (${[v0, v1, v2, v3].map(fmt).join(', ')})`);
    return;
  }
  // The 2.5% percentile is at c = 0 when the statistic rises with c, at c = 3 when it falls (and the 97.5% the other way).
  const [lo, hi] = increasing ? [v0, v3] : [v3, v0];
  c.close(`${name}: lower bound, one odd seed of ${ODD_S} (exact: v(1) − f·(v(1) − q_2.5%))`, x.lower, v1 - f * (v1 - lo), 1e-9, 1e-12);
  c.close(`${name}: upper bound, one odd seed of ${ODD_S} (exact: v(1) + f·(q_97.5% − v(1)))`, x.upper, v1 + f * (hi - v1), 1e-9, 1e-12);
}

function checkInterval(c: Checker, name: string, x: Interval, q: (u: number) => number, f: number): void {
  const b = endpointBrackets(q, f);
  c.within(`${name}: lower bound at the exact bootstrap's expanded ${TAIL} level`, x.lower, b.lower[0], b.lower[1]);
  c.within(`${name}: upper bound at the exact bootstrap's expanded ${1 - TAIL} level`, x.upper, b.upper[0], b.upper[1]);
}

// ---------- the checks ----------

function checkLeastSquares(c: Checker): void {
  // An exact line with a large intercept on uneven x (an uncentred x or a wrong divisor breaks it).
  const x = [3, 3.5, 4.2, 5.9, 6.1, 7.7, 9];
  const line = leastSquaresLine(
    x,
    x.map((v) => 2.5 - 0.43 * v),
  );
  c.close('leastSquaresLine: slope of an exact line', line.slope, -0.43);
  c.close('leastSquaresLine: intercept of an exact line', line.intercept, 2.5);
  // A scattered case with a hand-computed answer: slope 5.5/5 = 1.1, intercept 2.75 − 1.65 = 1.1.
  const fit = leastSquaresLine([0, 1, 2, 3], [1, 3, 2, 5]);
  c.close('leastSquaresLine: slope of (0,1),(1,3),(2,2),(3,5)', fit.slope, 1.1);
  c.close('leastSquaresLine: intercept of (0,1),(1,3),(2,2),(3,5)', fit.intercept, 1.1);
}

function checkAverages(c: Checker): void {
  const g = Array.from({ length: 301 }, (_, k) => Math.pow(k + 1, -0.5) * (1 + 0.3 * Math.sin(k)));
  const G = runningAverage(g);
  for (const n of [0, 1, 2, 7, 100, 300]) c.close(`runningAverage: G_${n} = mean of g_0..g_${n}`, G[n], refG(g, n));
  c.equal('runningAverage: one value per iterate', G.length, g.length);
  const rows = [
    [1, 100],
    [3, 1],
    [8, 4],
  ];
  const all = seedAverage(rows);
  c.close('seedAverage: column mean', all[1], 35);
  const picked = seedAverage(rows, [1, 1, 2, 2]);
  c.close('seedAverage: mean over picked seeds with repeats', picked[0], 5.5);
  c.close('seedAverage: mean over picked seeds with repeats (second column)', picked[1], 2.5);
  // Trapezoid rule: exact for g linear in k; g = 3 + 0.5k has G_n = 3 + 0.25n.
  const grid = [0, 1, 2, 5, 10, 50, 100];
  const sparse = sparseRunningAverage(
    grid,
    grid.map((k) => 3 + 0.5 * k),
  );
  grid.forEach((k, i) => c.close(`sparseRunningAverage: G_${k} of a linear g`, sparse[i], 3 + 0.25 * k));
  // And a curved g on a dense grid is exact: every iterate a checkpoint.
  const dense = Array.from({ length: 40 }, (_, k) => k);
  const curved = dense.map((k) => 1 / (k + 1) + 0.1 * Math.cos(k));
  const sd = sparseRunningAverage(dense, curved);
  for (const n of [0, 1, 13, 39]) c.close(`sparseRunningAverage: G_${n} on a dense grid`, sd[n], refG(curved, n));
}

function checkGridsAndVerdicts(c: Checker): void {
  const steps = logSpacedSteps(20, 2000, 10);
  c.equal('logSpacedSteps(20, 2000, 10): count', steps.length, 21);
  c.equal('logSpacedSteps(20, 2000, 10): first', steps[0], 20);
  c.equal('logSpacedSteps(20, 2000, 10): last', steps[steps.length - 1], 2000);
  let worst = 0;
  steps.forEach((s, i) => (worst = Math.max(worst, Math.abs(s - 20 * Math.pow(10, i / 10)))));
  c.within('logSpacedSteps(20, 2000, 10): largest distance from 20·10^(i/10)', worst, 0, 0.5);
  const grid = checkpointGrid(1000, 5);
  c.equal('checkpointGrid(1000, 5): starts at iterate 0, then 1', `${grid[0]},${grid[1]}`, '0,1');
  c.equal('checkpointGrid(1000, 5): ends at n', grid[grid.length - 1], 1000);
  const iv = (lower: number, upper: number): Interval => ({ estimate: (lower + upper) / 2, lower, upper, level: 0.95 });
  const table = [
    atMost(iv(-0.5, -0.35), -0.35),
    atLeast(iv(0.5, 1), 0.5),
    atMost(iv(-0.7, -0.5), -0.35),
    atMost(iv(-0.1, 0.1), -0.35),
    atMost(iv(-0.5, -0.2), -0.35),
    atLeast(iv(1, 2), 0.5),
    atLeast(iv(0, 0.4), 0.5),
    atLeast(iv(0.4, 0.6), 0.5),
    above(iv(0.5, 2), 0),
    above(iv(0, 0), 0),
    above(iv(-0.1, 0.3), 0),
    allOf(['pass', 'pass']),
    allOf(['pass', 'inconclusive']),
    allOf(['inconclusive', 'fail']),
    allOf(['fail', 'error']),
  ].join(',');
  c.equal(
    'verdict helpers: truth table',
    table,
    'pass,pass,pass,fail,inconclusive,pass,fail,inconclusive,pass,fail,inconclusive,pass,inconclusive,fail,error',
  );
}

/** Smooth per-seed power laws a_s (k+1)^{−p_s}: all variance is between seeds. */
function powerLawSeeds(amplitudes: number[], exponents: number[], n: number): Float64Array[] {
  return exponents.map((p, s) => Float64Array.from({ length: n + 1 }, (_, k) => amplitudes[s] * Math.pow(k + 1, -p)));
}

function checkRateStatistic(c: Checker): void {
  const n = 400;
  const checkpoints = [4, 8, 16, 32, 64, 128, 256, 400];
  const logN = checkpoints.map((v) => Math.log(v));
  const normalShift = 0.5 - refSlope(
    logN,
    logN.map((l) => Math.log(l)),
  );
  /** Slope of log(Σ_s w_s G_s(n)) vs log n from per-seed G rows. */
  const refRate = (Gs: number[][], w: number[]) =>
    refSlope(
      logN,
      checkpoints.map((_, j) => Math.log(Gs.reduce((acc, row, s) => acc + w[s] * row[j], 0))),
    );

  // (1) Point estimate: seeds with very different exponents, so E[log] and log E differ by ~0.1.
  const far = powerLawSeeds([1, 1, 1], [0.2, 0.6, 1.0], n);
  const farG = far.map((g) => checkpoints.map((k) => refG(g, k)));
  const expected = refRate(farG, [1 / 3, 1 / 3, 1 / 3]);
  const meanOfLogs = farG.map((row) => refRate([row], [1])).reduce((a, b) => a + b) / 3;
  const point = fitRate(far, { checkpoints, bootstrapSeed: 11, resamples: 50 });
  c.close(`fitRate: slope of log(seed-mean G_n) (the E[log] slope would be ${fmt(meanOfLogs)})`, point.slope.estimate, expected);
  c.close('fitRate: normalised slope = slope + 1/2 − slope of log log n', point.normalisedSlope.estimate, expected + normalShift);
  const gAt = checkpoints.map((k) => refG(seedAverage(far), k));
  c.close('fitRate: G at the last checkpoint', point.G[point.G.length - 1], gAt[gAt.length - 1]);

  // (2) The bootstrap over seeds against the exact bootstrap distribution (S = 6: 462 distinct resamples).
  const S = 6;
  const seeds = powerLawSeeds([1.3, 0.8, 1.1, 0.9, 1.2, 1.0], [0.45, 0.5, 0.55, 0.62, 0.7, 0.85], n);
  const Gs = seeds.map((g) => checkpoints.map((k) => refG(g, k)));
  const q = exactBootstrap(S, (w) => refRate(Gs, w));
  const f = (T_975_DF5 / Z_975) * Math.sqrt(S / (S - 1));
  const fit = fitRate(seeds, { checkpoints, bootstrapSeed: 12345 });
  c.close('fitRate: point estimate (S = 6)', fit.slope.estimate, refRate(Gs, new Array(S).fill(1 / S)));
  checkInterval(c, 'fitRate slope', fit.slope, q, f);
  c.close('fitRate: normalised interval = slope interval + 1/2 − slope of log log n (lower)', fit.normalisedSlope.lower, fit.slope.lower + normalShift, 1e-9, 1e-9);
  c.close('fitRate: normalised interval (upper)', fit.normalisedSlope.upper, fit.slope.upper + normalShift, 1e-9, 1e-9);
  c.equal('fitRate: level', fit.slope.level, 0.95);

  // The same statistic from per-seed G at the window: the same exact bootstrap.
  const sparse = fitRateFromRunningAverages(Gs, { window: checkpoints, bootstrapSeed: 54321 });
  c.close('fitRateFromRunningAverages: point estimate (S = 6)', sparse.slope.estimate, refRate(Gs, new Array(S).fill(1 / S)));
  checkInterval(c, 'fitRateFromRunningAverages slope', sparse.slope, q, f);
  c.close('fitRateFromRunningAverages: normalised interval shift', sparse.normalisedSlope.upper - sparse.slope.upper, normalShift, 1e-9, 1e-9);
  c.close('fitRateFromRunningAverages: seed-mean G at the last window point', sparse.G[checkpoints.length - 1], Gs.reduce((a, row) => a + row[checkpoints.length - 1], 0) / S);

  // (3) One odd seed: the interval known exactly (see checkOddSeedInterval).
  const oddSeeds = [...Array.from({ length: ODD_S - 1 }, () => seeds[0]), seeds[5]];
  const oddG = [Gs[0], Gs[5]];
  const vOdd = (copies: number) => refRate(oddG, [(ODD_S - copies) / ODD_S, copies / ODD_S]);
  const fitOdd = fitRate(oddSeeds, { checkpoints, bootstrapSeed: 777 });
  checkOddSeedInterval(c, 'fitRate slope', fitOdd.slope, vOdd, f);
  const sparseOdd = fitRateFromRunningAverages(
    oddSeeds.map((g) => checkpoints.map((k) => refG(g, k))),
    { window: checkpoints, bootstrapSeed: 778 },
  );
  checkOddSeedInterval(c, 'fitRateFromRunningAverages slope', sparseOdd.slope, vOdd, f);

  // (4) Identical seeds, noisy within: resampling seeds cannot move the statistic; resampling iterations or checkpoints would.
  const noisy = Float64Array.from({ length: n + 1 }, (_, k) => Math.pow(k + 1, -0.6) * (1 + 0.5 * Math.sin(1.7 * k)));
  const same = Array.from({ length: 8 }, () => noisy);
  const flat = fitRate(same, { checkpoints, bootstrapSeed: 7, resamples: 200 });
  c.close('fitRate: interval width when every seed is the same series (only seeds are resampled)', flat.slope.upper - flat.slope.lower, 0, 0, 1e-12);
  const flatG = same.map((g) => checkpoints.map((k) => refG(g, k)));
  const flatSparse = fitRateFromRunningAverages(flatG, { window: checkpoints, bootstrapSeed: 7, resamples: 200 });
  c.close('fitRateFromRunningAverages: interval width when every seed is the same (only seeds are resampled)', flatSparse.slope.upper - flatSparse.slope.lower, 0, 0, 1e-12);
}

function checkPairedBootstrap(c: Checker): void {
  const S = 6;
  const arm0 = [1.0, 1.4, 0.7, 1.2, 0.9, 1.6];
  const ratio = [0.5, 0.6, 0.45, 0.55, 0.52, 0.7];
  const arm1 = arm0.map((v, s) => v * ratio[s]);
  const stat = (w: number[]) => {
    let m0 = 0;
    let m1 = 0;
    for (let s = 0; s < S; s++) {
      m0 += w[s] * arm0[s];
      m1 += w[s] * arm1[s];
    }
    return Math.log(m0 / m1);
  };
  const q = exactBootstrap(S, stat);
  const f = (T_975_DF5 / Z_975) * Math.sqrt(S / (S - 1));
  const [gain, mean0] = pairedBootstrap([arm0, arm1], (m) => [Math.log(m[0] / m[1]), m[0]], { bootstrapSeed: 2468 });
  c.close('pairedBootstrap: point estimate of log(m0/m1)', gain.estimate, stat(new Array(S).fill(1 / S)));
  checkInterval(c, 'pairedBootstrap log ratio', gain, q, f);
  const qMean = exactBootstrap(S, (w) => w.reduce((acc, v, s) => acc + v * arm0[s], 0));
  checkInterval(c, 'pairedBootstrap arm mean', mean0, qMean, f);
  // One odd seed (arm values 1 and 0.5 on five seeds, 3 and 0.9 on the sixth): the interval known exactly.
  const oddArm0 = [1, 1, 1, 1, 1, 3];
  const oddArm1 = [0.5, 0.5, 0.5, 0.5, 0.5, 0.9];
  const vOdd = (copies: number) =>
    Math.log((((ODD_S - copies) * 1 + copies * 3) / ODD_S) / (((ODD_S - copies) * 0.5 + copies * 0.9) / ODD_S));
  const [oddGain] = pairedBootstrap([oddArm0, oddArm1], (m) => [Math.log(m[0] / m[1])], { bootstrapSeed: 1357 });
  checkOddSeedInterval(c, 'pairedBootstrap log ratio', oddGain, vOdd, f);
  // Pairing: arm 1 is exactly half of arm 0 on every seed, so the paired log ratio is log 2 on every resample
  // (an unpaired bootstrap, one draw per arm, would spread it over ±0.3).
  const [exact] = pairedBootstrap([arm0, arm0.map((v) => v / 2)], (m) => [Math.log(m[0] / m[1])], { bootstrapSeed: 99, resamples: 200 });
  c.close('pairedBootstrap: lower bound of the log ratio of arms equal up to a factor 2 on every seed (pairing kept)', exact.lower, Math.LN2, 0, 1e-12);
  c.close('pairedBootstrap: the same, upper bound', exact.upper, Math.LN2, 0, 1e-12);
}

function checkSmallSampleFactor(c: Checker): void {
  c.close('smallSampleFactor(8, 0.95) = (t_7/z)·√(8/7)', smallSampleFactor(8, 0.95), (T_975_DF7 / Z_975) * Math.sqrt(8 / 7), 1e-7);
  c.close('studentTQuantile(0.975, 5)', studentTQuantile(0.975, 5), T_975_DF5, 1e-9);
}

function checkWilson(c: Checker): void {
  // Wilson (1927); Newcombe (1998) Table I: 8/10 → [0.4902, 0.9433]; 0/20 → upper z²/(n + z²) = 0.1611; 50/50 → lower
  // 0.92865. Other levels: scipy.stats.binomtest(8, 10).proportion_ci(method='wilson').
  const w = wilsonInterval(8, 10);
  c.close('wilsonInterval(8, 10): lower', w.lower, 0.4902, 0, 2e-4);
  c.close('wilsonInterval(8, 10): upper', w.upper, 0.9433, 0, 2e-4);
  c.close('wilsonInterval(8, 10, 0.9): lower', wilsonInterval(8, 10, 0.9).lower, 0.5407928056874879, 1e-9);
  c.close('wilsonInterval(8, 10, 0.99): upper', wilsonInterval(8, 10, 0.99).upper, 0.9598688474953836, 1e-9);
  c.close('wilsonInterval(0, 20): upper', wilsonInterval(0, 20).upper, (Z_975 * Z_975) / (20 + Z_975 * Z_975), 1e-9);
  c.close('wilsonInterval(50, 50): lower', wilsonInterval(50, 50).lower, 50 / (50 + Z_975 * Z_975), 1e-9);
}

function checkFisherExact(c: Checker): void {
  // Exact rationals from the hypergeometric sums written out by hand:
  // 3/4 vs 1/4 (Fisher's tea tasting): P(X2 ≤ 1 | t = 4) = (C(4,0)C(4,4) + C(4,1)C(4,3))/C(8,4) = 17/70;
  // 8/10 vs 1/6: (C(6,0)C(10,9) + C(6,1)C(10,8))/C(16,9) = 280/11440; 32/32 vs 0/32: 1/C(64,32).
  c.close('fisherExactLess(3/4 vs 1/4)', fisherExactLess(3, 4, 1, 4), 17 / 70, 1e-9);
  c.close('fisherExactLess(8/10 vs 1/6)', fisherExactLess(8, 10, 1, 6), 280 / 11440, 1e-9);
  c.close('fisherExactLess(32/32 vs 0/32)', fisherExactLess(32, 32, 0, 32), 1 / 1832624140942590534, 1e-9, 0);
  c.close('fisherExactLess(0/4 vs 4/4) (no decrease)', fisherExactLess(0, 4, 4, 4), 1, 1e-12);
}

function checkMeanTest(c: Checker): void {
  // Draws with an exactly known sample mean and variance: coordinate i alternates μ_i ± s_i, so the mean is
  // μ_i and the sample variance s_i²·M/(M−1). The expected vector sits z_i standard errors away.
  const M = 40;
  const mu = [0.3, -1.2, 5];
  const s = [0.5, 2, 0.1];
  const z = [0.5, -3.2, 2];
  const moments = new DrawMoments(3);
  for (let j = 0; j < M; j++) moments.add(mu.map((m, i) => m + (j % 2 === 0 ? s[i] : -s[i])));
  const se = s.map((v) => (v * Math.sqrt(M / (M - 1))) / Math.sqrt(M));
  const expected = mu.map((m, i) => m - z[i] * se[i]);
  const strict = meanTest(moments, expected, 1e-4);
  c.close('meanTest: max |z| on draws with known mean and variance', strict.maxAbsZ, 3.2, 1e-9);
  c.equal('meanTest: worst coordinate', strict.worst, 1);
  c.close('meanTest: Bonferroni–t threshold at α = 1e-4, p = 3, M = 40', strict.threshold, T_DF39_ALPHA_1E4_P3, 1e-6);
  c.equal('meanTest: |z| = 3.2 passes at α = 1e-4', strict.ok, true);
  const loose = meanTest(moments, expected, 0.05);
  c.close('meanTest: threshold at α = 0.05, p = 3, M = 40', loose.threshold, T_DF39_ALPHA_005_P3, 1e-6);
  c.equal('meanTest: |z| = 3.2 is rejected at α = 0.05', loose.ok, false);
  // A deterministic coordinate is judged against rounding: equal passes, off by 1e-3 fails.
  const fixed = new DrawMoments(2);
  for (let j = 0; j < M; j++) fixed.add([2, j % 2 === 0 ? 1 : -1]);
  c.equal('meanTest: a zero-variance coordinate equal to its expected value passes', meanTest(fixed, [2, 0]).ok, true);
  c.equal('meanTest: a zero-variance coordinate off by 1e-3 fails', meanTest(fixed, [2.001, 0]).ok, false);
}

/** Slope of log(Σ_s w_s e[s][w]) against log m: written out from sums (refSlope), not via the procedure. */
function refWidthSlope(table: readonly (readonly number[])[], logWidths: readonly number[], weights: readonly number[]): number {
  return refSlope(
    logWidths,
    logWidths.map((_, w) => Math.log(table.reduce((acc, row, s) => acc + weights[s] * row[w], 0))),
  );
}

/** The NTK family's statistics over seeds, injectable so tests can show the checks turn red on broken ones. */
export interface SeedStatisticProcedures {
  widthSlope: typeof widthSlope;
  bootstrapInterval: typeof bootstrapInterval;
  withinBand: typeof withinBand;
}

const SEED_STATISTICS: SeedStatisticProcedures = { widthSlope, bootstrapInterval, withinBand };

function checkSeedStatistics(c: Checker, p: SeedStatisticProcedures): void {
  checkWidthSlope(c, p.widthSlope);
  checkSeedMeanInterval(c, p.bootstrapInterval);
  checkWithinBand(c, p.withinBand);
}

function checkWidthSlope(c: Checker, slope: SeedStatisticProcedures['widthSlope']): void {
  const widths = [64, 256, 1024, 4096];
  const logWidths = widths.map(Math.log);
  // (1) Point estimate: per-seed power laws with different exponents, so the spread across seeds changes with m and
  // log E (the slope of log of the seed mean) and E[log] (−0.6, the mean of the exponents) differ by ≈ 0.2.
  const far = [0.2, 0.6, 1.0].map((p, s) => widths.map((m) => [1.5, 1, 0.7][s] * Math.pow(m, -p)));
  const expected = refWidthSlope(far, logWidths, [1 / 3, 1 / 3, 1 / 3]);
  const meanOfLogs = far.map((row) => refWidthSlope([row], logWidths, [1])).reduce((a, b) => a + b) / far.length;
  c.close(
    `widthSlope: slope of log(seed-mean e) vs log m (the E[log] slope would be ${fmt(meanOfLogs)})`,
    slope(far, widths, { bootstrapSeed: 21, resamples: 50 }).estimate,
    expected,
  );

  // (2) The bootstrap over seeds against the exact bootstrap distribution (S = 6: 462 distinct resamples).
  const S = 6;
  const seeds = [0.35, 0.45, 0.5, 0.55, 0.62, 0.8].map((p, s) => widths.map((m) => [1.3, 0.8, 1.1, 0.9, 1.2, 1.0][s] * Math.pow(m, -p)));
  const f = (T_975_DF5 / Z_975) * Math.sqrt(S / (S - 1));
  const fit = slope(seeds, widths, { bootstrapSeed: 4242 });
  c.close('widthSlope: point estimate (S = 6)', fit.estimate, refWidthSlope(seeds, logWidths, new Array(S).fill(1 / S)));
  checkInterval(
    c,
    'widthSlope',
    fit,
    exactBootstrap(S, (w) => refWidthSlope(seeds, logWidths, w)),
    f,
  );
  c.equal('widthSlope: level', fit.level, 0.95);

  // (3) One odd seed: the interval known exactly (see checkOddSeedInterval).
  const odd = [...Array.from({ length: ODD_S - 1 }, () => seeds[0]), seeds[5]];
  const vOdd = (copies: number) => refWidthSlope([seeds[0], seeds[5]], logWidths, [(ODD_S - copies) / ODD_S, copies / ODD_S]);
  checkOddSeedInterval(c, 'widthSlope', slope(odd, widths, { bootstrapSeed: 4343 }), vOdd, f);

  // (4) Identical seeds, uneven across widths: resampling seeds cannot move the statistic; resampling widths would.
  const bumpy = widths.map((m, w) => Math.pow(m, -0.5) * (1 + 0.4 * Math.sin(2.3 * w)));
  const flat = slope(
    Array.from({ length: 8 }, () => bumpy),
    widths,
    { bootstrapSeed: 7, resamples: 200 },
  );
  c.close('widthSlope: interval width when every seed is the same (only seeds are resampled)', flat.upper - flat.lower, 0, 0, 1e-12);
}

function checkSeedMeanInterval(c: Checker, interval: SeedStatisticProcedures['bootstrapInterval']): void {
  const S = 6;
  const f = (T_975_DF5 / Z_975) * Math.sqrt(S / (S - 1));
  const values = [1.0, 1.4, 0.7, 1.2, 0.9, 1.6];
  const fit = interval(values, { bootstrapSeed: 1122 });
  c.close('bootstrapInterval: point estimate = the mean of the seeds', fit.estimate, values.reduce((a, b) => a + b) / S);
  checkInterval(
    c,
    'bootstrapInterval of a seed mean',
    fit,
    exactBootstrap(S, (w) => w.reduce((acc, v, s) => acc + v * values[s], 0)),
    f,
  );
  // One odd seed (1 on five seeds, 3 on the sixth): the interval known exactly.
  const vOdd = (copies: number) => ((ODD_S - copies) * 1 + copies * 3) / ODD_S;
  checkOddSeedInterval(c, 'bootstrapInterval of a seed mean', interval([1, 1, 1, 1, 1, 3], { bootstrapSeed: 2233 }), vOdd, f);
  const same = interval([0.7, 0.7, 0.7, 0.7, 0.7], { bootstrapSeed: 3, resamples: 200 });
  c.close('bootstrapInterval: interval width when every seed has the same value', same.upper - same.lower, 0, 0, 1e-12);
}

function checkWithinBand(c: Checker, band: SeedStatisticProcedures['withinBand']): void {
  const iv = (lower: number, upper: number): Interval => ({ estimate: (lower + upper) / 2, lower, upper, level: 0.95 });
  const table = [iv(0.9, 1.1), iv(0.8, 1.2), iv(0.7, 0.9), iv(1.1, 1.3), iv(0.7, 1.3), iv(0.5, 0.7), iv(1.3, 1.5), iv(0.6, 0.8)]
    .map((x) => band(x, 0.8, 1.2))
    .join(',');
  c.equal('withinBand [0.8, 1.2]: truth table', table, 'pass,pass,inconclusive,inconclusive,inconclusive,fail,fail,inconclusive');
}

type TwoSampleProcedure = typeof twoSampleMeanTest;

/** Draws alternating μ_i ± s_i (M even): the sample mean is μ_i and the sample variance s_i²·M/(M − 1), exactly but for rounding. */
function alternatingDraws(M: number, mu: readonly number[], s: readonly number[]): DrawMoments {
  const m = new DrawMoments(mu.length);
  for (let j = 0; j < M; j++) m.add(mu.map((v, i) => v + (j % 2 === 0 ? s[i] : -s[i])));
  return m;
}

function checkTwoSampleMeanTest(c: Checker, test: TwoSampleProcedure): void {
  // (1) Welch: two noisy samples of different sizes (M_a = 40, M_b = 100) with known means and variances; side b's
  // means sit z_i combined standard errors SE_i = √(s²_a,i/M_a + s²_b,i/M_b) below side a's. A per-draw variance where
  // the variance of the mean belongs (s²_a for s²_a/M_a), swapped counts or a wrong ν move z, SE, ν or the threshold.
  const Ma = 40;
  const Mb = 100;
  const muA = [0.3, -1.2, 2];
  const sA = [0.5, 2, 0.4];
  const sB = [0.2, 1.5, 0.9];
  const z = [0.8, -4.4, 2.1];
  const qa = sA.map((v) => (v * v) / (Ma - 1));
  const qb = sB.map((v) => (v * v) / (Mb - 1));
  const se = qa.map((v, i) => Math.sqrt(v + qb[i]));
  const nu = qa.map((v, i) => (v + qb[i]) ** 2 / ((v * v) / (Ma - 1) + (qb[i] * qb[i]) / (Mb - 1)));
  const a = alternatingDraws(Ma, muA, sA);
  const b = alternatingDraws(
    Mb,
    muA.map((m, i) => m - z[i] * se[i]),
    sB,
  );
  const strict = test(a, b, 1e-4);
  c.equal('twoSampleMeanTest: worst coordinate (largest |z|/threshold)', strict.worst, 1);
  c.close('twoSampleMeanTest: Welch z = (ā − b̄)/√(s²_a/M_a + s²_b/M_b) on samples with known means and variances', strict.z, z[1], 1e-9);
  c.close('twoSampleMeanTest: combined standard error of the difference of means', strict.standardError, se[1], 1e-9);
  c.close('twoSampleMeanTest: difference of means', strict.difference, z[1] * se[1], 1e-9);
  c.close(`twoSampleMeanTest: Welch–Satterthwaite ν (M_a = ${Ma}, M_b = ${Mb})`, strict.degreesOfFreedom, nu[1], 1e-9);
  c.close('twoSampleMeanTest: Bonferroni–t threshold at ν = 57.09, α = 1e-4, p = 3', strict.threshold, T_DF57_0947_ALPHA_1E4_P3, 1e-6);
  c.equal('twoSampleMeanTest: |z| = 4.4 passes at α = 1e-4', strict.ok, true);
  c.equal('twoSampleMeanTest: draws counted on each side', `${strict.drawsA},${strict.drawsB}`, `${Ma},${Mb}`);
  const loose = test(a, b, 0.05);
  c.close('twoSampleMeanTest: Bonferroni–t threshold at ν = 57.09, α = 0.05, p = 3', loose.threshold, T_DF57_0947_ALPHA_005_P3, 1e-6);
  c.equal('twoSampleMeanTest: |z| = 4.4 is rejected at α = 0.05', loose.ok, false);
  // The resolution allowance: z on max(0, |ā − b̄| − resolution), here half the difference.
  const halved = test(a, b, 1e-4, [0, Math.abs(z[1] * se[1]) / 2, 0]);
  c.close('twoSampleMeanTest: resolution of half the difference halves z', halved.z, z[1] / 2, 1e-9);
  // Coordinates below the normal floor are judged against it.
  const small = test(a, b, 1e-4, [0, Math.abs(z[1] * se[1]), 0]);
  c.close('twoSampleMeanTest: threshold of |z| under the normal floor is the floor Φ⁻¹(1 − α/(2p))', small.threshold, Z_ALPHA_1E4_P3, 1e-6);

  // (2) A noise-free side b (M_b = 60): ν = M_a − 1 = 39 exactly, the threshold a published t_39 quantile.
  const fixedB = new DrawMoments(3);
  const muB = [1, -0.5, 2.25];
  for (let j = 0; j < 60; j++) fixedB.add(muB);
  const sA2 = [0.5, 2, 0.1];
  const z2 = [0.5, 4.4, -2];
  const se2 = sA2.map((v) => v / Math.sqrt(Ma - 1));
  const a2 = alternatingDraws(
    Ma,
    muB.map((m, i) => m + z2[i] * se2[i]),
    sA2,
  );
  const one = test(a2, fixedB, 1e-4);
  c.close('twoSampleMeanTest: z against a noise-free side', one.z, 4.4, 1e-9);
  c.close('twoSampleMeanTest: ν = M_a − 1 against a noise-free side', one.degreesOfFreedom, Ma - 1, 1e-9);
  c.close('twoSampleMeanTest: Bonferroni–t threshold at ν = 39, α = 1e-4, p = 3', one.threshold, T_DF39_ALPHA_1E4_P3, 1e-6);
  c.close('twoSampleMeanTest: Bonferroni–t threshold at ν = 39, α = 0.05, p = 3', test(a2, fixedB, 0.05).threshold, T_DF39_ALPHA_005_P3, 1e-6);

  // (3) Coordinates without noise on either side must agree to rounding: equal passes, off by 1e-3 fails.
  const constant = (v: number[]) => {
    const m = new DrawMoments(v.length);
    for (let j = 0; j < 30; j++) m.add(v);
    return m;
  };
  c.equal('twoSampleMeanTest: noise-free sides that agree pass', test(constant([2, -1]), constant([2, -1])).ok, true);
  c.equal('twoSampleMeanTest: noise-free sides off by 1e-3 fail', test(constant([2, -1]), constant([2.001, -1])).ok, false);
}

function checkUnbiasedSquaredNorm(c: Checker): void {
  const draws = [
    [1.0, 2.0, -0.5],
    [1.4, 1.5, 0.2],
    [0.6, 2.6, -0.1],
    [1.1, 1.8, -0.9],
    [0.9, 2.2, 0.3],
  ];
  const J = draws.length;
  /** ‖ḡ‖² − tr(Ĉov)/J with the divisor J − 1. */
  const reference = (rows: number[][]) => {
    const m = rows.length;
    let value = 0;
    for (let i = 0; i < rows[0].length; i++) {
      const mean = rows.reduce((a, r) => a + r[i], 0) / m;
      const variance = rows.reduce((a, r) => a + (r[i] - mean) ** 2, 0) / (m - 1);
      value += mean * mean - variance / m;
    }
    return value;
  };
  const est = unbiasedSquaredNorm(draws);
  c.close('unbiasedSquaredNorm: ‖ḡ‖² − tr(Ĉov)/J', est.estimate, reference(draws));
  const mean = [0, 1, 2].map((i) => draws.reduce((a, r) => a + r[i], 0) / J);
  c.close('unbiasedSquaredNorm: plug-in ‖ḡ‖²', est.plugIn, mean.reduce((a, v) => a + v * v, 0));
  const loo = draws.map((_, j) => reference(draws.filter((__, i) => i !== j)));
  const looMean = loo.reduce((a, b) => a + b) / J;
  const jack = Math.sqrt(((J - 1) / J) * loo.reduce((a, v) => a + (v - looMean) ** 2, 0));
  c.close('unbiasedSquaredNorm: jackknife standard error', est.standardError, jack);
}

function runSection(name: string, run: (c: Checker) => void): SelfCheckResult {
  const c = new Checker();
  c.guard(name, () => run(c));
  return { ok: c.failures.length === 0, failures: c.failures, checks: c.checks };
}

/**
 * The section of statisticsSelfCheck on the NTK family's statistics over
 * seeds, on its own and with any procedure replaced (the tests show it turns
 * red on broken procedures and stays green on the library's).
 */
export function seedStatisticsSelfCheck(replace: Partial<SeedStatisticProcedures> = {}): SelfCheckResult {
  return runSection("the NTK family's statistics over seeds", (c) => checkSeedStatistics(c, { ...SEED_STATISTICS, ...replace }));
}

/** The two-sample test's section of statisticsSelfCheck on its own, the procedure replaceable (as seedStatisticsSelfCheck). */
export function twoSampleMeanTestSelfCheck(procedure: TwoSampleProcedure = twoSampleMeanTest): SelfCheckResult {
  return runSection('the two-sample (Welch) mean test', (c) => checkTwoSampleMeanTest(c, procedure));
}

let cached: SelfCheckResult | undefined;

export function statisticsSelfCheck(): SelfCheckResult {
  if (cached) return cached;
  const c = new Checker();
  const sections: [string, (c: Checker) => void][] = [
    ['least squares', checkLeastSquares],
    ['running, seed and sparse averages', checkAverages],
    ['grids and verdict helpers', checkGridsAndVerdicts],
    ['the rate statistic and its bootstrap over seeds', checkRateStatistic],
    ['the paired bootstrap', checkPairedBootstrap],
    ['the small-sample expansion', checkSmallSampleFactor],
    ['Wilson intervals', checkWilson],
    ["Fisher's exact test (one-sided)", checkFisherExact],
    ["the NTK family's statistics over seeds (width slope, seed-mean interval, band)", (c) => checkSeedStatistics(c, SEED_STATISTICS)],
    ['the mean test', checkMeanTest],
    ['the two-sample (Welch) mean test', (c) => checkTwoSampleMeanTest(c, twoSampleMeanTest)],
    ['the unbiased squared norm', checkUnbiasedSquaredNorm],
  ];
  for (const [name, run] of sections) c.guard(name, () => run(c));
  cached = { ok: c.failures.length === 0, failures: c.failures, checks: c.checks };
  return cached;
}
