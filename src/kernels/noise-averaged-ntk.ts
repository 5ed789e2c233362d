/**
 * Float64 oracle of the noise-averaged stochastic latent network of [WH24]
 * at given parameters (NTK parameterisation, the engine's model:
 * src/models/ntk/noise-averaged.ts), written from the formulas, independent
 * of the engine's TensorFlow.js code:
 *   μ_r(x) = (σ_W/√d) u_rᵀx + σ_b b_r,   ρ_r(x) = (σ_W/√d) v_rᵀx + σ_b c_r,
 *   s_r = softplus(ρ_r),   t_r = μ_r/s_r,
 *   ḡ_r(x) = E_ε relu(μ_r + s_r ε) = μ_r Φ(t_r) + s_r φ(t_r),
 *   f(x) = (1/√m) Σ_r a_r ḡ_r(x).
 * Its empirical tangent kernel, per parameter group, from ∂ḡ/∂μ = Φ(t),
 * ∂ḡ/∂s = φ(t), ∂s/∂ρ = σ(ρ) and Q(x, x') = σ_W² xᵀx'/d + σ_b²:
 *   readout   Θ_a(x, x') = (1/m) Σ_r ḡ_r(x) ḡ_r(x'),
 *   mean head Θ_μ(x, x') = Q(x, x') (1/m) Σ_r a_r² Φ_r(x) Φ_r(x'),
 *   var. head Θ_s(x, x') = Q(x, x') (1/m) Σ_r a_r² σ(ρ_r(x)) φ_r(x) σ(ρ_r(x')) φ_r(x'),
 * whose m → ∞ limits are src/kernels/stochastic-ntk.ts's (the same network
 * with no finite noise average).
 */
import { Matrix } from 'ml-matrix';
import type { SphereData } from '../models/ntk/data.ts';
import { normalCdf, normalPdf } from './quadrature.ts';
import { sigmoid, softplus, type StochasticGroup, type StochasticHyper } from './stochastic-ntk.ts';

/** One replica's parameters: u, v [m·d] (unit-major), b, c, a [m]. */
export interface LatentTheta {
  u: ArrayLike<number>;
  b: ArrayLike<number>;
  v: ArrayLike<number>;
  c: ArrayLike<number>;
  a: ArrayLike<number>;
}

/** Per input i and unit r (index i·m + r): the noise average ḡ and the two Jacobian factors Φ(t) and σ(ρ)φ(t). */
function features(theta: LatentTheta, data: SphereData, hyper: StochasticHyper) {
  const { n, d, x } = data;
  const m = theta.a.length;
  const cW = hyper.sigmaW / Math.sqrt(d);
  const g = new Float64Array(n * m);
  const dMu = new Float64Array(n * m);
  const dRho = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < m; r++) {
      let pu = 0;
      let pv = 0;
      for (let k = 0; k < d; k++) {
        pu += theta.u[r * d + k] * x[i * d + k];
        pv += theta.v[r * d + k] * x[i * d + k];
      }
      const mu = cW * pu + hyper.sigmaB * theta.b[r];
      const rho = cW * pv + hyper.sigmaB * theta.c[r];
      const s = softplus(rho);
      const t = mu / s;
      const cdf = normalCdf(t);
      const pdf = normalPdf(t);
      g[i * m + r] = mu * cdf + s * pdf;
      dMu[i * m + r] = cdf;
      dRho[i * m + r] = sigmoid(rho) * pdf;
    }
  }
  return { g, dMu, dRho, m };
}

/** The noise-averaged outputs f(x_i), i = 1..n (float64). */
export function noiseAveragedOutputs(theta: LatentTheta, data: SphereData, hyper: StochasticHyper): Float64Array {
  const { g, m } = features(theta, data, hyper);
  const out = new Float64Array(data.n);
  for (let i = 0; i < data.n; i++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += theta.a[r] * g[i * m + r];
    out[i] = s / Math.sqrt(m);
  }
  return out;
}

/** The per-group empirical tangent kernels on the training inputs and their sum (float64). */
export function noiseAveragedKernels(theta: LatentTheta, data: SphereData, hyper: StochasticHyper): Record<StochasticGroup, Matrix> & { total: Matrix } {
  const { n, d, x } = data;
  const { g, dMu, dRho, m } = features(theta, data, hyper);
  const a2 = new Float64Array(theta.a.length);
  for (let i = 0; i < a2.length; i++) a2[i] = theta.a[i] * theta.a[i];
  const groups = { readout: new Matrix(n, n), mean: new Matrix(n, n), variance: new Matrix(n, n) };
  const total = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += x[i * d + k] * x[j * d + k];
      const q = (hyper.sigmaW ** 2 * dot) / d + hyper.sigmaB ** 2;
      let ka = 0;
      let km = 0;
      let kv = 0;
      for (let r = 0; r < m; r++) {
        ka += g[i * m + r] * g[j * m + r];
        km += a2[r] * dMu[i * m + r] * dMu[j * m + r];
        kv += a2[r] * dRho[i * m + r] * dRho[j * m + r];
      }
      const vals = { readout: ka / m, mean: (q * km) / m, variance: (q * kv) / m };
      for (const grp of ['readout', 'mean', 'variance'] as const) {
        groups[grp].set(i, j, vals[grp]);
        groups[grp].set(j, i, vals[grp]);
      }
      const t = vals.readout + vals.mean + vals.variance;
      total.set(i, j, t);
      total.set(j, i, t);
    }
  }
  return { ...groups, total };
}
