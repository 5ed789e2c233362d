/**
 * Mixtures of factorised one-parameter exponential families (Bernoulli,
 * Poisson), float64:
 *   p(c) = π_c,  p(x|c) = Π_d h(x_d) exp(η_cd x_d − A(η_cd)),  mean m_cd = A'(η_cd).
 * EM with an M-step for ANY responsibilities (π = q̄, m_cd = weighted mean),
 * and the entropy-sum bookkeeping of [LW22, W25]:
 *   S = (1/N) Σ_n H[q_n] − H[π] − Σ_c q̄_c Σ_d H[p(x_d | m_cd)],
 *   F − S = R_z + R_x + B exactly, at any point:
 *     R_z = Σ_c (q̄_c − π_c) log π_c,
 *     R_x = Σ_c q̄_c Σ_d (x̄_cd − m_cd) η_cd        (x̄_cd: weighted data mean),
 *     B   = (1/N) Σ_n Σ_d log h(x_nd) − Σ_c q̄_c Σ_d E_{m_cd}[log h(x)],
 * B = 0 for a constant base measure (Bernoulli), not for Poisson (h = 1/x!).
 * Layout: x N×D row-major, q N×K, means K×D.
 */
import { categoricalEntropy, decomposition, diagnosis, logSumExp, xlogy, type EntropyDiagnosis } from '../../entropy/formulas.ts';
import { averageResponsibilities } from './gmm.ts';

export interface ProductFamily {
  name: string;
  /** log p(x | mean) including the base measure. */
  logDensity(x: number, mean: number): number;
  /** H[p(· | mean)]. */
  entropy(mean: number): number;
  /** Natural parameter η(mean). */
  natural(mean: number): number;
  /** log h(x). */
  logBase(x: number): number;
  /** E_{p(·|mean)}[log h(x)]. */
  expectedLogBase(mean: number): number;
  /** Throws a clear error for values outside the support. */
  checkValue(x: number, where: string): void;
  checkMean(mean: number, where: string): void;
}

export interface ProductMixtureParams {
  K: number;
  D: number;
  pi: Float64Array;
  means: Float64Array;
}

export interface CountData {
  x: Float64Array;
  N: number;
  D: number;
}

const maxCountCache = new WeakMap<Float64Array, number>();
/** Largest value of integer data ≤ 256 (then log densities are tabulated per value), else −1. */
function tableRange(data: CountData): number {
  let m = maxCountCache.get(data.x);
  if (m === undefined) {
    m = 0;
    for (let i = 0; i < data.x.length && m >= 0; i++) {
      const v = data.x[i];
      m = Number.isInteger(v) && v >= 0 && v <= 256 ? Math.max(m, v) : -1;
    }
    maxCountCache.set(data.x, m);
  }
  return m;
}

const cellCache = new WeakMap<Float64Array, Int32Array>();
/**
 * For tabulated data (V values per cell): d·V + x_nd for every n, d, the offset of log p(x_nd | ·)
 * in a component's [D, V] table. Integer offsets computed once per data set: jointLogs indexed the
 * table by the float64 x_nd, which V8 converted to an index at every one of its N·K·D reads (its
 * inner loop was two thirds of entropy-bernoulli-mixture's full tier). The same table entries are
 * added in the same order, so the sums are the same bits.
 */
function tableCells(data: CountData, V: number): Int32Array {
  let cells = cellCache.get(data.x);
  if (cells === undefined || cells.length !== data.N * data.D) {
    const { N, D, x } = data;
    cells = new Int32Array(N * D);
    for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) cells[n * D + d] = d * V + x[n * D + d];
    cellCache.set(data.x, cells);
  }
  return cells;
}

const nonzeroCache = new WeakMap<Float64Array, { start: Int32Array; index: Int32Array }>();
/** Per point n, the coordinates d with x_nd ≠ 0 (NaN included), ascending: index[start[n] … start[n + 1]). Once per data set. */
function nonzeroCoordinates(data: CountData): { start: Int32Array; index: Int32Array } {
  let nz = nonzeroCache.get(data.x);
  if (nz === undefined || nz.start.length !== data.N + 1) {
    const { N, D, x } = data;
    const start = new Int32Array(N + 1);
    let count = 0;
    for (let i = 0; i < N * D; i++) if (x[i] !== 0) count++;
    const index = new Int32Array(count);
    let k = 0;
    for (let n = 0; n < N; n++) {
      start[n] = k;
      for (let d = 0; d < D; d++) if (x[n * D + d] !== 0) index[k++] = d;
    }
    start[N] = k;
    nz = { start, index };
    nonzeroCache.set(data.x, nz);
  }
  return nz;
}

/** N×K matrix of log π_c + Σ_d log p(x_nd | m_cd). */
function jointLogs(family: ProductFamily, p: ProductMixtureParams, data: CountData): Float64Array {
  const { K, D } = p;
  if (data.D !== D) throw new RangeError(`${family.name}: data dimension ${data.D} does not match D = ${D}`);
  const out = new Float64Array(data.N * K);
  // Count data take few distinct values: tabulate log p(v | m_cd) for v = 0..max once (same numbers, fewer logs).
  const V = tableRange(data) + 1;
  const table = V > 0 ? new Float64Array(K * D * V) : null;
  if (table) {
    for (let c = 0; c < K; c++) for (let d = 0; d < D; d++) for (let v = 0; v < V; v++) table[(c * D + d) * V + v] = family.logDensity(v, p.means[c * D + d]);
    const cells = tableCells(data, V);
    const logPi = Float64Array.from(p.pi, Math.log);
    const stride = D * V;
    for (let n = 0; n < data.N; n++) {
      const xn = n * D;
      let c = 0;
      // Four components side by side: four independent sums, each in d order (the same bits as one at
      // a time), so the adder's latency is paid once per four terms instead of once per term.
      for (; c + 3 < K; c += 4) {
        const t0 = c * stride;
        const t1 = t0 + stride;
        const t2 = t1 + stride;
        const t3 = t2 + stride;
        let s0 = logPi[c];
        let s1 = logPi[c + 1];
        let s2 = logPi[c + 2];
        let s3 = logPi[c + 3];
        for (let d = 0; d < D; d++) {
          const cell = cells[xn + d];
          s0 += table[t0 + cell];
          s1 += table[t1 + cell];
          s2 += table[t2 + cell];
          s3 += table[t3 + cell];
        }
        out[n * K + c] = s0;
        out[n * K + c + 1] = s1;
        out[n * K + c + 2] = s2;
        out[n * K + c + 3] = s3;
      }
      for (; c < K; c++) {
        const tc = c * stride;
        let s = logPi[c];
        for (let d = 0; d < D; d++) s += table[tc + cells[xn + d]];
        out[n * K + c] = s;
      }
    }
    return out;
  }
  for (let n = 0; n < data.N; n++) {
    for (let c = 0; c < K; c++) {
      let s = Math.log(p.pi[c]);
      for (let d = 0; d < D; d++) s += family.logDensity(data.x[n * D + d], p.means[c * D + d]);
      out[n * K + c] = s;
    }
  }
  return out;
}

/**
 * Posterior responsibilities below this are set to 0 (row renormalised). Why:
 * with a tiny q_nc on a point whose x_nd = 0, the weighted mean Σ q x / Σ q
 * can ROUND to exactly 1 (or 0) in float64, and then F = −∞ although it is
 * finite in exact arithmetic. With every positive q ≥ 1e-10, 1 − p ≥ 1e-10/N
 * stays representable for N ≤ 10⁵. The identity holds for any q, so a
 * floored posterior is as good a test point as the exact one.
 */
export const RESPONSIBILITY_FLOOR = 1e-10;

/** E-step: posterior responsibilities (floored, see RESPONSIBILITY_FLOOR) and the exact log-likelihood per point. */
export function eStep(family: ProductFamily, p: ProductMixtureParams, data: CountData): { q: Float64Array; logLik: number } {
  const { K } = p;
  const logs = jointLogs(family, p, data);
  const q = new Float64Array(data.N * K);
  let total = 0;
  for (let n = 0; n < data.N; n++) {
    const lse = logSumExp(logs, n * K, K);
    total += lse;
    let kept = 0;
    for (let c = 0; c < K; c++) {
      const v = Math.exp(logs[n * K + c] - lse);
      q[n * K + c] = v < RESPONSIBILITY_FLOOR ? 0 : v;
      kept += q[n * K + c];
    }
    for (let c = 0; c < K; c++) q[n * K + c] /= kept;
  }
  return { q, logLik: total / data.N };
}

/** Weighted data means x̄_cd = Σ_n q_nc x_nd / (N q̄_c). */
export function weightedDataMeans(q: Float64Array, data: CountData, K: number, qbar: Float64Array): Float64Array {
  const { N, D, x } = data;
  const out = new Float64Array(K * D);
  const { start, index } = nonzeroCoordinates(data);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w === 0) continue;
      if (Number.isFinite(w)) {
        // Only the coordinates with x_nd ≠ 0: a skipped term w·x_nd is ±0 (w finite), and adding ±0
        // leaves every partial sum as it is (they start at +0, and no sum of these terms is −0), so the
        // bits are the dense loop's. Binarised digits are ~80% zeros.
        for (let k = start[n]; k < start[n + 1]; k++) {
          const d = index[k];
          out[c * D + d] += w * x[n * D + d];
        }
      } else {
        for (let d = 0; d < D; d++) out[c * D + d] += w * x[n * D + d];
      }
    }
  }
  for (let c = 0; c < K; c++) for (let d = 0; d < D; d++) out[c * D + d] /= N * qbar[c];
  return out;
}

/** A component whose responsibilities all underflowed to 0: EM has collapsed it (restart from another initialisation). */
export class EmptyComponentError extends RangeError {
  override name = 'EmptyComponentError';
  constructor(readonly component: number) {
    super(`M-step: component ${component} has no responsibility (q̄_c = 0); allowed q̄_c > 0`);
  }
}

export function mStep(q: Float64Array, data: CountData, K: number): ProductMixtureParams {
  if (q.length !== data.N * K) throw new RangeError(`M-step: responsibilities have length ${q.length}, expected N×K = ${data.N * K}`);
  const qbar = averageResponsibilities(q, data.N, K);
  for (let c = 0; c < K; c++) if (!(qbar[c] > 0)) throw new EmptyComponentError(c);
  return { K, D: data.D, pi: qbar, means: weightedDataMeans(q, data, K, qbar) };
}

/** F per point, directly from the per-point log densities. */
export function elbo(family: ProductFamily, p: ProductMixtureParams, q: Float64Array, data: CountData): number {
  const { K } = p;
  const logs = jointLogs(family, p, data);
  let total = 0;
  for (let n = 0; n < data.N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w > 0) total += w * (logs[n * K + c] - Math.log(w));
    }
  }
  return total / data.N;
}

export function entropyTerms(family: ProductFamily, p: ProductMixtureParams, q: Float64Array, data: CountData) {
  const { K, D } = p;
  const qbar = averageResponsibilities(q, data.N, K);
  let encoder = 0;
  for (let n = 0; n < data.N; n++) encoder += categoricalEntropy(q, n * K, K);
  let decoder = 0;
  for (let c = 0; c < K; c++) {
    let h = 0;
    for (let d = 0; d < D; d++) h += family.entropy(p.means[c * D + d]);
    decoder += qbar[c] * h;
  }
  return { encoderEntropy: encoder / data.N, priorEntropy: categoricalEntropy(p.pi), decoderEntropy: decoder };
}

export function gapDecomposition(family: ProductFamily, p: ProductMixtureParams, q: Float64Array, data: CountData) {
  const { K, D } = p;
  const qbar = averageResponsibilities(q, data.N, K);
  let prior = 0;
  for (let c = 0; c < K; c++) prior += xlogy(qbar[c] - p.pi[c], p.pi[c]);
  const xbar = weightedDataMeans(q, data, K, qbar);
  let decoder = 0;
  let expectedBase = 0;
  for (let c = 0; c < K; c++) {
    let s = 0;
    let b = 0;
    for (let d = 0; d < D; d++) {
      const m = p.means[c * D + d];
      const diff = xbar[c * D + d] - m;
      // (x̄ − m) η with 0 · (±∞) = 0: a boundary mean (p = 0, λ = 0) that the data match exactly.
      if (diff !== 0) s += diff * family.natural(m);
      b += family.expectedLogBase(m);
    }
    decoder += qbar[c] * s;
    expectedBase += qbar[c] * b;
  }
  let dataBase = 0;
  for (let i = 0; i < data.x.length; i++) dataBase += family.logBase(data.x[i]);
  return decomposition(prior, decoder, dataBase / data.N - expectedBase);
}

export function diagnose(family: ProductFamily, p: ProductMixtureParams, q: Float64Array, data: CountData): EntropyDiagnosis {
  for (let i = 0; i < p.means.length; i++) family.checkMean(p.means[i], `mean[${i}]`);
  return diagnosis(entropyTerms(family, p, q, data), elbo(family, p, q, data), gapDecomposition(family, p, q, data));
}

/**
 * What F needs of fixed responsibilities q on integer data, aggregated once:
 * counts[(c·D + d)·V + v] = (1/N) Σ_n q_nc [x_nd = v], and (1/N) Σ_n H[q_n].
 * Then F(π, m) = Σ_c q̄_c log π_c + Σ_{c,d,v} counts · log p(v | m_cd) + H̄_q —
 * the same number as elbo() (per point, then averaged), in O(K·D·V) per
 * evaluation instead of O(N·K·D): cheap enough for difference quotients.
 */
export interface ValueHistogram {
  K: number;
  D: number;
  /** Values 0..V−1. */
  V: number;
  qbar: Float64Array;
  counts: Float64Array;
  encoderEntropy: number;
}

export function valueHistogram(q: Float64Array, data: CountData, K: number): ValueHistogram {
  const { N, D, x } = data;
  if (q.length !== N * K) throw new RangeError(`valueHistogram: q has length ${q.length}, expected N×K = ${N * K}`);
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isInteger(x[i]) || x[i] < 0) throw new RangeError(`valueHistogram: data entry ${i} = ${x[i]}; allowed integers ≥ 0`);
    max = Math.max(max, x[i]);
  }
  const V = max + 1;
  const counts = new Float64Array(K * D * V);
  const qbar = averageResponsibilities(q, N, K);
  let entropy = 0;
  for (let n = 0; n < N; n++) {
    entropy += categoricalEntropy(q, n * K, K);
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c] / N;
      if (w === 0) continue;
      for (let d = 0; d < D; d++) counts[(c * D + d) * V + x[n * D + d]] += w;
    }
  }
  return { K, D, V, qbar, counts, encoderEntropy: entropy / N };
}

/** F from a value histogram (equal to elbo() up to rounding). */
export function elboFromHistogram(family: ProductFamily, p: ProductMixtureParams, h: ValueHistogram): number {
  const { K, D, V } = h;
  let f = h.encoderEntropy;
  for (let c = 0; c < K; c++) {
    f += xlogy(h.qbar[c], p.pi[c]);
    for (let d = 0; d < D; d++) {
      const m = p.means[c * D + d];
      for (let v = 0; v < V; v++) {
        const w = h.counts[(c * D + d) * V + v];
        if (w !== 0) f += w * family.logDensity(v, m);
      }
    }
  }
  return f;
}
