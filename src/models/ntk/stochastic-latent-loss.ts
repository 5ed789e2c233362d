/**
 * The stochastic latent network's loss gradient (stochastic-latent.ts, lossGradients)
 * as one fused float64 loop over units and inputs, in place of a TensorFlow.js
 * program over the [n, R·m, K] latent samples.
 *
 * Why: that program materialised ten [n, R·m, K] tensors a step (K = 16: 25M
 * floats each at m = 4096, 12 replicas) and took 84–93% of snn-ntk's and
 * snn-krr-equivalence's time. The K draws of a unit are the same for every input
 * and every step, so they are sorted once; then for an input with μ and s > 0
 *   z_k = μ + s ε_k > 0  ⇔  ε_k > −μ/s,
 * a binary search finds the draws above the threshold, and with the sorted draws'
 * tail sums T_k = Σ_{k' ≥ k} ε_(k'):
 *   ḡ = (1/K) Σ_k ψ(z_k) = ((K − k₀) μ + s T_{k₀}) / K,
 *   P = (1/K) Σ_k 1[z_k > 0] = (K − k₀)/K,   P_ε = (1/K) Σ_k 1[z_k > 0] ε_k = T_{k₀}/K,
 * the same sums, in float64, in O(log K) per (input, unit) instead of O(K).
 * The matrix products (μ, ρ from X; ∂U, ∂V from Xᵀ) stay on the backend
 * (stochastic-latent.ts). Checked against tf.grads through the TensorFlow.js
 * forward (test/ntk/stochastic-latent.test.ts, and the claims' own conformance
 * probe, src/claims/ntk/shared/stochastic-autodiff.ts).
 */

/** Per unit, its K noise draws sorted ascending and their tail sums. */
export interface SortedNoise {
  K: number;
  /** [units·K]: unit c's draws ascending at c·K … c·K + K − 1. */
  sorted: Float64Array;
  /** [units·(K + 1)]: T_k = Σ_{k' ≥ k} of unit c's sorted draws at c·(K + 1) + k (T_K = 0). */
  tail: Float64Array;
}

/** Sorts each unit's K draws (noise [units·K], unit-major) and forms their tail sums. */
export function sortNoise(noise: ArrayLike<number>, units: number, K: number): SortedNoise {
  const sorted = new Float64Array(units * K);
  const tail = new Float64Array(units * (K + 1));
  for (let c = 0; c < units; c++) {
    const unit = sorted.subarray(c * K, (c + 1) * K);
    for (let k = 0; k < K; k++) unit[k] = noise[c * K + k];
    unit.sort();
    const t = c * (K + 1);
    for (let k = K - 1; k >= 0; k--) tail[t + k] = tail[t + k + 1] + unit[k];
  }
  return { K, sorted, tail };
}

export interface StochasticLossInputs {
  n: number;
  R: number;
  m: number;
  /** Pre-activations μ and ρ [n, R·m] row-major (replica r's units at columns r·m … r·m + m − 1). */
  mu: ArrayLike<number>;
  rho: ArrayLike<number>;
  /** Readout weights a [R·m]. */
  a: ArrayLike<number>;
  noise: SortedNoise;
  /** Targets [n]. */
  y: ArrayLike<number>;
  /** √m (NTK parameterisation) or 1: f = (1/readoutDivisor) Σ a ḡ. */
  readoutDivisor: number;
  /** Per replica, the KL weight w_r (the loss adds w_r (1/n) Σ_i Σ_units KL), or undefined. */
  kl?: ArrayLike<number>;
}

/** Work arrays of one size, kept between calls. */
export interface StochasticLossWork {
  G: Float64Array;
  P: Float64Array;
  Peps: Float64Array;
  s: Float64Array;
  sig: Float64Array;
  /** Outputs: ∂L/∂μ and ∂L/∂ρ [n, R·m] (float32, for the backend's matrix products). */
  dMu: Float32Array;
  dRho: Float32Array;
}

export function stochasticLossWork(n: number, units: number): StochasticLossWork {
  const f64 = () => new Float64Array(n * units);
  return { G: f64(), P: f64(), Peps: f64(), s: f64(), sig: f64(), dMu: new Float32Array(n * units), dRho: new Float32Array(n * units) };
}

export interface StochasticLossResult {
  /** Outputs f [R, n] (float64). */
  f: Float64Array;
  /** Σ_i ∂L/∂μ and Σ_i ∂L/∂ρ per unit [R·m] (∂b and ∂c before their multiplier c_b). */
  sumMu: Float64Array;
  sumRho: Float64Array;
  /** ∂L/∂a [R·m]. */
  a: Float64Array;
}

/**
 * Outputs and gradients of Σ_r [(1/(2n))‖f_r − y‖² + w_r (1/n) Σ_i Σ_units KL] with
 * respect to μ, ρ and a; ∂L/∂μ and ∂L/∂ρ are written into work.dMu and work.dRho.
 * With g = (f − y)/n and α = a/readoutDivisor:
 *   ∂/∂a = Σ_i g_i ḡ_i / readoutDivisor,  ∂/∂μ = g α P + w μ/n,  ∂/∂ρ = (g α P_ε + w (s − 1/s)/n) σ(ρ).
 */
export function stochasticLossGradients(inp: StochasticLossInputs, work: StochasticLossWork): StochasticLossResult {
  const { n, R, m, mu, rho, a, y, readoutDivisor, kl } = inp;
  const { K, sorted, tail } = inp.noise;
  const units = R * m;
  const f = new Float64Array(R * n);
  // Pass 1: per input and unit, s = softplus(ρ), σ(ρ) and the noise averages; the outputs.
  // (Each row of units is a small function of its own: V8 optimises it as a whole function,
  // where one large loop nest was recompiled on stack again and again.)
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < R; r++) {
      f[r * n + i] = unitAverages(i * units, r * m, (r + 1) * m, mu, rho, a, sorted, tail, K, work) / readoutDivisor;
    }
  }
  // Pass 2: the gradients.
  const sumMu = new Float64Array(units);
  const sumRho = new Float64Array(units);
  const ga = new Float64Array(units);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < R; r++) {
      const gi = (f[r * n + i] - y[i]) / n;
      const wr = kl === undefined ? 0 : kl[r] / n;
      unitGradients(i * units, r * m, (r + 1) * m, gi, wr, mu, a, readoutDivisor, work, sumMu, sumRho, ga);
    }
  }
  for (let c = 0; c < units; c++) ga[c] /= readoutDivisor;
  return { f, sumMu, sumRho, a: ga };
}

/** Pass 1 over units c0 … c1 − 1 of input row `row`: s, σ(ρ), ḡ, P, P_ε into work; returns Σ_c a_c ḡ_c. */
function unitAverages(row: number, c0: number, c1: number, mu: ArrayLike<number>, rho: ArrayLike<number>, a: ArrayLike<number>, sorted: Float64Array, tail: Float64Array, K: number, work: StochasticLossWork): number {
  const { G, P, Peps, s, sig } = work;
  const invK = 1 / K;
  let out = 0;
  for (let c = c0; c < c1; c++) {
    const o = row + c;
    const mv = mu[o];
    const p = rho[o];
    // One exponential for both: e = exp(−|ρ|), softplus = max(ρ, 0) + log1p(e), σ(ρ) from e.
    const e = Math.exp(-Math.abs(p));
    const sv = (p > 0 ? p : 0) + Math.log1p(e);
    s[o] = sv;
    sig[o] = p >= 0 ? 1 / (1 + e) : e / (1 + e);
    // k0 = the number of draws with μ + s ε ≤ 0, i.e. ε ≤ −μ/s: the first k0 sorted draws,
    // found by binary search (s = 0 after underflow: every z is μ).
    let k0: number;
    if (sv > 0) {
      const t = -mv / sv;
      let lo = c * K;
      let hi = lo + K;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid] > t) hi = mid;
        else lo = mid + 1;
      }
      k0 = lo - c * K;
    } else {
      k0 = mv > 0 ? 0 : K;
    }
    const tk = tail[c * (K + 1) + k0];
    const g = ((K - k0) * mv + sv * tk) * invK;
    G[o] = g;
    P[o] = (K - k0) * invK;
    Peps[o] = tk * invK;
    out += a[c] * g;
  }
  return out;
}

/** Pass 2 over units c0 … c1 − 1 of input row `row` (residual gi, KL weight wr/n = wr): ∂μ, ∂ρ and the per-unit sums. */
function unitGradients(row: number, c0: number, c1: number, gi: number, wr: number, mu: ArrayLike<number>, a: ArrayLike<number>, readoutDivisor: number, work: StochasticLossWork, sumMu: Float64Array, sumRho: Float64Array, ga: Float64Array): void {
  const { G, P, Peps, s, sig, dMu, dRho } = work;
  for (let c = c0; c < c1; c++) {
    const o = row + c;
    const alpha = a[c] / readoutDivisor;
    let dm = gi * alpha * P[o];
    let dr = gi * alpha * Peps[o];
    if (wr !== 0) {
      dm += wr * mu[o];
      dr += wr * (s[o] - 1 / s[o]);
    }
    dr *= sig[o];
    dMu[o] = dm;
    dRho[o] = dr;
    sumMu[c] += dm;
    sumRho[c] += dr;
    ga[c] += G[o] * gi;
  }
}

