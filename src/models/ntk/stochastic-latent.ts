/**
 * The stochastic latent network of [WH24] (a VAE latent layer in the NTK
 * regime) as a replica-batched TensorFlow.js program:
 *   μ_r(x) = (σ_W/√d) u_rᵀx + σ_b b_r,   ρ_r(x) = (σ_W/√d) v_rᵀx + σ_b c_r,
 *   s_r = softplus(ρ_r),   z_{rk} = μ_r + s_r ε_{rk}   (reparameterised),
 *   f(x) = (1/√m) Σ_r a_r ḡ_r(x),   ḡ_r(x) = (1/K) Σ_k ψ(z_{rk}(x)),   ψ = ReLU,
 * all parameters N(0, 1). The analysed output is the noise average
 * E_ε ψ(μ + sε); the engine estimates it with a FIXED set of K noise draws
 * per latent unit (drawn at initialisation, shared by all inputs and steps).
 *
 * Noise draws:
 *   'stratified' ε_{rk} = Φ⁻¹((k + U_{rk})/K), U uniform: one draw per
 *     probability stratum. Unbiased for every unit's noise average, with a
 *     variance far below the O(K⁻¹) of plain draws; the bias it leaves in the
 *     empirical kernel, E[Cov(ḡ(x), ḡ(x'))], is bounded in
 *     test/ntk/kernels.test.ts (for the indicator features by 1/(4K²)).
 *   'iid' K plain N(0, 1) draws; K = 1 is the single-sample falsifier, whose
 *     kernel converges to a different limit (the noise shared across inputs
 *     adds E[Cov_ε(ψ(z), ψ(z'))]).
 * Antisymmetric initialisation pairs units (identical u, v, b, c and noise,
 * opposite a) so f₀ ≡ 0.
 *
 * Parameter groups for the per-group tangent kernels: readout {a}, mean head
 * {u, b}, variance head {v, c}.
 *
 * Layout (as src/models/ntk/wide-relu.ts, for the WebAssembly backend's fast
 * rank-2 matMul): all replicas side by side along the unit axis, Ut and Vt
 * [d, R·m], b, c, a [1, R·m], noise [1, R·m, K]; gradients by hand, tested
 * against tf.grad (test/ntk/stochastic-latent.test.ts).
 */
import { tf } from '../../engine/backend.ts';
import { RandomStream } from '../../engine/rng.ts';
import { normalQuantile } from '../../kernels/quadrature.ts';
import type { StochasticGroup } from '../../kernels/stochastic-ntk.ts';

export type NoiseDraws = 'stratified' | 'iid';

export interface StochasticArchitecture {
  d: number;
  width: number;
  sigmaW: number;
  sigmaB: number;
  /** Noise draws per latent unit. */
  samples: number;
}

export interface StochasticReplica {
  label: string;
  seed: number;
  noise: NoiseDraws;
  antisymmetric: boolean;
}

export const STOCHASTIC_PARAM_GROUPS: Record<StochasticGroup, string[]> = {
  readout: ['a'],
  mean: ['u', 'b'],
  variance: ['v', 'c'],
};

const PARAM_NAMES = ['u', 'b', 'v', 'c', 'a'] as const;

export function validateStochasticArchitecture(arch: StochasticArchitecture): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} = ${v}; allowed an integer ≥ ${min}`);
  };
  int('input dimension d', arch.d, 1);
  int('width m', arch.width, 1);
  int('noise draws K', arch.samples, 1);
  if (!(arch.sigmaW > 0) || !Number.isFinite(arch.sigmaW)) throw new RangeError(`σ_W = ${arch.sigmaW}; allowed a finite σ_W > 0`);
  if (!(arch.sigmaB >= 0) || !Number.isFinite(arch.sigmaB)) throw new RangeError(`σ_b = ${arch.sigmaB}; allowed a finite σ_b ≥ 0`);
}

/** One replica's initial parameters and noise draws (float32). */
export function stochasticInitialState(arch: StochasticArchitecture, replica: StochasticReplica): { params: Record<string, Float32Array>; noise: Float32Array } {
  const { d, width: m, samples: K } = arch;
  if (replica.antisymmetric && m % 2 !== 0) throw new RangeError(`antisymmetric initialisation needs an even width, got m = ${m}`);
  const units = replica.antisymmetric ? m / 2 : m;
  const sizes: Record<string, number> = { u: d, b: 1, v: d, c: 1, a: 1 };
  const params: Record<string, Float32Array> = {};
  for (const name of PARAM_NAMES) {
    const per = sizes[name];
    const values = new Float32Array(m * per);
    const rng = RandomStream.at(replica.seed, 'stochastic-latent-init', name);
    for (let i = 0; i < units * per; i++) values[i] = rng.normal();
    if (replica.antisymmetric) {
      for (let i = 0; i < units * per; i++) values[units * per + i] = name === 'a' ? -values[i] : values[i];
    }
    params[name] = values;
  }
  const noise = new Float32Array(m * K);
  const rng = RandomStream.at(replica.seed, 'stochastic-latent-noise', replica.noise);
  for (let r = 0; r < units; r++) {
    for (let k = 0; k < K; k++) {
      noise[r * K + k] = replica.noise === 'stratified' ? normalQuantile((k + Math.max(rng.uniform(), Number.EPSILON)) / K) : rng.normal();
    }
  }
  if (replica.antisymmetric) noise.copyWithin(units * K, 0, units * K);
  return { params, noise };
}

let variableCounter = 0;

export type StochasticParam = (typeof PARAM_NAMES)[number];

/** Per-replica KL weights for lossGradients: the loss adds w_r · (1/n) Σ_i Σ_units KL. */
export type KlWeights = Float64Array;

export class StochasticLatentBatch {
  readonly R: number;
  readonly width: number;
  /** Stored parameters θ (multipliers are fixed constants): Ut, Vt [d, R·m]; b, c, a [1, R·m]. */
  readonly params: Record<StochasticParam, tf.Variable>;
  readonly multipliers: Record<StochasticParam, Float64Array>;
  readonly lrScales: Record<StochasticParam, Float64Array>;
  /** Fixed noise draws [1, R·m, K]. */
  readonly noise: tf.Tensor3D;
  private readonly cW: number;
  private readonly cB: number;

  constructor(
    readonly arch: StochasticArchitecture,
    readonly replicas: readonly StochasticReplica[],
  ) {
    validateStochasticArchitecture(arch);
    if (replicas.length === 0) throw new RangeError('a replica batch needs at least one replica');
    const R = (this.R = replicas.length);
    const { d, width: m, samples: K } = arch;
    this.width = m;
    const states = replicas.map((r) => stochasticInitialState(arch, r));
    this.params = {} as Record<StochasticParam, tf.Variable>;
    this.multipliers = {} as Record<StochasticParam, Float64Array>;
    this.lrScales = {} as Record<StochasticParam, Float64Array>;
    for (const name of PARAM_NAMES) {
      const rows = name === 'u' || name === 'v' ? d : 1;
      const flat = new Float32Array(rows * R * m);
      states.forEach((st, r) => {
        const src = st.params[name];
        for (let i = 0; i < m; i++) for (let k = 0; k < rows; k++) flat[k * R * m + r * m + i] = src[i * rows + k];
      });
      const initial = tf.tensor2d(flat, [rows, R * m]);
      this.params[name] = tf.variable(initial, true, `stochastic-latent/${name}/${variableCounter++}`);
      initial.dispose();
      this.multipliers[name] = new Float64Array(R).fill(1);
      this.lrScales[name] = new Float64Array(R).fill(1);
    }
    const noise = new Float32Array(R * m * K);
    states.forEach((st, r) => noise.set(st.noise, r * m * K));
    this.noise = tf.tensor3d(noise, [1, R * m, K]);
    this.cW = arch.sigmaW / Math.sqrt(d);
    this.cB = arch.sigmaB;
  }

  /** A per-replica [R] vector repeated along the unit axis, [1, R·m]. */
  expandPerReplica(_group: StochasticParam, values: ArrayLike<number>): tf.Tensor {
    if (values.length !== this.R) throw new RangeError(`need ${this.R} per-replica values, got ${values.length}`);
    const m = this.width;
    const out = new Float32Array(this.R * m);
    for (let r = 0; r < this.R; r++) out.fill(values[r], r * m, (r + 1) * m);
    return tf.tensor2d(out, [1, this.R * m]);
  }

  /** μ, ρ [n, R·m] and the latent samples z = μ + softplus(ρ) ε [n, R·m, K]. */
  private latent(X: tf.Tensor2D): { mu: tf.Tensor2D; rho: tf.Tensor2D; z: tf.Tensor3D } {
    const p = this.params;
    const mu = tf.matMul(X, p.u).mul(this.cW).add(p.b.mul(this.cB)) as tf.Tensor2D;
    const rho = tf.matMul(X, p.v).mul(this.cW).add(p.c.mul(this.cB)) as tf.Tensor2D;
    const z = mu.expandDims(2).add(tf.softplus(rho).expandDims(2).mul(this.noise)) as tf.Tensor3D;
    return { mu, rho, z };
  }

  /** [n, R·m] → [n, R] by summing each replica's units with weights a/√m. */
  private readout(G: tf.Tensor2D): tf.Tensor2D {
    const n = G.shape[0];
    return G.mul(this.params.a)
      .reshape([n, this.R, this.width])
      .sum(2)
      .div(Math.sqrt(this.width)) as tf.Tensor2D;
  }

  /** Noise-averaged outputs [R, n] at inputs X [n, d]. */
  forward(X: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.readout(tf.relu(this.latent(X).z).mean(2) as tf.Tensor2D).transpose());
  }

  /**
   * Outputs [R, n] and the gradients of Σ_r [(1/(2n))‖f_r − y‖² + w_r (1/n) Σ_i Σ_units KL]
   * w.r.t. the stored parameters, by hand. With g = (f − y)/n, α = a/√m,
   * P = mean_k 1[z_k > 0], P_ε = mean_k 1[z_k > 0] ε_k:
   *   ∂/∂a = Σ_i g_i ḡ_i/√m,  ∂/∂μ = g α P + w μ/n,  ∂/∂ρ = (g α P_ε + w (s − 1/s)/n) σ(ρ),
   * then ∂/∂U = c_W Xᵀ ∂/∂μ, ∂/∂b = c_b Σ_i ∂/∂μ (same for V, c through ρ).
   */
  lossGradients(X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D, kl?: KlWeights): { f: tf.Tensor2D; grads: Record<StochasticParam, tf.Tensor> } {
    return tf.tidy(() => {
      const n = X.shape[0];
      const m = this.width;
      const { mu, rho, z } = this.latent(X);
      const on = tf.step(z);
      const G = tf.relu(z).mean(2) as tf.Tensor2D;
      const P = on.mean(2);
      const Peps = on.mul(this.noise).mean(2);
      const f = this.readout(G); // [n, R]
      const g = f.sub(y).div(n);
      const gUnits = g.expandDims(2).tile([1, 1, m]).reshape([n, this.R * m]); // g_{i,r} on every unit of r
      const alpha = this.params.a.div(Math.sqrt(m));
      let dMu = gUnits.mul(alpha).mul(P);
      const sig = tf.sigmoid(rho);
      let dRho = gUnits.mul(alpha).mul(Peps);
      if (kl) {
        const w = this.expandPerReplica('a', Array.from(kl, (v) => v / n));
        const s = tf.softplus(rho);
        dMu = dMu.add(mu.mul(w));
        dRho = dRho.add(s.sub(tf.reciprocal(s)).mul(w));
      }
      dRho = dRho.mul(sig);
      const grads: Record<StochasticParam, tf.Tensor> = {
        u: tf.matMul(Xt, dMu as tf.Tensor2D).mul(this.cW),
        b: dMu.sum(0, true).mul(this.cB),
        v: tf.matMul(Xt, dRho as tf.Tensor2D).mul(this.cW),
        c: dRho.sum(0, true).mul(this.cB),
        a: G.mul(gUnits).sum(0, true).div(Math.sqrt(m)),
      };
      return { f: f.transpose() as tf.Tensor2D, grads };
    });
  }

  /** The KL term (1/n) Σ_i Σ_units KL(N(μ, s²) ‖ N(0, 1)) per replica [R] (for tests and reports). */
  klTerm(X: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const { mu, rho } = this.latent(X);
      const s = tf.softplus(rho);
      const kl = mu.square().add(s.square()).sub(1).sub(s.square().log()).mul(0.5);
      return kl.reshape([X.shape[0], this.R, this.width]).sum(2).mean(0) as tf.Tensor1D;
    });
  }

  /**
   * Per-group empirical tangent kernels [R, n, n] from the closed structure
   * of the per-example gradients (Q = σ_W² XXᵀ/d + σ_b²):
   *   Θ_a = ḠḠᵀ/m,   Θ_μ = ((P⊙a)(P⊙a)ᵀ/m) ⊙ Q,   Θ_s = ((P_ε⊙σ(ρ)⊙a)(·)ᵀ/m) ⊙ Q.
   * One replica at a time (the [n, m, K] latent tensor is the memory peak)
   * with rank-2 matMuls; verified against per-example tf.grad in the tests.
   */
  tangentKernels(X: tf.Tensor2D): Record<StochasticGroup, tf.Tensor3D> & { total: tf.Tensor3D } {
    const m = this.width;
    const K = this.arch.samples;
    const parts: Record<StochasticGroup, tf.Tensor2D[]> = { readout: [], mean: [], variance: [] };
    try {
      for (let r = 0; r < this.R; r++) {
        const k = tf.tidy(() => {
          const col = (t: tf.Tensor) => t.slice([0, r * m], [-1, m]) as tf.Tensor2D;
          const p = this.params;
          const mu = tf.matMul(X, col(p.u)).mul(this.cW).add(col(p.b).mul(this.cB));
          const rho = tf.matMul(X, col(p.v)).mul(this.cW).add(col(p.c).mul(this.cB));
          const eps = this.noise.slice([0, r * m, 0], [1, m, K]);
          const z = mu.expandDims(2).add(tf.softplus(rho).expandDims(2).mul(eps));
          const on = tf.step(z);
          const a = col(p.a);
          const G = tf.relu(z).mean(2) as tf.Tensor2D;
          const P = on.mean(2).mul(a) as tf.Tensor2D;
          const Peps = on.mul(eps).mean(2).mul(tf.sigmoid(rho)).mul(a) as tf.Tensor2D;
          const Q = tf.matMul(X, X.transpose()).mul(this.cW * this.cW).add(this.cB * this.cB);
          const gram = (A: tf.Tensor2D) => tf.matMul(A, A.transpose()).div(m);
          return { readout: gram(G), mean: gram(P).mul(Q), variance: gram(Peps).mul(Q) } as Record<StochasticGroup, tf.Tensor2D>;
        });
        for (const g of ['readout', 'mean', 'variance'] as const) parts[g].push(k[g]);
      }
      return tf.tidy(() => {
        const out = {
          readout: tf.stack(parts.readout) as tf.Tensor3D,
          mean: tf.stack(parts.mean) as tf.Tensor3D,
          variance: tf.stack(parts.variance) as tf.Tensor3D,
        };
        return { ...out, total: tf.addN([out.readout, out.mean, out.variance]) as tf.Tensor3D };
      });
    } finally {
      for (const list of Object.values(parts)) for (const t of list) t.dispose();
    }
  }

  /** One replica's parameters in the layout of stochasticInitialState (u, v: [m, d] row-major). */
  replicaTheta(r: number): Record<StochasticParam, Float64Array> {
    const { d } = this.arch;
    const m = this.width;
    const R = this.R;
    const out = {} as Record<StochasticParam, Float64Array>;
    for (const name of PARAM_NAMES) {
      const rows = name === 'u' || name === 'v' ? d : 1;
      const all = this.params[name].dataSync();
      const v = new Float64Array(m * rows);
      for (let i = 0; i < m; i++) for (let k = 0; k < rows; k++) v[i * rows + k] = all[k * R * m + r * m + i];
      out[name] = v;
    }
    return out;
  }

  /** One replica's noise draws [m·K]. */
  replicaNoise(r: number): Float32Array {
    const m = this.width;
    const K = this.arch.samples;
    return (this.noise.dataSync() as Float32Array).slice(r * m * K, (r + 1) * m * K);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    this.noise.dispose();
  }
}

/**
 * One replica's noise-averaged output written directly with plain tf ops
 * (θ in the layout of stochasticInitialState, noise [m, K]): the reference
 * for the batched program's gradients and kernels (tests, via tf.grad).
 */
export function stochasticReferenceOutput(
  arch: StochasticArchitecture,
  theta: Record<StochasticParam, tf.Tensor>,
  noise: tf.Tensor2D,
  X: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const cW = arch.sigmaW / Math.sqrt(arch.d);
    const mu = tf.matMul(X, theta.u as tf.Tensor2D, false, true).mul(cW).add(theta.b.mul(arch.sigmaB));
    const rho = tf.matMul(X, theta.v as tf.Tensor2D, false, true).mul(cW).add(theta.c.mul(arch.sigmaB));
    const z = mu.expandDims(2).add(tf.softplus(rho).expandDims(2).mul(noise.expandDims(0)));
    const g = tf.relu(z).mean(2);
    return g.matMul(theta.a.expandDims(1)).squeeze([1]).div(Math.sqrt(arch.width)) as tf.Tensor1D;
  });
}
