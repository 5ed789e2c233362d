/**
 * The linear Gaussian VAE with a LEARNED scalar observation variance σ²
 * (the entropy-sum test bed of [D23, linear case]; the existing linear-vae
 * files keep σ_x fixed):
 *   p(z) = N(0, I_H),  p(x|z) = N(W z + b, σ² I_D),  q(z|x) = N(V x + c, diag e^s).
 * Float64 side: the expected ELBO per point in closed form (no sampling),
 * the three entropies, and the exact gap decomposition of [D23]
 *   F − S = (D/2)(1 − s̄/σ²) − ½ Σ_h (m_h − 1),
 *   s̄ = (1/(N D)) Σ_n E_q‖x_n − W z − b‖²,  m_h = (1/N) Σ_n (μ_h(x_n)² + τ_h²),
 *   S = Σ_h ½ log τ_h² − (D/2) log(2πe σ²)   (the 2πe of H[q] and H[p(z)] cancel).
 * At the global optimum (Lucas et al. 2019; Dai et al.) W has orthogonal
 * columns matching the PPCA ML solution, σ² = σ²_ML, τ_h² = σ²_ML / λ_h.
 */
import { decomposition, diagnosis, gaussianEntropy1d, LOG_2PI, LOG_2PIE, type EntropyDiagnosis } from '../../entropy/formulas.ts';
import type { LinearVaeParams } from './params.ts';
import { dataStats, type DataStats } from '../ppca/oracle.ts';

export interface LearnedVarianceParams extends LinearVaeParams {
  /** σ² of the decoder. */
  variance: number;
}

/**
 * The ELBO per point (closed-form Gaussian expectations averaged over the data), the
 * entropies and the [D23] decomposition. The data enter only through their mean and centred
 * second moment (`stats`: ppca/oracle.ts's dataStats, computed from x when not given; a caller evaluating many
 * parameter sets on the same data passes them once): with μ(x) = V x + c and the residual
 * r(x) = A x − β, A = I − W V, β = b + W c,
 *   (1/N) Σ_n μ_h(x_n)² = (V x̄ + c)_h² + (V C Vᵀ)_hh,   (1/N) Σ_n ‖r(x_n)‖² = ‖A x̄ − β‖² + tr(A C Aᵀ),
 * exactly (the cross terms average to zero), each a sum of non-negative terms: O(D²(D + H))
 * per call instead of O(N D H) (d23-figure-1 evaluates every run after every epoch).
 */
export function diagnoseLinearVae(p: LearnedVarianceParams, x: ArrayLike<number>, N: number, D: number, stats?: DataStats): EntropyDiagnosis {
  const H = p.c.length;
  if (p.W.length !== D * H || p.V.length !== H * D || p.b.length !== D || p.s.length !== H) {
    throw new RangeError(`diagnoseLinearVae: parameter shapes do not match D = ${D}, H = ${H}`);
  }
  if (!(p.variance > 0)) throw new RangeError(`diagnoseLinearVae: σ² = ${p.variance}; allowed > 0`);
  if (x.length !== N * D) throw new RangeError(`diagnoseLinearVae: x has length ${x.length}, expected N×D = ${N * D}`);
  if (stats !== undefined && (stats.N !== N || stats.D !== D)) throw new RangeError(`diagnoseLinearVae: data statistics of N = ${stats.N}, D = ${stats.D} for data of N = ${N}, D = ${D}`);
  const { mean, cov: C } = stats ?? dataStats(x, N, D);
  const tau2 = Array.from(p.s, Math.exp);
  // Σ_h ‖W_h‖² τ_h²: the decoder-side variance of the reconstruction, the same for every point.
  let spread = 0;
  for (let i = 0; i < D; i++) for (let h = 0; h < H; h++) spread += p.W[i * H + h] ** 2 * tau2[h];
  const { W, b, V, c } = p;
  // m_h = (1/N) Σ_n μ_h(x_n)² (τ_h² added below).
  const m = new Float64Array(H);
  for (let h = 0; h < H; h++) {
    let at = c[h];
    for (let i = 0; i < D; i++) at += V[h * D + i] * mean[i];
    m[h] = at * at + quadraticForm(V, h * D, C, D);
  }
  // sq/N = ‖A x̄ − β‖² + tr(A C Aᵀ), A = I − W V, β = b + W c.
  const A = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      let wv = 0;
      for (let h = 0; h < H; h++) wv += W[i * H + h] * V[h * D + j];
      A[i * D + j] = (i === j ? 1 : 0) - wv;
    }
  }
  let sqMean = 0;
  for (let i = 0; i < D; i++) {
    let r = -b[i];
    for (let h = 0; h < H; h++) r -= W[i * H + h] * c[h];
    for (let j = 0; j < D; j++) r += A[i * D + j] * mean[j];
    sqMean += r * r + quadraticForm(A, i * D, C, D);
  }
  const sBar = (sqMean + spread) / D;
  let kl = 0;
  let encoderEntropy = 0;
  let prior = 0;
  for (let h = 0; h < H; h++) {
    m[h] = m[h] + tau2[h];
    kl += 0.5 * (m[h] - 1 - p.s[h]);
    encoderEntropy += gaussianEntropy1d(tau2[h]);
    prior -= 0.5 * (m[h] - 1);
  }
  const v = p.variance;
  const elbo = -0.5 * D * (LOG_2PI + Math.log(v)) - (D * sBar) / (2 * v) - kl;
  return diagnosis(
    { encoderEntropy, priorEntropy: 0.5 * H * LOG_2PIE, decoderEntropy: 0.5 * D * (LOG_2PIE + Math.log(v)) },
    elbo,
    decomposition(prior, 0.5 * D * (1 - sBar / v)),
  );
}

/** uᵀ C u for the row u = M[at … at + D − 1] and C [D, D] row-major. */
function quadraticForm(M: ArrayLike<number>, at: number, C: Float64Array, D: number): number {
  let quad = 0;
  for (let j = 0; j < D; j++) {
    let v = 0;
    for (let i = 0; i < D; i++) v += M[at + i] * C[i * D + j];
    quad += v * M[at + j];
  }
  return quad;
}
