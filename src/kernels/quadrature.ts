/**
 * Gaussian quadrature in float64 for the limit kernels of the stochastic
 * network: Gauss–Hermite rules for E[h(Z)], Z ~ N(0, 1) (probabilists'
 * weight e^{−z²/2}/√(2π)), built by Golub–Welsch (eigen-decomposition of the
 * Jacobi matrix with off-diagonals √k; ml-matrix), tensor rules for centred
 * bivariate Gaussians, and the normal CDF / quantile used by the stratified
 * noise draws.
 *
 * An N-point rule integrates polynomials of degree ≤ 2N − 1 exactly; for the
 * smooth integrands used here the error falls geometrically in N, so the
 * difference between the N- and 2N-point results is a (conservative) error
 * estimate for the N-point one, reported with every kernel.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface GaussRule {
  nodes: Float64Array;
  weights: Float64Array;
}

const ruleCache = new Map<number, GaussRule>();

/** N-point Gauss–Hermite rule for the standard normal: Σ w_i h(z_i) ≈ E h(Z). */
export function gaussHermite(N: number): GaussRule {
  if (!Number.isInteger(N) || N < 1 || N > 400) throw new RangeError(`quadrature order N = ${N}; allowed an integer 1 ≤ N ≤ 400`);
  const cached = ruleCache.get(N);
  if (cached) return cached;
  const J = new Matrix(N, N);
  for (let k = 1; k < N; k++) {
    J.set(k - 1, k, Math.sqrt(k));
    J.set(k, k - 1, Math.sqrt(k));
  }
  const eig = new EigenvalueDecomposition(J, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const nodes = new Float64Array(N);
  const weights = new Float64Array(N);
  order.forEach(([v, i], k) => {
    nodes[k] = v;
    weights[k] = vectors.get(0, i) ** 2;
  });
  // Normalise away the eigen-solver's rounding: the weights of a probability rule sum to 1.
  let s = 0;
  for (const w of weights) s += w;
  for (let k = 0; k < N; k++) weights[k] /= s;
  const rule = { nodes, weights };
  ruleCache.set(N, rule);
  return rule;
}

const legendreCache = new Map<number, GaussRule>();

/** N-point Gauss–Legendre rule on [−1, 1] (weights sum to 2), by Golub–Welsch. */
export function gaussLegendre(N: number): GaussRule {
  if (!Number.isInteger(N) || N < 1 || N > 400) throw new RangeError(`quadrature order N = ${N}; allowed an integer 1 ≤ N ≤ 400`);
  const cached = legendreCache.get(N);
  if (cached) return cached;
  const J = new Matrix(N, N);
  for (let k = 1; k < N; k++) {
    const b = k / Math.sqrt(4 * k * k - 1);
    J.set(k - 1, k, b);
    J.set(k, k - 1, b);
  }
  const eig = new EigenvalueDecomposition(J, { assumeSymmetric: true });
  const order = eig.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const nodes = new Float64Array(N);
  const weights = new Float64Array(N);
  order.forEach(([v, i], k) => {
    nodes[k] = v;
    weights[k] = 2 * eig.eigenvectorMatrix.get(0, i) ** 2;
  });
  const rule = { nodes, weights };
  legendreCache.set(N, rule);
  return rule;
}

/**
 * E h(u, v) for a centred bivariate Gaussian with variances c11, c22 and
 * covariance c12, by the N×N tensor Gauss–Hermite rule on the Cholesky factor
 * (u = √c11 z₁, v = (c12/√c11) z₁ + √(c22 − c12²/c11) z₂; a singular
 * covariance, e.g. x = x', is fine).
 */
export function bivariateExpectation(c11: number, c22: number, c12: number, N: number, h: (u: number, v: number) => number): number {
  if (!(c11 > 0) || !(c22 > 0)) throw new RangeError(`variances must be > 0, got ${c11}, ${c22}`);
  const { nodes, weights } = gaussHermite(N);
  const l11 = Math.sqrt(c11);
  const l21 = c12 / l11;
  const l22 = Math.sqrt(Math.max(0, c22 - l21 * l21));
  let s = 0;
  for (let i = 0; i < N; i++) {
    const u = l11 * nodes[i];
    const base = l21 * nodes[i];
    let inner = 0;
    for (let j = 0; j < N; j++) inner += weights[j] * h(u, base + l22 * nodes[j]);
    s += weights[i] * inner;
  }
  return s;
}

// The normal distribution's functions live in src/stats/normal.ts (the statistics use them too).
export { erfc, normalCdf, normalPdf, normalQuantile } from '../stats/normal.ts';
