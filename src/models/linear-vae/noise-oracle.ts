/**
 * Float64 second-order quantities of the linear Gaussian VAE at its optimum,
 * for the gradient-noise law (src/claims/convergence/gradient-noise-law.ts):
 *   θ*    the maximiser of the expected ELBO at fixed σ_x (β = 1) in closed form;
 *   A     −∇²L(θ*), from central differences of the exact gradient (oracle.ts);
 *   Σ₁(K) the covariance of ONE data point's stochastic gradient with K
 *         reparameterised samples, at θ*: Cov_n[E_ε g(x_n, ε)] + E_n[Cov_ε g(x_n, ε)]/K,
 *         both exact (no Monte Carlo), see pointGradientMoments.
 * Parameters are flattened in the engine's paramShapes order W, b, V, c, s
 * (params.ts): d = 2·d_x·d_z + d_x + 2·d_z coordinates.
 *
 * θ*: the maximum-likelihood decoder at fixed σ_x (ml-decoder.ts: b = x̄,
 * W = U diag(√(λ_j − σ_x²)), columns orthogonal, so WᵀW is diagonal) with its
 * exact posterior as the encoder (optimalEncoder: V = M⁻¹Wᵀ, c = −V b and,
 * WᵀW being diagonal, the posterior covariance σ_x² M⁻¹ is diagonal, so the
 * diagonal encoder contains it and s = log diag(σ_x² M⁻¹) = sMeanField). There
 * the ELBO equals log p(x) (gap KL(q‖p(z|x)) = 0, its minimum, so its gradient
 * vanishes too) and log p(x) is at its maximum over (W, b): ∇L(θ*) = 0, to
 * float64 rounding (checked in test/convergence/gradient-noise-law.test.ts).
 * It is a strict local maximum up to the discrete symmetries z_j → −z_j and
 * permutations of z: the diagonal encoder breaks the continuous rotation
 * symmetry z → Rz of the decoder alone (a rotated posterior is not diagonal),
 * so A has no zero mode unless two columns of W have the same norm (measured:
 * the claim reports A's smallest eigenvalue).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { elboGradient, optimalEncoder, type DataMoments } from './oracle.ts';
import { fixedVarianceMlDecoder } from './ml-decoder.ts';
import { LINEAR_VAE_PARAM_NAMES, zeroParams, type LinearVaeDims, type LinearVaeParams } from './params.ts';

export function flattenParams(p: LinearVaeParams, out?: Float64Array): Float64Array {
  const size = p.W.length + p.b.length + p.V.length + p.c.length + p.s.length;
  const flat = out ?? new Float64Array(size);
  let o = 0;
  for (const name of LINEAR_VAE_PARAM_NAMES) {
    flat.set(p[name], o);
    o += p[name].length;
  }
  return flat;
}

export function unflattenParams(flat: ArrayLike<number>, dims: LinearVaeDims, into?: LinearVaeParams): LinearVaeParams {
  const p = into ?? zeroParams(dims);
  let o = 0;
  for (const name of LINEAR_VAE_PARAM_NAMES) {
    const block = p[name];
    for (let i = 0; i < block.length; i++) block[i] = flat[o + i];
    o += block.length;
  }
  return p;
}

/** The maximiser θ* of the expected ELBO (β = 1, σ_x fixed) on the rows x (n × d_x), see the header. */
export function elboOptimum(x: ArrayLike<number>, n: number, dims: LinearVaeDims, sigmaX: number): LinearVaeParams {
  const { W, b } = fixedVarianceMlDecoder(x, n, dims, sigmaX);
  const enc = optimalEncoder(W, b, dims, sigmaX);
  return { W, b, V: enc.V, c: enc.c, s: enc.sMeanField };
}

/** The exact gradient of the expected ELBO at the flattened point θ (β = 1). */
export function flatGradient(theta: ArrayLike<number>, moments: DataMoments, dims: LinearVaeDims, sigmaX: number): Float64Array {
  return flattenParams(elboGradient(unflattenParams(theta, dims), moments, sigmaX, 1));
}

/**
 * A = −∇²L(θ) by central differences of the exact gradient, column j from
 * (∇L(θ + h e_j) − ∇L(θ − h e_j)) / 2h, then symmetrised. Step h: the central
 * difference's truncation error is h²/6 · ∂³L ~ h² (L is a polynomial of
 * degree ≤ 4 in (W, b, V, c) with O(1) coefficients here and smooth in s),
 * its rounding error ε_mach·|∇L|/h with |∇L| ~ 1 near θ*: at h = 1e-4 about
 * 1e-9 and 1e-12, far below what the claim resolves (its ratio's interval is
 * ~5% wide). The unit test checks A against h = 2e-4 (agreement ~1e-8).
 */
export function negativeHessian(theta: ArrayLike<number>, moments: DataMoments, dims: LinearVaeDims, sigmaX: number, h = 1e-4): Float64Array[] {
  const d = theta.length;
  const cols: Float64Array[] = [];
  const point = Float64Array.from(theta);
  for (let j = 0; j < d; j++) {
    const t = point[j];
    point[j] = t + h;
    const up = flatGradient(point, moments, dims, sigmaX);
    point[j] = t - h;
    const down = flatGradient(point, moments, dims, sigmaX);
    point[j] = t;
    cols.push(Float64Array.from(up, (u, i) => -(u - down[i]) / (2 * h)));
  }
  const A = Array.from({ length: d }, () => new Float64Array(d));
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) A[i][j] = 0.5 * (cols[j][i] + cols[i][j]);
  return A;
}

/**
 * One data point's single-sample stochastic gradient g(x, ε) at θ (the
 * engine's kernel with B = K = 1, engine-model.ts, written here in float64
 * from the estimator's definition): with z = μ + e^{s/2} ⊙ ε, μ = V x + c and
 * r = (x − W z − b)/σ_x²,
 *   ∂W = r zᵀ, ∂b = r, ∂μ = Wᵀ r − β μ, ∂V = ∂μ xᵀ, ∂c = ∂μ,
 *   ∂s = ½ e^{s/2} ⊙ ε ⊙ Wᵀ r − (β/2)(e^s − 1).
 * A polynomial of degree 2 in ε (z and r are affine in ε; ∂W and ∂s multiply
 * two affine factors). Flattened W, b, V, c, s into `out`.
 */
export function pointSampleGradient(p: LinearVaeParams, x: ArrayLike<number>, eps: ArrayLike<number>, sigmaX: number, out: Float64Array): Float64Array {
  const dx = p.b.length;
  const dz = p.c.length;
  const { W, b, V, c, s } = p;
  const oW = 0;
  const ob = dx * dz;
  const oV = ob + dx;
  const oc = oV + dz * dx;
  const os = oc + dz;
  const inv = 1 / (sigmaX * sigmaX);
  const mu = new Float64Array(dz);
  const z = new Float64Array(dz);
  const r = new Float64Array(dx);
  for (let j = 0; j < dz; j++) {
    let m = c[j];
    for (let q = 0; q < dx; q++) m += V[j * dx + q] * x[q];
    mu[j] = m;
    z[j] = m + Math.exp(0.5 * s[j]) * eps[j];
  }
  for (let q = 0; q < dx; q++) {
    let m = b[q];
    for (let j = 0; j < dz; j++) m += W[q * dz + j] * z[j];
    r[q] = (x[q] - m) * inv;
    out[ob + q] = r[q];
    for (let j = 0; j < dz; j++) out[oW + q * dz + j] = r[q] * z[j];
  }
  for (let j = 0; j < dz; j++) {
    let wr = 0;
    for (let q = 0; q < dx; q++) wr += W[q * dz + j] * r[q];
    const dmu = wr - mu[j];
    out[oc + j] = dmu;
    for (let q = 0; q < dx; q++) out[oV + j * dx + q] = dmu * x[q];
    out[os + j] = 0.5 * Math.exp(0.5 * s[j]) * eps[j] * wr - 0.5 * (Math.exp(s[j]) - 1);
  }
  return out;
}

/**
 * Exact mean and covariance over ε ~ N(0, I) of the single-sample gradient of
 * one point, from its polynomial form g(ε) = g₀ + Σ_j L_j ε_j + εᵀQε (Q
 * symmetric, one per coordinate), whose coefficients are read off exactly
 * from g at ε ∈ {0, ±e_j, e_j + e_k}:
 *   L_j = (g(e_j) − g(−e_j))/2,  Q_jj = (g(e_j) + g(−e_j))/2 − g(0),
 *   Q_jk = (g(e_j + e_k) − g(0) − L_j − L_k − Q_jj − Q_kk)/2  (j < k);
 * then E g = g₀ + tr Q and, the odd moments of ε vanishing and
 * Cov(εᵀQ_aε, εᵀQ_bε) = 2 tr(Q_a Q_b),
 *   Cov(g_a, g_b) = Σ_j L_aj L_bj + 2 Σ_jk Q_a,jk Q_b,jk.
 * Returned: the mean, and the coefficient vectors whose outer products sum to
 * the covariance (dz vectors L_j, dz vectors √2 Q_jj and dz(dz−1)/2 vectors 2 Q_jk):
 * Cov = Σ_v v vᵀ.
 */
export function pointGradientMoments(p: LinearVaeParams, x: ArrayLike<number>, sigmaX: number): { mean: Float64Array; factors: Float64Array[] } {
  const dz = p.c.length;
  const d = p.W.length + p.b.length + p.V.length + p.c.length + p.s.length;
  const eps = new Float64Array(dz);
  const at = (set: (e: Float64Array) => void): Float64Array => {
    eps.fill(0);
    set(eps);
    return pointSampleGradient(p, x, eps, sigmaX, new Float64Array(d));
  };
  const g0 = at(() => {});
  const L: Float64Array[] = [];
  const Qd: Float64Array[] = [];
  for (let j = 0; j < dz; j++) {
    const plus = at((e) => (e[j] = 1));
    const minus = at((e) => (e[j] = -1));
    L.push(Float64Array.from(plus, (v, i) => 0.5 * (v - minus[i])));
    Qd.push(Float64Array.from(plus, (v, i) => 0.5 * (v + minus[i]) - g0[i]));
  }
  const mean = Float64Array.from(g0, (v, i) => v + Qd.reduce((a, q) => a + q[i], 0));
  const factors: Float64Array[] = [...L, ...Qd.map((q) => q.map((v) => Math.SQRT2 * v))];
  for (let j = 0; j < dz; j++) {
    for (let k = j + 1; k < dz; k++) {
      const both = at((e) => {
        e[j] = 1;
        e[k] = 1;
      });
      // 2 Q_jk = g(e_j + e_k) − g₀ − L_j − L_k − Q_jj − Q_kk; Cov gets 2·(Q_jk Q_jk + Q_kj Q_kj) = (2 Q_jk)(2 Q_jk)ᵀ.
      factors.push(Float64Array.from(both, (v, i) => v - g0[i] - L[j][i] - L[k][i] - Qd[j][i] - Qd[k][i]));
    }
  }
  return { mean, factors };
}

/**
 * The per-point gradient covariance at θ, in two parts (d × d, row-major):
 *   data = Cov_n[E_ε g(x_n, ε)]   (population covariance over the n rows: B rows are drawn uniformly with replacement),
 *   reparam = E_n[Cov_ε g(x_n, ε)] (one sample; K samples per point divide it by K).
 * So Σ₁(K) = data + reparam/K, and a mini-batch of B points has covariance Σ₁(K)/B.
 * Also the mean E_n E_ε g, which is ∇L(θ) (a cross-check of the polynomial read-off).
 */
export function gradientCovarianceParts(p: LinearVaeParams, x: ArrayLike<number>, n: number, sigmaX: number): { data: Float64Array; reparam: Float64Array; mean: Float64Array } {
  const dx = p.b.length;
  const d = p.W.length + p.b.length + p.V.length + p.c.length + p.s.length;
  const data = new Float64Array(d * d);
  const reparam = new Float64Array(d * d);
  const mean = new Float64Array(d);
  const row = new Float64Array(dx);
  const addOuter = (into: Float64Array, v: Float64Array) => {
    for (let i = 0; i < d; i++) {
      const vi = v[i];
      if (vi === 0) continue;
      const o = i * d;
      for (let j = 0; j < d; j++) into[o + j] += vi * v[j];
    }
  };
  for (let k = 0; k < n; k++) {
    for (let q = 0; q < dx; q++) row[q] = x[k * dx + q];
    const m = pointGradientMoments(p, row, sigmaX);
    for (let i = 0; i < d; i++) mean[i] += m.mean[i];
    addOuter(data, m.mean);
    for (const f of m.factors) addOuter(reparam, f);
  }
  for (let i = 0; i < d; i++) mean[i] /= n;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      data[i * d + j] = data[i * d + j] / n - mean[i] * mean[j];
      reparam[i * d + j] /= n;
    }
  }
  return { data, reparam, mean };
}

/** Symmetric eigen-decomposition of A (d × d): eigenvalues ascending and the orthonormal eigenvectors as columns of U (row-major d × d). */
export function symmetricEigen(A: readonly ArrayLike<number>[]): { values: Float64Array; U: Float64Array } {
  const d = A.length;
  const evd = new EigenvalueDecomposition(new Matrix(A.map((r) => Array.from(r))), { assumeSymmetric: true });
  const values = Float64Array.from(evd.realEigenvalues);
  const V = evd.eigenvectorMatrix;
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const U = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let c = 0; c < d; c++) U[i * d + c] = V.get(i, order[c]);
  return { values: Float64Array.from(order, (i) => values[i]), U };
}

