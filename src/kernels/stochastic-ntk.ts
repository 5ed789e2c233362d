/**
 * Limit kernels of the stochastic latent network of [WH24] (float64 oracle).
 *
 * Network (src/models/ntk/stochastic-latent.ts): a latent layer of width m,
 *   μ_r(x) = (σ_W/√d) u_rᵀx + σ_b b_r,   ρ_r(x) = (σ_W/√d) v_rᵀx + σ_b c_r,
 *   s_r = softplus(ρ_r),   z_r = μ_r + s_r ε_r   (reparameterised),
 *   f(x) = (1/√m) Σ_r a_r E_ε[ψ(z_r)],   ψ = ReLU, all parameters N(0, 1),
 * the analysed output being the noise average. With q(x, x') = σ_W² xᵀx'/d + σ_b²,
 * both (μ, μ') and (ρ, ρ') are centred Gaussians with covariance q, and per
 * parameter group the tangent kernel tends to (m → ∞):
 *   readout   Θ_a = E[g(x) g(x')],  g = E_ε ψ(μ + sε) = μΦ(μ/s) + sφ(μ/s),
 *   mean head Θ_μ = q12 · E[Φ(μ/s) Φ(μ'/s')],       (∂g/∂μ = Φ(μ/s))
 *   var. head Θ_s = q12 · E[σ(ρ)σ(ρ') φ(μ/s) φ(μ'/s')]   (∂g/∂s = φ(μ/s), s' = σ).
 * Conditional on (ρ, ρ') the expectations over (μ, μ') and the noise are closed
 * form: (μ + sε, μ' + s'ε') is Gaussian with covariance C = q + diag(s², s'²), so
 *   E[g g'] = arc-cosine k1(C),   E[Φ Φ'] = k0(C) = 1/4 + asin(c12/√(c11 c22))/(2π),
 *   E[φ φ'] = (1/2π) det(I + q S⁻¹)^{−1/2},  S = diag(s², s'²),
 * leaving a 2-D integral over (ρ, ρ') done by tensor Gauss–Hermite. The
 * integrand is smooth (softplus keeps s > 0), so the rule converges
 * geometrically; every result carries the difference to the rule with twice
 * the nodes as its quadrature-error estimate.
 * test/ntk/stochastic-kernels.test.ts checks the closed forms against plain
 * quadrature over the noise and the mean-head pre-activations.
 */
import { Matrix } from 'ml-matrix';
import type { SphereData } from '../models/ntk/data.ts';
import { arcCosine } from './relu-ntk.ts';
import { bivariateExpectation } from './quadrature.ts';

export interface StochasticHyper {
  sigmaW: number;
  sigmaB: number;
}

export const STOCHASTIC_GROUPS = ['readout', 'mean', 'variance'] as const;
export type StochasticGroup = (typeof STOCHASTIC_GROUPS)[number];

export function softplus(x: number): number {
  return x > 30 ? x : Math.log1p(Math.exp(x));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The three integrands conditional on the variance-head pre-activations (ρ, ρ'). */
export function conditionalKernels(q11: number, q22: number, q12: number, rho1: number, rho2: number): Record<StochasticGroup, number> {
  const s1 = softplus(rho1);
  const s2 = softplus(rho2);
  const c11 = q11 + s1 * s1;
  const c22 = q22 + s2 * s2;
  const ac = arcCosine(c11, c22, q12);
  const det = (1 + q11 / (s1 * s1)) * (1 + q22 / (s2 * s2)) - (q12 * q12) / (s1 * s1 * s2 * s2);
  return {
    readout: ac.k1,
    mean: q12 * ac.k0,
    variance: (q12 * sigmoid(rho1) * sigmoid(rho2)) / (2 * Math.PI * Math.sqrt(det)),
  };
}

export interface StochasticKernels {
  groups: Record<StochasticGroup, Matrix>;
  total: Matrix;
  /** Quadrature order used, and max |K_N − K_2N| over all entries and groups. */
  order: number;
  quadratureError: number;
}

function entry(q11: number, q22: number, q12: number, N: number): Record<StochasticGroup, number> {
  const out = { readout: 0, mean: 0, variance: 0 };
  for (const g of STOCHASTIC_GROUPS) {
    out[g] = bivariateExpectation(q11, q22, q12, N, (r1, r2) => conditionalKernels(q11, q22, q12, r1, r2)[g]);
  }
  return out;
}

/** Limit kernels between the rows of X1 and X2 with an N-point rule per dimension (error estimate from 2N). */
export function stochasticKernels(X1: SphereData, X2: SphereData, hyper: StochasticHyper, N = 20): StochasticKernels {
  if (X1.d !== X2.d) throw new RangeError(`input dimensions differ: ${X1.d} vs ${X2.d}`);
  if (!(hyper.sigmaW > 0)) throw new RangeError(`σ_W = ${hyper.sigmaW}; allowed σ_W > 0`);
  if (!(hyper.sigmaB >= 0)) throw new RangeError(`σ_b = ${hyper.sigmaB}; allowed σ_b ≥ 0`);
  const d = X1.d;
  const sw2 = hyper.sigmaW ** 2;
  const sb2 = hyper.sigmaB ** 2;
  const qOf = (A: Float64Array, i: number, B: Float64Array, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += A[i * d + k] * B[j * d + k];
    return (sw2 * s) / d + sb2;
  };
  const groups = Object.fromEntries(STOCHASTIC_GROUPS.map((g) => [g, new Matrix(X1.n, X2.n)])) as Record<StochasticGroup, Matrix>;
  let err = 0;
  // Same inputs on both sides: fill the upper triangle and mirror (exactly symmetric, half the work).
  const same = X1 === X2;
  for (let i = 0; i < X1.n; i++) {
    for (let j = same ? i : 0; j < X2.n; j++) {
      const q11 = qOf(X1.x, i, X1.x, i);
      const q22 = qOf(X2.x, j, X2.x, j);
      const q12 = qOf(X1.x, i, X2.x, j);
      const coarse = entry(q11, q22, q12, N);
      const fine = entry(q11, q22, q12, 2 * N);
      for (const g of STOCHASTIC_GROUPS) {
        groups[g].set(i, j, coarse[g]);
        if (same) groups[g].set(j, i, coarse[g]);
        err = Math.max(err, Math.abs(coarse[g] - fine[g]));
      }
    }
  }
  const total = groups.readout.clone().add(groups.mean).add(groups.variance);
  return { groups, total, order: N, quadratureError: err };
}
