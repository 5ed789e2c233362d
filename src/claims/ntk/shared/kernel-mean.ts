/**
 * Does the engine's empirical tangent kernel have the analytic kernel as its
 * mean? For the one-hidden-layer network of family N this holds EXACTLY at
 * every width, not only in the limit: the empirical NTK w.r.t. θ is a sum of
 * one term per hidden unit,
 *   Θ̂(x, x') = Σ_u [ (σ_W²/m) a_u² φ'(h_u)φ'(h'_u) q̂(x, x') + (σ_W²/m) φ(h_u)φ(h'_u) ] + σ_b²,
 * with q̂ = σ_W² xᵀx'/d + σ_b² and the units' parameters i.i.d. N(0, 1), so
 * E Θ̂ = σ_W² q k0 + σ_W² k1 + σ_b² = Θ (k0, k1 the arc-cosine expectations;
 * src/kernels/relu-ntk.ts). The same holds for the kernel of any block of b
 * units scaled by m/b, and per parameter group: the hidden layer (W and b)
 * has mean Θ − K (the "derivative" part), the readout a has mean K − σ_b².
 * Antisymmetric initialisation pairs units with identical contributions at
 * initialisation; blocks then hold whole pairs and stay i.i.d.
 *
 * So a width is not needed to see a formula error, only enough units: the
 * engine's kernels of blocks of units are i.i.d. draws whose mean must equal
 * the analytic kernel. This module turns such draws into a test that sees a
 * few-percent formula error (e.g. π − 0.9θ for π − θ in one arc-cosine term:
 * off-diagonal entries move by 1–9% of their group's value).
 *
 * Coordinates: per parameter group, the mean of the kernel over bins of
 * entries — the diagonal (x = x') and B bins of off-diagonal pairs by input
 * cosine (quantile edges). A formula error is a smooth function of the cosine,
 * so bins keep its sign while averaging the entries' noise.
 *
 * Control variates: the units' contributions share factors across entries
 * (a_u², the unit's scale), so every bin moves with quantities whose means
 * are known exactly: the blocks' means of the squared initial parameters
 * (E a_θ² = E ‖W_θ‖²/d = E b_θ² = 1 under the N(0, 1) initialisation; the
 * primary controls, tested raw themselves) and the diagonal bins (secondary
 * controls, adjusted by the primary ones). Each other coordinate k is
 * estimated by the regression estimator
 *   μ̂_k = mean_j [ y_jk − β̂_kᵀ (c_j − c₀) ],
 * β̂_k the least-squares coefficients of y_k on its controls c, c₀ their exact
 * means. It is unbiased up to O(1/M) under the null, and its standard error
 * is the standard deviation of the adjusted draws (the estimator's influence
 * function; no homoscedasticity needed) with M − 1 − #controls degrees of
 * freedom. On this test bed (d = 32, n = 32) the adjustment cuts the units
 * needed to see the π − 0.9θ error at |t| = 7 from ≈ 1.3e4–8e4 to ≈ 2e3–6e3
 * (float64 simulation), and the parameter moments cut the diagonal's
 * standard error — the χ² spread of a_u² — by ≈ 2×.
 * Decision: t_k = (μ̂_k − expected_k)/se_k; the kernel's mean is rejected
 * when max_k |t_k| exceeds the Bonferroni threshold t_{ν}(1 − α/(2p)) over
 * the p coordinates. Bonferroni holds under any correlation between
 * coordinates, so the family-wise false-alarm rate is ≤ α (default 1e-4) for
 * normal draws; each draw averages many i.i.d. units, and the mean of M ≥ 100
 * draws is close to normal (CLT). Checked on the engine (300 repetitions of
 * 256 block draws under the null): every coordinate's t has mean 0 ± 0.1 and
 * standard deviation 0.95–1.08, P(|t| > 3) = 0.0023 (normal: 0.0027). The
 * one skewed coordinate family, the χ² parameter moments (a draw's skewness
 * 2√2/√64 ≈ 0.35), has an Edgeworth-corrected far tail up to ≈ 1.7× the
 * normal one at M = 256 (≈ 1.3× at M = 1360): the family-wise false-alarm
 * rate is then ≤ ≈ 1.5e-4 instead of 1e-4.
 *
 * An allowance (absolute, per coordinate) can be given for a known bias of
 * the estimator (the stochastic network's finite noise average); a
 * coordinate then rejects only when |μ̂ − expected| − allowance > threshold·se
 * (an adjusted coordinate's allowance includes Σ |β̂_a| × its controls' allowances).
 */
import { Matrix, solve } from 'ml-matrix';
import type { SphereData } from '../../../models/ntk/data.ts';
import { studentTQuantile } from '../../../stats/student-t.ts';

/** One block of kernel entries: rows × columns (the same data set for a square, symmetric block). */
export interface EntryBlock {
  rows: SphereData;
  cols: SphereData;
}

/** Which bin every entry of each block falls into (−1: not used, e.g. the lower triangle of a square block). */
export interface BinLayout {
  entryBins: Int32Array[];
  /** Entries per bin. */
  counts: Float64Array;
  labels: string[];
  /** Index of the diagonal bin, or −1 when no block is square. */
  diagonal: number;
}

function cosine(a: SphereData, i: number, b: SphereData, j: number): number {
  const d = a.d;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < d; k++) {
    ab += a.x[i * d + k] * b.x[j * d + k];
    aa += a.x[i * d + k] ** 2;
    bb += b.x[j * d + k] ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * Bins of kernel entries: the diagonal of square blocks (rows === cols, upper
 * triangle used: the kernel is symmetric) and `offDiagonalBins` bins of the
 * off-diagonal entries of all blocks by the cosine of their inputs, with
 * quantile edges (equal counts).
 */
export function binLayout(blocks: readonly EntryBlock[], offDiagonalBins: number): BinLayout {
  if (!Number.isInteger(offDiagonalBins) || offDiagonalBins < 1) throw new RangeError(`offDiagonalBins = ${offDiagonalBins}; allowed an integer ≥ 1`);
  const cosines: number[] = [];
  const hasDiagonal = blocks.some((b) => b.rows === b.cols);
  for (const { rows, cols } of blocks) {
    const square = rows === cols;
    for (let i = 0; i < rows.n; i++) for (let j = square ? i + 1 : 0; j < cols.n; j++) cosines.push(cosine(rows, i, cols, j));
  }
  if (cosines.length < offDiagonalBins) throw new RangeError(`${cosines.length} off-diagonal entries cannot fill ${offDiagonalBins} bins`);
  const sorted = [...cosines].sort((a, b) => a - b);
  const edges = Array.from({ length: offDiagonalBins - 1 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / offDiagonalBins)]);
  const binOf = (c: number) => {
    let b = 0;
    while (b < edges.length && c >= edges[b]) b++;
    return b;
  };
  const diagonal = hasDiagonal ? offDiagonalBins : -1;
  const counts = new Float64Array(offDiagonalBins + (hasDiagonal ? 1 : 0));
  const entryBins = blocks.map(({ rows, cols }) => {
    const square = rows === cols;
    const out = new Int32Array(rows.n * cols.n).fill(-1);
    for (let i = 0; i < rows.n; i++) {
      for (let j = square ? i : 0; j < cols.n; j++) {
        const b = square && i === j ? diagonal : binOf(cosine(rows, i, cols, j));
        out[i * cols.n + j] = b;
        counts[b]++;
      }
    }
    return out;
  });
  const fmt = (v: number) => v.toFixed(2);
  const labels = Array.from({ length: offDiagonalBins }, (_, k) => {
    const lo = k === 0 ? -1 : edges[k - 1];
    const hi = k === offDiagonalBins - 1 ? 1 : edges[k];
    return `cos ∈ [${fmt(lo)}, ${fmt(hi)})`;
  });
  if (hasDiagonal) labels.push('diagonal');
  return { entryBins, counts, labels, diagonal };
}

/** Bin means of one kernel given block by block (row-major values, `offsets[k]` where block k starts in `values[k]`). */
export function binMeans(layout: BinLayout, values: readonly ArrayLike<number>[], offsets: readonly number[] = values.map(() => 0), scale = 1): Float64Array {
  const out = new Float64Array(layout.counts.length);
  layout.entryBins.forEach((bins, k) => {
    const v = values[k];
    const o = offsets[k];
    for (let e = 0; e < bins.length; e++) if (bins[e] >= 0) out[bins[e]] += v[o + e];
  });
  for (let b = 0; b < out.length; b++) out[b] = (scale * out[b]) / layout.counts[b];
  return out;
}

export interface KernelMeanCoordinate {
  label: string;
  expected: number;
  estimate: number;
  standardError: number;
  t: number;
  /** Control-variate adjusted (false for the controls themselves). */
  adjusted: boolean;
}

export interface KernelMeanTestResult {
  draws: number;
  degreesOfFreedom: number;
  coordinates: KernelMeanCoordinate[];
  threshold: number;
  falseAlarm: number;
  maxAbsT: number;
  worst: number;
  /**
   * Smallest shift of a coordinate seen with probability ≈ 0.98,
   * (threshold + 2)·se, relative to the scale of the coordinate's group
   * (the largest |expected| among the group's coordinates): the worst over
   * the fully adjusted coordinates (shape: off-diagonal bins) and over the
   * secondary controls (scale: the diagonal bins). "The test sees a formula
   * error of this relative size."
   */
  shapeResolution: number;
  scaleResolution: number;
  ok: boolean;
}

/**
 * The test described at the top. `draws[j]` is draw j's coordinate vector,
 * `expected` the exact mean. Control variates in two tiers:
 *   `controls` (primary): coordinates with an exact known mean that adjust
 *     every other coordinate and are themselves tested raw (e.g. the mean
 *     of a parameter's square over the block, E = 1 by the initialisation);
 *   `secondary` (e.g. the kernel's diagonal bins): adjusted by the primary
 *     controls, and adjusting the remaining coordinates together with them.
 * `groupOf[k]` names coordinate k's group (for the resolution's scale),
 * `allowance[k]` an absolute tolerance for a known bias (default 0).
 */
export function kernelMeanTest(opts: {
  draws: readonly Float64Array[];
  expected: ArrayLike<number>;
  labels: readonly string[];
  controls: readonly number[];
  secondary?: readonly number[];
  groupOf: readonly string[];
  allowance?: ArrayLike<number>;
  falseAlarm?: number;
}): KernelMeanTestResult {
  const { draws, expected, controls, labels, groupOf } = opts;
  const secondary = opts.secondary ?? [];
  const falseAlarm = opts.falseAlarm ?? 1e-4;
  const M = draws.length;
  const p = expected.length;
  const C = controls.length + secondary.length;
  if (M < 30 + C) throw new RangeError(`a kernel mean test needs at least ${30 + C} draws, got ${M}`);
  if (labels.length !== p || groupOf.length !== p) throw new RangeError(`labels and groups need ${p} entries`);
  for (const d of draws) if (d.length !== p) throw new RangeError(`every draw needs ${p} coordinates, got ${d.length}`);
  for (const k of [...controls, ...secondary]) if (!(k >= 0 && k < p)) throw new RangeError(`control ${k} is not a coordinate (0..${p - 1})`);
  const means = Float64Array.from({ length: p }, (_, k) => draws.reduce((s, d) => s + d[k], 0) / M);
  const cov = (a: number, b: number) => {
    let s = 0;
    for (const d of draws) s += (d[a] - means[a]) * (d[b] - means[b]);
    return s / (M - 1);
  };
  const df = M - 1 - C;
  const threshold = studentTQuantile(1 - falseAlarm / (2 * p), df);
  const coordinates: KernelMeanCoordinate[] = [];
  for (let k = 0; k < p; k++) {
    const adjusters = controls.includes(k) ? [] : secondary.includes(k) ? [...controls] : [...controls, ...secondary];
    const A = adjusters.length;
    let beta = new Float64Array(A);
    if (A > 0) {
      const Saa = new Matrix(A, A);
      const Say = new Matrix(A, 1);
      adjusters.forEach((a, i) => {
        adjusters.forEach((b, j) => Saa.set(i, j, cov(a, b)));
        Say.set(i, 0, cov(a, k));
      });
      beta = Float64Array.from(solve(Saa, Say).getColumn(0));
    }
    // Adjusted draws y − βᵀ(c − c₀): their mean is the estimator, their spread its standard error.
    let s = 0;
    let s2 = 0;
    for (const d of draws) {
      let v = d[k];
      for (let a = 0; a < A; a++) v -= beta[a] * (d[adjusters[a]] - expected[adjusters[a]]);
      s += v;
      s2 += v * v;
    }
    const est = s / M;
    const variance = Math.max(0, (s2 - M * est * est) / (M - 1 - A));
    const se = Math.sqrt(variance / M);
    // A control's own bias enters the adjusted estimate through β.
    let allowance = opts.allowance?.[k] ?? 0;
    for (let a = 0; a < A; a++) allowance += Math.abs(beta[a]) * (opts.allowance?.[adjusters[a]] ?? 0);
    const excess = Math.max(0, Math.abs(est - expected[k]) - allowance);
    const t = se > 0 ? Math.sign(est - expected[k]) * (excess / se) : excess > 0 ? Infinity : 0;
    coordinates.push({ label: labels[k], expected: expected[k], estimate: est, standardError: se, t, adjusted: A > 0 });
  }
  let worst = 0;
  coordinates.forEach((c, k) => {
    if (Math.abs(c.t) > Math.abs(coordinates[worst].t)) worst = k;
  });
  const scale = new Map<string, number>();
  coordinates.forEach((c, k) => scale.set(groupOf[k], Math.max(scale.get(groupOf[k]) ?? 0, Math.abs(c.expected))));
  const resolutionOf = (k: number) => ((threshold + 2) * coordinates[k].standardError) / Math.max(scale.get(groupOf[k])!, 1e-300);
  const shape = coordinates.map((_, k) => k).filter((k) => !controls.includes(k) && !secondary.includes(k));
  const scaleCoordinates = secondary.length > 0 ? secondary : controls;
  const shapeResolution = shape.length ? Math.max(...shape.map(resolutionOf)) : 0;
  const scaleResolution = scaleCoordinates.length ? Math.max(...scaleCoordinates.map(resolutionOf)) : 0;
  const maxAbsT = Math.abs(coordinates[worst].t);
  return { draws: M, degreesOfFreedom: df, coordinates, threshold, falseAlarm, maxAbsT, worst, shapeResolution, scaleResolution, ok: maxAbsT <= threshold };
}

/** "max |t| = 2.1 at derivative, cos ∈ [...] (mean 0.0412 vs analytic 0.0415 ± 0.0002; threshold 5.3, ...)". */
export function describeKernelMeanTest(t: KernelMeanTestResult): string {
  const c = t.coordinates[t.worst];
  return (
    `max |t| = ${t.maxAbsT.toFixed(2)} at ${c.label} (empirical mean ${c.estimate.toPrecision(5)} vs analytic ${c.expected.toPrecision(5)}, ` +
    `standard error ${c.standardError.toExponential(2)}${c.adjusted ? ', control-variate adjusted' : ''}); threshold ${t.threshold.toFixed(2)} ` +
    `(Bonferroni over ${t.coordinates.length} coordinates, family-wise false alarm ≤ ${t.falseAlarm}, ${t.draws} i.i.d. block draws, ν = ${t.degreesOfFreedom}); ` +
    `resolution ${(100 * t.shapeResolution).toFixed(2)}% of a group's scale across entries (shape), ${(100 * t.scaleResolution).toFixed(2)}% on the diagonal (scale)`
  );
}
