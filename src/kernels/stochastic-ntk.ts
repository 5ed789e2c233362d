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
import { gaussHermite, gaussLegendre, normalCdf, normalPdf, normalQuantile } from './quadrature.ts';

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

/** The three groups' expectations over (ρ, ρ') in one pass of the tensor rule (one conditionalKernels call per node). */
function entry(q11: number, q22: number, q12: number, N: number): Record<StochasticGroup, number> {
  const { nodes, weights } = gaussHermite(N);
  const l11 = Math.sqrt(q11);
  const l21 = q12 / l11;
  const l22 = Math.sqrt(Math.max(0, q22 - l21 * l21));
  const out = { readout: 0, mean: 0, variance: 0 };
  for (let i = 0; i < N; i++) {
    const r1 = l11 * nodes[i];
    for (let j = 0; j < N; j++) {
      const w = weights[i] * weights[j];
      const k = conditionalKernels(q11, q22, q12, r1, l21 * nodes[i] + l22 * nodes[j]);
      out.readout += w * k.readout;
      out.mean += w * k.mean;
      out.variance += w * k.variance;
    }
  }
  return out;
}

/**
 * Which formula to evaluate: the correct one, or a deliberately wrong one (a
 * falsifier's mutation): 'variance-missing-half' takes the normal density's
 * product E[φ φ'] with 1/π instead of 1/(2π), the variance head's limit
 * twice the true one (the "limit off by a constant factor" falsifier of
 * ntk-min-eigenvalue).
 */
export type StochasticFormula = 'correct' | 'variance-missing-half';

/** Limit kernels between the rows of X1 and X2 with an N-point rule per dimension (error estimate from 2N). */
export function stochasticKernels(X1: SphereData, X2: SphereData, hyper: StochasticHyper, N = 20, formula: StochasticFormula = 'correct'): StochasticKernels {
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
  if (formula === 'variance-missing-half') groups.variance.mul(2);
  const total = groups.readout.clone().add(groups.mean).add(groups.variance);
  return { groups, total, order: N, quadratureError: err };
}

/**
 * The engine's noise average uses K fixed draws per unit, so its empirical
 * kernel's expectation is not exactly the limit: per unit, with ḡ the
 * K-draw average of a feature F(ε) (readout ψ(μ + sε), mean head 1[z > 0],
 * variance head 1[z > 0]·ε),
 *   E_ε[ḡ(x) ḡ(x')] = E_ε F(x) · E_ε F(x') + Cov_ε(ḡ(x), ḡ(x')).
 * On the diagonal the extra term is the estimator's variance V(x) exactly;
 * off the diagonal |Cov| ≤ √(V(x)V(x')) (Cauchy–Schwarz), and for features
 * non-decreasing in ε (readout, mean head) Cov ≥ 0 (Chebyshev's association
 * inequality: both are functions of the same ε_k).
 *
 * Stratified draws (ε_k = Φ⁻¹((k + U_k)/K)) make ḡ − E F a sum of
 * independent per-stratum terms: V = (1/K²) Σ_k Var_k F with Var_k the
 * variance of F(ε) for ε ~ N(0, 1) restricted to stratum k — closed form
 * from truncated-normal moments, with the kink at c = −μ/s. Plain i.i.d.
 * draws: V = Var F / K (the one-stratum value divided by K).
 *
 * noiseBias returns, per group, D = E_units[w² V] (w = 1 for the readout
 * and the mean head, σ(ρ) for the variance head) at pre-activation
 * variance q (μ and ρ independent N(0, q)). The engine's expected kernel
 * then exceeds the limit by exactly D (readout) or q(x, x)·D (the heads,
 * whose kernels carry the factor q) on the diagonal, and by at most
 * √(D(x)D(x')) (readout) or |q12|·√(D(x)D(x')) (heads) off it
 * (Cauchy–Schwarz over the units), with the sign of q12 or 0 for the
 * monotone features.
 */
export type NoiseScheme = 'stratified' | 'iid';

/** ∫_a^b φ, ∫_a^b εφ, ∫_a^b ε²φ for a < b (±∞ allowed). */
function truncatedMoments(a: number, b: number): [number, number, number] {
  const pa = Number.isFinite(a) ? normalPdf(a) : 0;
  const pb = Number.isFinite(b) ? normalPdf(b) : 0;
  const ca = a === -Infinity ? 0 : normalCdf(a);
  const cb = b === Infinity ? 1 : normalCdf(b);
  const P = cb - ca;
  const M1 = pa - pb;
  const M2 = P + (Number.isFinite(a) ? a * pa : 0) - (Number.isFinite(b) ? b * pb : 0);
  return [P, M1, M2];
}

/** Stratum edges Φ⁻¹(k/K), k = 0..K (−∞ and +∞ at the ends). */
const edgeCache = new Map<number, Float64Array>();
function strata(K: number): Float64Array {
  let e = edgeCache.get(K);
  if (!e) {
    e = Float64Array.from({ length: K + 1 }, (_, k) => (k === 0 ? -Infinity : k === K ? Infinity : normalQuantile(k / K)));
    edgeCache.set(K, e);
  }
  return e;
}

/** V of the three features at kink c = −μ/s (scale s for the readout) under K draws of the given scheme. */
export function estimatorVariances(c: number, s: number, K: number, scheme: NoiseScheme): Record<StochasticGroup, number> {
  const strataCount = scheme === 'stratified' ? K : 1;
  const e = strata(strataCount);
  const out = { readout: 0, mean: 0, variance: 0 };
  for (let k = 0; k < strataCount; k++) {
    const lo = e[k];
    const hi = e[k + 1];
    if (!(c < hi)) continue; // The features vanish on this whole stratum.
    const [P, M1, M2] = truncatedMoments(Math.max(c, lo), hi);
    // Conditional moments within the stratum (density φ / (1/strataCount)).
    const w = strataCount;
    const e1 = w * P;
    const eps1 = w * M1;
    const eps2 = w * M2;
    out.mean += e1 - e1 * e1;
    out.variance += eps2 - eps1 * eps1;
    const r1 = eps1 - c * e1;
    const r2 = eps2 - 2 * c * eps1 + c * c * e1;
    out.readout += s * s * (r2 - r1 * r1);
  }
  const scale = scheme === 'stratified' ? 1 / (K * K) : 1 / K;
  return { readout: Math.max(0, out.readout) * scale, mean: Math.max(0, out.mean) * scale, variance: Math.max(0, out.variance) * scale };
}

/**
 * D per group: E over μ, ρ ~ N(0, q) independent of w² V. V is piecewise
 * smooth in the kink c = −μ/s with breaks at the stratum edges, so the μ
 * integral runs piece by piece (Gauss–Legendre, `legendre` nodes per piece,
 * c within ±10 standard deviations); the ρ integral, smooth, by an N-point
 * Gauss–Hermite rule.
 */
export function noiseBias(q: number, K: number, scheme: NoiseScheme, N = 24, legendre = 12): Record<StochasticGroup, number> {
  if (!(q > 0)) throw new RangeError(`pre-activation variance q = ${q}; allowed > 0`);
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`noise draws K = ${K}; allowed an integer ≥ 1`);
  const { nodes, weights } = gaussHermite(N);
  const gl = gaussLegendre(legendre);
  const sd = Math.sqrt(q);
  const inner = scheme === 'stratified' ? strata(K).slice(1, K) : new Float64Array(0);
  const out = { readout: 0, mean: 0, variance: 0 };
  for (let i = 0; i < N; i++) {
    const rho = sd * nodes[i];
    const s = softplus(rho);
    const sig2 = sigmoid(rho) ** 2;
    // c = −μ/s ~ N(0, sc²).
    const sc = sd / s;
    const lo = -10 * sc;
    const hi = 10 * sc;
    const breaks = [lo, ...Array.from(inner).filter((e) => e > lo && e < hi), hi];
    const acc = { readout: 0, mean: 0, variance: 0 };
    for (let p = 0; p + 1 < breaks.length; p++) {
      const half = (breaks[p + 1] - breaks[p]) / 2;
      const mid = (breaks[p + 1] + breaks[p]) / 2;
      for (let j = 0; j < gl.nodes.length; j++) {
        const c = mid + half * gl.nodes[j];
        const w = half * gl.weights[j] * (normalPdf(c / sc) / sc);
        const v = estimatorVariances(c, s, K, scheme);
        acc.readout += w * v.readout;
        acc.mean += w * v.mean;
        acc.variance += w * v.variance;
      }
    }
    out.readout += weights[i] * acc.readout;
    out.mean += weights[i] * acc.mean;
    out.variance += weights[i] * sig2 * acc.variance;
  }
  return out;
}
