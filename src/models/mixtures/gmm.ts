/**
 * Gaussian mixture model in float64: p(c) = π_c, p(x|c) = N(μ_c, Σ_c), with
 * either full covariances per component or one shared isotropic variance
 * Σ_c = σ² I. EM (E-step: exact posteriors; M-step: closed form for ANY
 * responsibilities q) and the entropy-sum bookkeeping of [LW22]:
 *
 *   F = (1/N) Σ_n Σ_c q_nc [log π_c + log N(x_n; μ_c, Σ_c) − log q_nc]
 *   S = (1/N) Σ_n H[q_n] − H[π] − Σ_c q̄_c ½ log det(2πe Σ_c)
 *   F − S = R_z + R_x exactly, at any point, with (q̄_c = (1/N) Σ_n q_nc)
 *     R_z = Σ_c (q̄_c − π_c) log π_c,
 *     R_x = Σ_c q̄_c ½ (D − tr(Σ_c⁻¹ Ŝ_c)),  Ŝ_c = Σ_n q_nc (x_n − μ_c)(x_n − μ_c)ᵀ / (N q̄_c).
 * After an M-step (π = q̄, Σ_c = Ŝ_c) both vanish, whatever q is. Perturbing
 * only the means and re-fitting Σ around them keeps the gap at 0; keeping Σ
 * moves it only at second order (−½ q̄_c δᵀΣ⁻¹δ): means are not a falsifier.
 *
 * Layout: x is N×D row-major, q is N×K row-major, means K×D, covariances
 * K×D×D (full) or a single σ² (shared-isotropic).
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { categoricalEntropy, decomposition, diagnosis, LOG_2PI, LOG_2PIE, logSumExp, xlogy, type EntropyDiagnosis } from '../../entropy/formulas.ts';

export type CovarianceKind = 'full' | 'shared-isotropic';

export interface GmmParams {
  kind: CovarianceKind;
  K: number;
  D: number;
  pi: Float64Array;
  means: Float64Array;
  /** K×D×D, only for kind 'full'. */
  covs: Float64Array;
  /** σ², only for kind 'shared-isotropic'. */
  variance: number;
}

export interface Dataset {
  x: Float64Array;
  N: number;
  D: number;
}

function check(cond: boolean, msg: string): void {
  if (!cond) throw new RangeError(msg);
}

/** Per component: Cholesky factor rows (lower, row-major) and log det Σ_c. */
interface ComponentFactor {
  L: Float64Array;
  logDet: number;
}

function factorise(p: GmmParams): ComponentFactor[] {
  const { K, D } = p;
  const out: ComponentFactor[] = [];
  for (let c = 0; c < K; c++) {
    if (p.kind === 'shared-isotropic') {
      check(p.variance > 0 && Number.isFinite(p.variance), `GMM shared variance σ² = ${p.variance}; allowed a finite σ² > 0`);
      const L = new Float64Array(D * D);
      const sd = Math.sqrt(p.variance);
      for (let i = 0; i < D; i++) L[i * D + i] = sd;
      out.push({ L, logDet: D * Math.log(p.variance) });
      continue;
    }
    const S = new Matrix(D, D);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) S.set(i, j, p.covs[c * D * D + i * D + j]);
    const chol = new CholeskyDecomposition(S);
    check(chol.isPositiveDefinite(), `GMM covariance of component ${c} is not positive definite`);
    const L = Float64Array.from(chol.lowerTriangularMatrix.to1DArray());
    let logDet = 0;
    for (let i = 0; i < D; i++) logDet += 2 * Math.log(L[i * D + i]);
    out.push({ L, logDet });
  }
  return out;
}

/** (x − μ)ᵀ Σ⁻¹ (x − μ) by forward substitution with the Cholesky factor. */
function mahalanobis(x: Float64Array, xo: number, mu: Float64Array, mo: number, L: Float64Array, D: number, y: Float64Array): number {
  let quad = 0;
  for (let i = 0; i < D; i++) {
    let t = x[xo + i] - mu[mo + i];
    for (let l = 0; l < i; l++) t -= L[i * D + l] * y[l];
    y[i] = t / L[i * D + i];
    quad += y[i] * y[i];
  }
  return quad;
}

/** N×K matrix of log N(x_n; μ_c, Σ_c) (without the mixing weights). */
export function componentLogDensities(p: GmmParams, data: Dataset): Float64Array {
  const { K, D } = p;
  check(data.D === D, `GMM data dimension ${data.D} does not match the model's D = ${D}`);
  const factors = factorise(p);
  const out = new Float64Array(data.N * K);
  const y = new Float64Array(D);
  for (let n = 0; n < data.N; n++) {
    for (let c = 0; c < K; c++) {
      const quad = mahalanobis(data.x, n * D, p.means, c * D, factors[c].L, D, y);
      out[n * K + c] = -0.5 * (D * LOG_2PI + factors[c].logDet + quad);
    }
  }
  return out;
}

/** E-step: exact posteriors q_nc = p(c | x_n) and the log-likelihood per point. */
export function eStep(p: GmmParams, data: Dataset): { q: Float64Array; logLik: number } {
  const { K } = p;
  const logd = componentLogDensities(p, data);
  const q = new Float64Array(data.N * K);
  const row = new Float64Array(K);
  let total = 0;
  for (let n = 0; n < data.N; n++) {
    for (let c = 0; c < K; c++) row[c] = Math.log(p.pi[c]) + logd[n * K + c];
    const lse = logSumExp(row);
    total += lse;
    for (let c = 0; c < K; c++) q[n * K + c] = Math.exp(row[c] - lse);
  }
  return { q, logLik: total / data.N };
}

/** q̄_c = (1/N) Σ_n q_nc. */
export function averageResponsibilities(q: Float64Array, N: number, K: number): Float64Array {
  const qbar = new Float64Array(K);
  for (let n = 0; n < N; n++) for (let c = 0; c < K; c++) qbar[c] += q[n * K + c];
  for (let c = 0; c < K; c++) qbar[c] /= N;
  return qbar;
}

function checkResponsibilities(q: Float64Array, N: number, K: number): void {
  check(q.length === N * K, `responsibilities have length ${q.length}, expected N×K = ${N * K}`);
  // The messages are built only on failure: check(cond, `…${v}…`) formatted a number into a
  // string for every entry (28% of entropy-gmm's full tier, which checks at every M-step).
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < K; c++) {
      const v = q[n * K + c];
      if (!(v >= 0 && v <= 1)) throw new RangeError(`responsibility q[${n}, ${c}] = ${v}; allowed 0 ≤ q ≤ 1`);
      s += v;
    }
    if (!(Math.abs(s - 1) < 1e-9)) throw new RangeError(`responsibilities of point ${n} sum to ${s}; allowed 1 (± 1e-9)`);
  }
}

/** Weighted means μ_c = Σ_n q_nc x_n / (N q̄_c). */
function weightedMeans(q: Float64Array, data: Dataset, K: number, qbar: Float64Array): Float64Array {
  const { N, D, x } = data;
  const means = new Float64Array(K * D);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w === 0) continue;
      for (let i = 0; i < D; i++) means[c * D + i] += w * x[n * D + i];
    }
  }
  for (let c = 0; c < K; c++) for (let i = 0; i < D; i++) means[c * D + i] /= N * qbar[c];
  return means;
}

/**
 * Ŝ_c = Σ_n q_nc (x_n − μ_c)(x_n − μ_c)ᵀ / (N q̄_c) around the GIVEN means
 * (the M-step's Σ_c when μ_c are the weighted means). K×D×D.
 */
export function weightedScatter(q: Float64Array, data: Dataset, means: Float64Array, K: number, qbar: Float64Array): Float64Array {
  const { N, D, x } = data;
  const S = new Float64Array(K * D * D);
  const d = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w === 0) continue;
      for (let i = 0; i < D; i++) d[i] = x[n * D + i] - means[c * D + i];
      const o = c * D * D;
      for (let i = 0; i < D; i++) {
        const wi = w * d[i];
        for (let j = i; j < D; j++) S[o + i * D + j] += wi * d[j];
      }
    }
  }
  for (let c = 0; c < K; c++) {
    const o = c * D * D;
    const norm = N * qbar[c];
    for (let i = 0; i < D; i++) {
      for (let j = i; j < D; j++) {
        const v = S[o + i * D + j] / norm;
        S[o + i * D + j] = v;
        S[o + j * D + i] = v;
      }
    }
  }
  return S;
}

export interface MStepOptions {
  /** Re-fit only Σ (and π) around these means instead of the weighted means. */
  fixedMeans?: Float64Array;
}

/**
 * M-step for ANY responsibilities q: π = q̄, μ_c = weighted means, Σ_c =
 * weighted scatter (full) or σ² = (1/(ND)) Σ_nc q_nc ‖x_n − μ_c‖² (shared
 * isotropic). Every component needs positive weight (and, for full
 * covariances, enough spread for Σ_c to be positive definite).
 */
export function mStep(q: Float64Array, data: Dataset, K: number, kind: CovarianceKind, opts: MStepOptions = {}): GmmParams {
  const { N, D } = data;
  checkResponsibilities(q, N, K);
  const qbar = averageResponsibilities(q, N, K);
  for (let c = 0; c < K; c++) check(qbar[c] > 0, `M-step: component ${c} has no responsibility (q̄_c = 0); allowed q̄_c > 0`);
  const means = opts.fixedMeans ? Float64Array.from(opts.fixedMeans) : weightedMeans(q, data, K, qbar);
  check(means.length === K * D, `M-step: fixed means have length ${means.length}, expected K×D = ${K * D}`);
  const scatter = weightedScatter(q, data, means, K, qbar);
  const params: GmmParams = { kind, K, D, pi: qbar, means, covs: new Float64Array(0), variance: NaN };
  if (kind === 'full') {
    params.covs = scatter;
  } else {
    let v = 0;
    for (let c = 0; c < K; c++) {
      let tr = 0;
      for (let i = 0; i < D; i++) tr += scatter[c * D * D + i * D + i];
      v += qbar[c] * tr;
    }
    params.variance = v / D;
  }
  return params;
}

/** F, the ELBO per point, computed directly from the per-point log densities. */
export function elbo(p: GmmParams, q: Float64Array, data: Dataset): number {
  const { K } = p;
  checkResponsibilities(q, data.N, K);
  const logd = componentLogDensities(p, data);
  let total = 0;
  for (let n = 0; n < data.N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w === 0) continue;
      total += w * (Math.log(p.pi[c]) + logd[n * K + c] - Math.log(w));
    }
  }
  return total / data.N;
}

/** The three entropies of the identity. */
export function entropyTerms(p: GmmParams, q: Float64Array, data: Dataset) {
  const { K } = p;
  const qbar = averageResponsibilities(q, data.N, K);
  let encoder = 0;
  for (let n = 0; n < data.N; n++) encoder += categoricalEntropy(q, n * K, K);
  const factors = factorise(p);
  let decoder = 0;
  for (let c = 0; c < K; c++) decoder += qbar[c] * 0.5 * (p.D * LOG_2PIE + factors[c].logDet);
  return { encoderEntropy: encoder / data.N, priorEntropy: categoricalEntropy(p.pi), decoderEntropy: decoder };
}

/** The exact gap decomposition R_z + R_x (see the header), from q̄ and the scatter around the model's means. */
export function gapDecomposition(p: GmmParams, q: Float64Array, data: Dataset) {
  const { K, D } = p;
  const qbar = averageResponsibilities(q, data.N, K);
  let prior = 0;
  for (let c = 0; c < K; c++) prior += xlogy(qbar[c] - p.pi[c], p.pi[c]);
  const scatter = weightedScatter(q, data, p.means, K, qbar);
  let decoder = 0;
  for (let c = 0; c < K; c++) {
    const Sc = new Matrix(D, D);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) Sc.set(i, j, scatter[c * D * D + i * D + j]);
    let tr = 0;
    if (p.kind === 'shared-isotropic') {
      for (let i = 0; i < D; i++) tr += Sc.get(i, i) / p.variance;
    } else {
      const Sigma = new Matrix(D, D);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) Sigma.set(i, j, p.covs[c * D * D + i * D + j]);
      const X = new CholeskyDecomposition(Sigma).solve(Sc);
      for (let i = 0; i < D; i++) tr += X.get(i, i);
    }
    decoder += qbar[c] * 0.5 * (D - tr);
  }
  return decomposition(prior, decoder);
}

export function diagnose(p: GmmParams, q: Float64Array, data: Dataset): EntropyDiagnosis {
  return diagnosis(entropyTerms(p, q, data), elbo(p, q, data), gapDecomposition(p, q, data));
}

export function cloneParams(p: GmmParams): GmmParams {
  return { ...p, pi: p.pi.slice(), means: p.means.slice(), covs: p.covs.slice() };
}

/**
 * What F needs of fixed responsibilities q, aggregated once: q̄_c, the
 * weighted means x̄_c, the weighted scatter S̄_c around them and (1/N) Σ_n H[q_n].
 * Then, with Ŝ_c(μ_c) = S̄_c + (x̄_c − μ_c)(x̄_c − μ_c)ᵀ,
 *   F = Σ_c q̄_c [log π_c − ½ (D log 2π + log det Σ_c + tr Σ_c⁻¹ Ŝ_c)] + H̄_q,
 * the same number as elbo() in O(K D³) per evaluation (for difference quotients).
 */
export interface ResponsibilityStats {
  K: number;
  D: number;
  qbar: Float64Array;
  means: Float64Array;
  scatter: Float64Array;
  encoderEntropy: number;
}

export function responsibilityStats(q: Float64Array, data: Dataset, K: number): ResponsibilityStats {
  checkResponsibilities(q, data.N, K);
  const qbar = averageResponsibilities(q, data.N, K);
  for (let c = 0; c < K; c++) check(qbar[c] > 0, `responsibilityStats: component ${c} has no responsibility`);
  const means = weightedMeans(q, data, K, qbar);
  let entropy = 0;
  for (let n = 0; n < data.N; n++) entropy += categoricalEntropy(q, n * K, K);
  return { K, D: data.D, qbar, means, scatter: weightedScatter(q, data, means, K, qbar), encoderEntropy: entropy / data.N };
}

export function elboFromStats(p: GmmParams, s: ResponsibilityStats): number {
  const { K, D } = p;
  check(s.K === K && s.D === D, `elboFromStats: statistics for K = ${s.K}, D = ${s.D}, model K = ${K}, D = ${D}`);
  const factors = factorise(p);
  let f = s.encoderEntropy;
  const y = new Float64Array(D);
  for (let c = 0; c < K; c++) {
    const L = factors[c].L;
    // tr Σ⁻¹ S̄ = Σ_j ‖L⁻¹ S̄^{(j)}‖-like: solve L Y = S̄ column by column, tr Σ⁻¹S̄ = tr(L⁻ᵀ L⁻¹ S̄) via the Cholesky of Σ.
    let tr = 0;
    const col = new Float64Array(D);
    for (let j = 0; j < D; j++) {
      for (let i = 0; i < D; i++) col[i] = s.scatter[c * D * D + i * D + j];
      // z = L⁻¹ col, then w = L⁻ᵀ z; (Σ⁻¹ S̄)_jj = w_j.
      const z = new Float64Array(D);
      for (let i = 0; i < D; i++) {
        let t = col[i];
        for (let l = 0; l < i; l++) t -= L[i * D + l] * z[l];
        z[i] = t / L[i * D + i];
      }
      for (let i = D - 1; i >= 0; i--) {
        let t = z[i];
        for (let l = i + 1; l < D; l++) t -= L[l * D + i] * z[l];
        z[i] = t / L[i * D + i];
      }
      tr += z[j];
    }
    const quad = mahalanobis(s.means, c * D, p.means, c * D, L, D, y);
    f += s.qbar[c] * (Math.log(p.pi[c]) - 0.5 * (D * LOG_2PI + factors[c].logDet + tr + quad));
  }
  return f;
}
