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

export interface LearnedVarianceParams extends LinearVaeParams {
  /** σ² of the decoder. */
  variance: number;
}

/**
 * The ELBO per point (closed-form Gaussian expectations, evaluated point by
 * point), the entropies and the [D23] decomposition.
 */
export function diagnoseLinearVae(p: LearnedVarianceParams, x: ArrayLike<number>, N: number, D: number): EntropyDiagnosis {
  const H = p.c.length;
  if (p.W.length !== D * H || p.V.length !== H * D || p.b.length !== D || p.s.length !== H) {
    throw new RangeError(`diagnoseLinearVae: parameter shapes do not match D = ${D}, H = ${H}`);
  }
  if (!(p.variance > 0)) throw new RangeError(`diagnoseLinearVae: σ² = ${p.variance}; allowed > 0`);
  if (x.length !== N * D) throw new RangeError(`diagnoseLinearVae: x has length ${x.length}, expected N×D = ${N * D}`);
  const tau2 = Array.from(p.s, Math.exp);
  // Σ_h ‖W_h‖² τ_h²: the decoder-side variance of the reconstruction, the same for every point.
  let spread = 0;
  for (let i = 0; i < D; i++) for (let h = 0; h < H; h++) spread += p.W[i * H + h] ** 2 * tau2[h];
  const mu = new Float64Array(H);
  const m = new Float64Array(H);
  let sq = 0;
  // The parameters in locals: this loop runs N times an epoch for every run (d23-figure-1: 15% of
  // the claim), and V8 does not hoist the loads of p's fields out of it.
  const { W, b, V, c } = p;
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let h = 0; h < H; h++) {
      let v = c[h];
      for (let i = 0; i < D; i++) v += V[h * D + i] * x[row + i];
      mu[h] = v;
      m[h] += v * v;
    }
    for (let i = 0; i < D; i++) {
      let r = x[row + i] - b[i];
      for (let h = 0; h < H; h++) r -= W[i * H + h] * mu[h];
      sq += r * r;
    }
  }
  const sBar = (sq / N + spread) / D;
  let kl = 0;
  let encoderEntropy = 0;
  let prior = 0;
  for (let h = 0; h < H; h++) {
    m[h] = m[h] / N + tau2[h];
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
