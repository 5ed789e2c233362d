/**
 * Float64 oracle of probabilistic PCA (see params.ts): data statistics, the
 * Tipping–Bishop maximum-likelihood solution in closed form from the
 * eigen-decomposition of the sample covariance (1/N), its saddle points, the
 * exact log-likelihood, and the entropy-sum bookkeeping with exact posteriors:
 *
 *   S = −(D/2) log(2πe) − ½ log det C      (H[q] − H[p(z)] − H[p(x|z)])
 *   F − S = ½ (D − tr C⁻¹ S_μ)  exactly, at any (W, μ, σ²), where
 *   S_μ = (1/N) Σ_n (x_n − μ)(x_n − μ)ᵀ.
 * In terms of the rescaling directions the same gap is
 *   R_x + R_z = (D/2)(1 − s/σ²) − ½ Σ_h (m_h − 1),
 * s = (1/(ND)) Σ_n E_q‖x_n − Wz − μ‖², m_h = (1/N) Σ_n E_q[z_h²].
 *
 * Stationary points (Tipping & Bishop): W = U_K (Λ_K − σ² I)^{1/2} (any
 * subset K of eigen-directions with λ_k > σ², columns for the others zero),
 * σ² = mean of the eigenvalues NOT in K, μ = sample mean. K = the top H is the
 * ML solution; any other valid K is a saddle.
 */
import { CholeskyDecomposition, EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { decomposition, diagnosis, gaussianEntropy, LOG_2PI, LOG_2PIE, type EntropyDiagnosis } from '../../entropy/formulas.ts';
import { checkPpcaParams, type PpcaParams } from './params.ts';

export interface DataStats {
  N: number;
  D: number;
  mean: Float64Array;
  /** Sample covariance (1/N), D×D row-major. */
  cov: Float64Array;
}

export function dataStats(x: ArrayLike<number>, N: number, D: number): DataStats {
  if (x.length !== N * D) throw new RangeError(`dataStats: x has length ${x.length}, expected N×D = ${N * D}`);
  const mean = new Float64Array(D);
  for (let n = 0; n < N; n++) for (let i = 0; i < D; i++) mean[i] += x[n * D + i];
  for (let i = 0; i < D; i++) mean[i] /= N;
  const cov = new Float64Array(D * D);
  const d = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < D; i++) d[i] = x[n * D + i] - mean[i];
    for (let i = 0; i < D; i++) for (let j = i; j < D; j++) cov[i * D + j] += d[i] * d[j];
  }
  for (let i = 0; i < D; i++) {
    for (let j = i; j < D; j++) {
      cov[i * D + j] /= N;
      cov[j * D + i] = cov[i * D + j];
    }
  }
  return { N, D, mean, cov };
}

export interface EigenSystem {
  /** Eigenvalues in decreasing order. */
  values: Float64Array;
  /** D×D row-major; column k is the eigenvector of values[k]. */
  vectors: Float64Array;
}

export function eigenSystem(stats: DataStats): EigenSystem {
  const { D } = stats;
  const S = new Matrix(D, D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) S.set(i, j, stats.cov[i * D + j]);
  const evd = new EigenvalueDecomposition(S, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const values = Float64Array.from(order, ([v]) => v);
  const vectors = new Float64Array(D * D);
  const V = evd.eigenvectorMatrix;
  order.forEach(([, src], k) => {
    for (let i = 0; i < D; i++) vectors[i * D + k] = V.get(i, src);
  });
  return { values, vectors };
}

export interface StationaryPoint {
  params: PpcaParams;
  /** Eigen-directions given a non-zero column (in column order). */
  kept: number[];
  /** Closed-form gap ½ Σ_i (1 − λ_i / c_i), c_i the eigenvalue of C along eigen-direction i. */
  predictedGap: number;
  /** Whether every kept eigenvalue exceeds σ² (a correctly built stationary point). */
  valid: boolean;
}

/**
 * The point W = U_K (Λ_K − σ² I)^{1/2}, σ² = mean of the eigenvalues not in K
 * (unless `variance` overrides it), μ = sample mean; columns beyond |K| are 0.
 * A kept direction with λ ≤ σ² gets a zero column (√max(0, λ − σ²)) and the
 * point is marked invalid: it is NOT stationary.
 */
export function pointFromEigen(
  stats: DataStats,
  eig: EigenSystem,
  H: number,
  kept: readonly number[],
  opts: { variance?: number; varianceScale?: number } = {},
): StationaryPoint {
  const { D } = stats;
  if (kept.length > H) throw new RangeError(`pointFromEigen: ${kept.length} kept directions but only H = ${H} columns`);
  if (new Set(kept).size !== kept.length || !kept.every((k) => Number.isInteger(k) && k >= 0 && k < D)) {
    throw new RangeError(`pointFromEigen: kept directions ${kept.join(', ')}; allowed distinct integers in [0, ${D})`);
  }
  const rest = [...Array(D).keys()].filter((k) => !kept.includes(k));
  const mlVariance = opts.variance ?? rest.reduce((s, k) => s + eig.values[k], 0) / rest.length;
  const variance = mlVariance * (opts.varianceScale ?? 1);
  const W = new Float64Array(D * H);
  let valid = true;
  const colVar = new Float64Array(D).fill(0); // ‖w‖² along each eigen-direction
  kept.forEach((k, h) => {
    const lam = eig.values[k];
    if (!(lam > mlVariance)) valid = false;
    const a = Math.sqrt(Math.max(0, lam - mlVariance));
    colVar[k] = a * a;
    for (let i = 0; i < D; i++) W[i * H + h] = eig.vectors[i * D + k] * a;
  });
  let predictedGap = 0;
  for (let k = 0; k < D; k++) predictedGap += 0.5 * (1 - eig.values[k] / (colVar[k] + variance));
  return { params: { D, H, W, mu: stats.mean.slice(), variance }, kept: [...kept], predictedGap, valid };
}

export function mlSolution(stats: DataStats, eig: EigenSystem, H: number): StationaryPoint {
  return pointFromEigen(stats, eig, H, [...Array(H).keys()]);
}

/** C = W Wᵀ + σ² I as an ml-matrix Matrix. */
function marginalCovariance(p: PpcaParams): Matrix {
  const { D, H, W } = p;
  const C = new Matrix(D, D);
  for (let i = 0; i < D; i++) {
    for (let j = i; j < D; j++) {
      let s = i === j ? p.variance : 0;
      for (let h = 0; h < H; h++) s += W[i * H + h] * W[j * H + h];
      C.set(i, j, s);
      C.set(j, i, s);
    }
  }
  return C;
}

/** S_μ = S + (m − μ)(m − μ)ᵀ. */
function scatterAround(stats: DataStats, mu: Float64Array): Matrix {
  const { D } = stats;
  const S = new Matrix(D, D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      S.set(i, j, stats.cov[i * D + j] + (stats.mean[i] - mu[i]) * (stats.mean[j] - mu[j]));
    }
  }
  return S;
}

/** log det C and tr(C⁻¹ S_μ) by Cholesky. */
export function marginalTerms(p: PpcaParams, stats: DataStats): { logDetC: number; traceCinvS: number } {
  checkPpcaParams(p, 'marginalTerms');
  const chol = new CholeskyDecomposition(marginalCovariance(p));
  if (!chol.isPositiveDefinite()) throw new Error('marginalTerms: C = W Wᵀ + σ² I is not positive definite');
  const L = chol.lowerTriangularMatrix;
  let logDetC = 0;
  for (let i = 0; i < p.D; i++) logDetC += 2 * Math.log(L.get(i, i));
  const X = chol.solve(scatterAround(stats, p.mu));
  let traceCinvS = 0;
  for (let i = 0; i < p.D; i++) traceCinvS += X.get(i, i);
  return { logDetC, traceCinvS };
}

/** Exact log-likelihood per point: −½ [D log 2π + log det C + tr(C⁻¹ S_μ)]. */
export function logLikelihood(p: PpcaParams, stats: DataStats): number {
  const { logDetC, traceCinvS } = marginalTerms(p, stats);
  return -0.5 * (p.D * LOG_2PI + logDetC + traceCinvS);
}

/** ½ (D − tr C⁻¹ S_μ): the exact gap F − S with exact posteriors. */
export function closedFormGap(p: PpcaParams, stats: DataStats): number {
  return 0.5 * (p.D - marginalTerms(p, stats).traceCinvS);
}

export interface Posterior {
  /** σ² M⁻¹, H×H row-major. */
  cov: Float64Array;
  /** M⁻¹ Wᵀ, H×D row-major: posterior mean = A (x − μ). */
  A: Float64Array;
  logDetCov: number;
}

export function exactPosterior(p: PpcaParams): Posterior {
  checkPpcaParams(p, 'exactPosterior');
  const { D, H, W } = p;
  const M = new Matrix(H, H);
  for (let a = 0; a < H; a++) {
    for (let b = a; b < H; b++) {
      let s = a === b ? p.variance : 0;
      for (let i = 0; i < D; i++) s += W[i * H + a] * W[i * H + b];
      M.set(a, b, s);
      M.set(b, a, s);
    }
  }
  const chol = new CholeskyDecomposition(M);
  const Wt = new Matrix(H, D);
  for (let i = 0; i < D; i++) for (let h = 0; h < H; h++) Wt.set(h, i, W[i * H + h]);
  const A = chol.solve(Wt);
  const Minv = chol.solve(Matrix.eye(H, H));
  const cov = new Float64Array(H * H);
  for (let a = 0; a < H; a++) for (let b = 0; b < H; b++) cov[a * H + b] = p.variance * Minv.get(a, b);
  let logDetM = 0;
  const L = chol.lowerTriangularMatrix;
  for (let h = 0; h < H; h++) logDetM += 2 * Math.log(L.get(h, h));
  return { cov, A: Float64Array.from(A.to1DArray()), logDetCov: H * Math.log(p.variance) - logDetM };
}

/**
 * The entropy-sum diagnosis with exact posteriors. F is computed point by
 * point from its definition E_q[log p(x|z)] + E_q[log p(z)] + H[q] (Gaussian
 * expectations in closed form), not from the log-likelihood formula; the
 * decomposition is the rescaling form (D/2)(1 − s/σ²) − ½ Σ_h (m_h − 1).
 */
export function diagnoseExact(p: PpcaParams, x: ArrayLike<number>, N: number): EntropyDiagnosis {
  const { D, H, W, mu, variance } = p;
  const post = exactPosterior(p);
  // tr(W Σ_q Wᵀ) and tr Σ_q are the same for every point.
  let trWSW = 0;
  for (let i = 0; i < D; i++) {
    for (let a = 0; a < H; a++) for (let b = 0; b < H; b++) trWSW += W[i * H + a] * post.cov[a * H + b] * W[i * H + b];
  }
  let trSigma = 0;
  for (let h = 0; h < H; h++) trSigma += post.cov[h * H + h];
  const m = new Float64Array(H);
  const mh = new Float64Array(H);
  let sqErr = 0;
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      let v = 0;
      for (let i = 0; i < D; i++) v += post.A[h * D + i] * (x[n * D + i] - mu[i]);
      m[h] = v;
      mh[h] += v * v;
    }
    for (let i = 0; i < D; i++) {
      let r = x[n * D + i] - mu[i];
      for (let h = 0; h < H; h++) r -= W[i * H + h] * m[h];
      sqErr += r * r;
    }
  }
  let sumM = 0;
  for (let h = 0; h < H; h++) {
    mh[h] = mh[h] / N + post.cov[h * H + h];
    sumM += mh[h];
  }
  const s = (sqErr / N + trWSW) / D; // per-dimension expected squared error
  const encoderEntropy = gaussianEntropy(H, post.logDetCov);
  const priorEntropy = 0.5 * H * LOG_2PIE;
  const decoderEntropy = 0.5 * D * (LOG_2PIE + Math.log(variance));
  const elbo =
    -0.5 * D * (LOG_2PI + Math.log(variance)) - (D * s) / (2 * variance) - 0.5 * H * LOG_2PI - 0.5 * sumM + encoderEntropy;
  let prior = 0;
  for (let h = 0; h < H; h++) prior -= 0.5 * (mh[h] - 1);
  const decoder = 0.5 * D * (1 - s / variance);
  return diagnosis({ encoderEntropy, priorEntropy, decoderEntropy }, elbo, decomposition(prior, decoder));
}
